// The walking skeleton, for real: replayed bars → queues → workers → Postgres → sim broker → positions.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRuntime, maCrossStrategy, type TestRuntime } from '@ai-trader/adapters/testing';
import { keys } from '@ai-trader/core';
import { dec } from '@ai-trader/domain';
import { loadReplay, runReplay } from '@ai-trader/adapters';
import { haltTrading, seedStrategies, verifyAuditChain } from '@ai-trader/core';
import { startPipeline } from './pipeline.ts';
import { EXPECTED, SLICE, snapshot } from '../../tests/helpers/replay-slice.ts';

describe('replay through the real pipeline', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await createTestRuntime('pipeline', SLICE);
    await seedStrategies(rt.deps, [maCrossStrategy(['SPY', 'QQQ'])]);
  });
  afterAll(async () => rt?.cleanup());

  it('produces exactly the expected signals, orders, fills and positions — and nothing twice', async () => {
    const pipeline = await startPipeline(rt, ['feed', 'ingest', 'scoring', 'risk', 'execution', 'broker', 'portfolio']);
    expect(await pipeline.feedDone).toBe(156); // 2 days × 78 regular-session bars
    await pipeline.close();
    const first = await snapshot(rt);
    expect(first).toEqual(EXPECTED);

    // Every fill is at the open of the bar after the signal's bar, as the sim broker promises.
    const fills = await rt.deps.prisma.fill.findMany({ include: { order: { include: { intent: { include: { riskDecision: { include: { signal: true } } } } } } } });
    for (const f of fills) {
      const signalTs = f.order.intent.riskDecision.signal.barTs;
      const next = await rt.deps.prisma.bar5m.findFirstOrThrow({ where: { symbol: f.symbol, ts: { gt: signalTs } }, orderBy: { ts: 'asc' } });
      expect(f.price.toFixed(), `${f.symbol} fill after ${signalTs.toISOString()}`).toBe(next.open.toFixed());
    }
    // Cash moved by exactly the fills.
    const flow = fills.reduce((c, f) => c.plus(dec(f.qty.toString()).times(f.price.toString()).times(f.side === 'BUY' ? -1 : 1)), dec(0));
    expect(dec(first.cash).minus(100_000).toFixed()).toBe(flow.toFixed());

    // An independent oracle: plain SMA crosses over the CSV closes give the same signal times and sides.
    const groups = await loadReplay({ dataDir: rt.config.REPLAY_DATA_DIR, symbols: ['SPY', 'QQQ'], timeframe: '5m', start: '2025-06-04', end: '2025-06-05', session: 'regular' });
    const expectedSignals: string[] = [];
    for (const sym of ['SPY', 'QQQ']) {
      const bars = groups.flat().filter((b) => b.symbol === sym);
      const sma = (i: number, n: number) => bars.slice(i - n + 1, i + 1).reduce((a, b) => a + Number(b.close), 0) / n;
      for (let i = 20; i < bars.length; i++) {
        const prev = sma(i - 1, 5) - sma(i - 1, 20), now = sma(i, 5) - sma(i, 20);
        if (now > 0 && !(prev > 0)) expectedSignals.push(`${sym} ${bars[i]!.ts.slice(5, 16)} BUY`);
        if (now < 0 && !(prev < 0)) expectedSignals.push(`${sym} ${bars[i]!.ts.slice(5, 16)} SELL`);
      }
    }
    expect(first.signals.map((s) => s.split(' ').slice(0, 3).join(' ')).sort()).toEqual(expectedSignals.sort());

    // Replay the same slice again from the start: every hop is idempotent, nothing is added.
    await rt.deps.redis.del(keys(rt.config.REDIS_PREFIX).feedCursor('replay'));
    const again = await startPipeline(rt, ['feed', 'ingest', 'scoring', 'risk', 'execution', 'broker', 'portfolio']);
    expect(await again.feedDone).toBe(156);
    await again.close();
    expect(await snapshot(rt)).toEqual(EXPECTED);

    // The audit trail has every order decision once (the replay's second pass decided nothing again) and every
    // broker call, each naming what it was about; the chain is intact.
    const decisions = await rt.deps.prisma.riskDecision.findMany({ include: { intent: { include: { order: true } } } });
    const decided = await rt.deps.prisma.auditLog.findMany({ where: { action: 'order.decision' } });
    expect(decided.map((a) => (a.after as { decisionId: string }).decisionId).sort()).toEqual(decisions.map((d) => d.id).sort());
    for (const a of decided) expect(a.actorEmail).toBe('system:risk');
    const orders = decisions.flatMap((d) => (d.intent?.order ? [d.intent.order.clientOrderId] : []));
    const calls = await rt.deps.prisma.auditLog.findMany({ where: { action: 'broker.submit' } });
    expect(calls.map((a) => (a.after as { clientOrderId: string }).clientOrderId).sort()).toEqual(orders.sort());
    expect(calls.every((a) => a.reason === 'accepted by sim' && a.actorEmail === 'system:execution')).toBe(true);
    expect((await verifyAuditChain(rt.deps)).intact).toBe(true);
    // The feed made the replayed months' partitions first: no bar waited in DEFAULT, no alert about it.
    expect(await rt.deps.prisma.alert.count({ where: { key: { startsWith: 'partition.default' } } })).toBe(0);
  });
});

