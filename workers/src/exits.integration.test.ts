// Exits through the real pipeline: a strategy with a stop-loss, a take-profit and a trailing stop, replayed over
// two days. The engine's watch turns crossed levels into exit signals that go through risk and the sim broker;
// the backtest of the same strategy on the same bars must give the same round trips and the same money.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRuntime, maCrossStrategy, type TestRuntime } from '@ai-trader/adapters/testing';
import { EXITS_STRATEGY, runBacktest, seedStrategies } from '@ai-trader/core';
import { dec } from '@ai-trader/domain';
import { startPipeline } from './pipeline.ts';

const SLICE = { FEED: 'replay', REPLAY_SYMBOLS: 'SPY,QQQ', REPLAY_START: '2025-06-04', REPLAY_END: '2025-06-05', REPLAY_PACING: 'lockstep' };
const EXITS = { stopLossPct: 0.1, takeProfitPct: 0.15, trailingStopPct: 0.12 };

describe('exits: stop-loss, take-profit, trailing stop', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await createTestRuntime('exits', SLICE);
    await seedStrategies(rt.deps, [{ ...maCrossStrategy(['SPY', 'QQQ']), exits: EXITS }]);
  });
  afterAll(async () => rt?.cleanup());

  it('are watched on every bar after the fill, sold through risk, and match the backtest to the cent', async () => {
    const p = rt.deps.prisma;
    const pipeline = await startPipeline(rt, ['feed', 'ingest', 'scoring', 'risk', 'execution', 'broker', 'portfolio']);
    expect(await pipeline.feedDone).toBe(156);
    await pipeline.close();

    // Entries carry their levels, priced from the signal's close.
    const entries = await p.orderIntent.findMany({ where: { isEntry: true }, include: { riskDecision: { include: { signal: true } } } });
    expect(entries.length).toBeGreaterThan(0);
    for (const i of entries) {
      const px = dec(i.riskDecision.signal.price.toString());
      expect(i.stopLoss?.toFixed()).toBe(px.times(0.999).toDecimalPlaces(2).toFixed());
      expect(i.takeProfit?.toFixed()).toBe(px.times(1.0015).toDecimalPlaces(2).toFixed());
      expect(i.trailPct?.toFixed()).toBe('0.12');
    }
    // Exit signals from the watch: each on a bar after its position's entry fill, approved as exits with the reason.
    const exits = await p.signal.findMany({ where: { strategy: EXITS_STRATEGY }, include: { decision: { include: { intent: { include: { order: true } } } } }, orderBy: { barTs: 'asc' } });
    expect(exits.length).toBeGreaterThan(0);
    const reasons = new Set<string>();
    for (const s of exits) {
      const reason = (s.detail as { exitReason: string }).exitReason;
      reasons.add(reason);
      expect(s.side).toBe('SELL');
      if (s.decision?.outcome === 'APPROVED') {
        expect(s.decision.intent).toMatchObject({ isEntry: false, exitReason: reason });
        expect(s.decision.intent!.order?.status).toBe('filled');
      }
    }
    // On these two days (checked against the CSVs' highs and lows): every kind of exit happens.
    expect(exits.map((s) => `${s.symbol} ${s.barTs.toISOString().slice(5, 16)} ${(s.detail as { exitReason: string }).exitReason} ${s.decision?.outcome}`)).toEqual([
      'QQQ 06-04T17:40 trailing_stop APPROVED',
      'SPY 06-04T18:35 trailing_stop APPROVED',
      'QQQ 06-05T14:45 take_profit APPROVED',
      'SPY 06-05T14:50 stop_loss APPROVED',
      'SPY 06-05T17:55 stop_loss APPROVED',
    ]);
    expect([...reasons].sort()).toEqual(['stop_loss', 'take_profit', 'trailing_stop']);
    // Flat at the end: nothing armed.
    for (const pos of await p.position.findMany()) expect(pos).toMatchObject({ stopPrice: null, targetPrice: null, trailPct: null, highWater: null });

    // The backtest of the same strategy: the same round trips and the same cash.
    const bt = await runBacktest(rt.deps, { strategy: 'ma-cross-5-20', from: '2025-06-04', to: '2025-06-05' }, { id: 'test', email: 'test@example.com' });
    const fills = await p.fill.findMany({ orderBy: [{ filledAt: 'asc' }, { symbol: 'asc' }] });
    const live: string[] = [];
    const open = new Map<string, string>();
    for (const f of fills) {
      if (f.side === 'BUY') open.set(f.symbol, `${f.symbol} ${f.qty.toFixed()} @${f.price.toFixed()}`);
      else live.push(`${open.get(f.symbol)} → @${f.price.toFixed()}`);
    }
    expect(bt.trades.map((t) => `${t.symbol} ${t.qty} @${t.entryPrice} → @${t.exitPrice}`).sort()).toEqual(live.sort());
    expect(bt.metrics.endingEquity).toBe((await p.portfolioAccount.findUniqueOrThrow({ where: { id: 1 } })).cash.toFixed());
    expect(bt.metrics.exits).toBe(exits.length);
  }, 120_000);
});