describe('HALT in the middle of a replay', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    // Realtime pacing, fast: the halt lands while bars, signals and orders are in flight.
    rt = await createTestRuntime('halt', { ...SLICE, REPLAY_END: '2025-06-10', REPLAY_PACING: 'realtime', REPLAY_SPEED: '30000' });
    await seedStrategies(rt.deps, [maCrossStrategy(['SPY', 'QQQ'])]);
  });
  afterAll(async () => rt?.cleanup());

  it('creates no order after the halt and leaves nothing open at the broker', async () => {
    const p = rt.deps.prisma;
    const pipeline = await startPipeline(rt, ['ingest', 'scoring', 'risk', 'execution', 'broker', 'portfolio'], { feed: false });
    const groups = await loadReplay({ dataDir: rt.config.REPLAY_DATA_DIR, symbols: ['SPY', 'QQQ'], timeframe: '5m', start: '2025-06-04', end: '2025-06-10', session: 'regular' });
    const ac = new AbortController();
    let halt: Promise<unknown> | null = null;
    let haltedAt: Date | null = null;
    await runReplay({
      groups, timeframe: '5m', pacing: 'realtime', speed: 30_000, signal: ac.signal,
      emit: (bar) => rt.deps.jobs.add('ingest.bars', { bar }),
      onProgress: () => {
        if (halt) return;
        // Halt as soon as a few orders exist, while the replay keeps going.
        halt = p.order.count().then(async (n) => {
          if (n < 3) return (halt = null);
          haltedAt = new Date();
          return haltTrading(rt.deps, { actor: { id: 'test', email: 'test@example.com', role: 'admin' }, reason: 'integration test halt' });
        });
      },
    });
    await halt;
    await waitForIdle(rt);
    await pipeline.close();

    expect(haltedAt).not.toBeNull();
    const state = await p.tradingStateRow.findUniqueOrThrow({ where: { id: 1 } });
    expect(state.state).toBe('HALTED');
    const changed = state.changedAt;
    expect(await p.order.count({ where: { createdAt: { gte: changed } } })).toBe(0);
    expect(await p.simOrder.count({ where: { createdAt: { gte: changed } } })).toBe(0);
    expect(await p.simOrder.count({ where: { status: { in: ['new', 'partially_filled'] } } })).toBe(0);
    expect(await p.order.count({ where: { status: { in: ['pending_new', 'new', 'partially_filled'] } } })).toBe(0);
    // The replay went on after the halt, and what it produced was refused, not lost.
    const later = await p.signal.findMany({ where: { createdAt: { gt: changed } }, include: { decision: { include: { intent: true } } } });
    expect(later.length).toBeGreaterThan(0);
    for (const s of later) {
      const d = s.decision!;
      expect(d.outcome === 'DENIED' ? d.reasonCode : d.intent?.status).toMatch(/TRADING_HALTED|BLOCKED/);
    }
    // Seeding the strategy is audited too, and so is every order decision and broker call (system actors): operator actions only here.
    const audit = await p.auditLog.findMany({ where: { NOT: [{ action: { startsWith: 'strategy.' } }, { actorEmail: { startsWith: 'system:' } }] }, orderBy: { id: 'asc' } });
    expect(audit.map((a) => a.action)).toEqual(['trading.halt', 'orders.cancel-all']);
    expect(audit[0]!.before).toMatchObject({ tradingState: { state: 'ACTIVE' } });
    expect(audit[0]!.after).toMatchObject({ tradingState: { state: 'HALTED', changedBy: 'test@example.com' } });
  });
});

async function waitForIdle(rt: TestRuntime) {
  const { pipelineIdle } = await import('@ai-trader/core');
  for (let i = 0; i < 3000 && !(await pipelineIdle(rt.queues.queues)); i++) await new Promise((r) => setTimeout(r, 20));
}
