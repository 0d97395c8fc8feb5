// A backtest runs the live decision path over stored bars: on the two days the pipeline test checks by hand
// (ma-cross 5/20 on SPY and QQQ, 10 000 per entry, fills at the next open) it must give the same trades and
// the same money, to the cent.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadReplay } from '@ai-trader/adapters';
import { createTestRuntime, maCrossStrategy, type TestRuntime } from '@ai-trader/adapters/testing';
import { BacktestInputError, listBacktests, runBacktest, seedStrategies } from '@ai-trader/core';
import { loadBars } from '@ai-trader/db';

describe('backtest', () => {
  let rt: TestRuntime;
  const actor = { id: 'test', email: 'test@example.com' };
  beforeAll(async () => {
    rt = await createTestRuntime('backtest');
    await seedStrategies(rt.deps, [maCrossStrategy(['SPY', 'QQQ'])]);
    const groups = await loadReplay({ dataDir: rt.config.REPLAY_DATA_DIR, symbols: ['SPY', 'QQQ'], timeframe: '5m', start: '2025-06-04', end: '2025-06-05', session: 'regular' });
    await loadBars(rt.deps.pool, '5m', [groups.flat()]);
  });
  afterAll(async () => rt?.cleanup());

  it('gives the live pipeline’s trades and P&L on the same bars (checked by hand in pipeline.integration.test.ts)', async () => {
    const r = await runBacktest(rt.deps, { strategy: 'ma-cross-5-20', from: '2025-06-04', to: '2025-06-05' }, actor);
    expect(r.trades.map((t) => `${t.symbol} ${t.qty} ${t.entryTs.slice(5, 16)}@${t.entryPrice} → ${t.exitTs?.slice(5, 16)}@${t.exitPrice} ${t.pnl}`)).toEqual([
      'QQQ 18 06-04T17:05@529 → 06-04T19:20@529.47 8.46',
      'SPY 16 06-04T17:05@597.12 → 06-04T18:50@597.22 1.6',
      'QQQ 18 06-05T14:40@529.73 → 06-05T16:25@531.08 24.3',
      'SPY 16 06-05T14:45@596.56 → 06-05T16:30@597.9 21.44',
      'SPY 16 06-05T17:45@596.88 → 06-05T18:05@595.18 -27.2',
    ]);
    // QQQ +32.76 and SPY −4.16 realised: the pipeline's positions; cash 100 028.60.
    expect(r.metrics).toMatchObject({ startingCash: '100000', endingEquity: '100028.6', trades: 5, wins: 4, hitRate: 0.8, signals: 12, denied: { NO_POSITION_TO_EXIT: 2 }, bars: 312 });
    expect(r.metrics.maxDrawdownPct).toBeGreaterThan(0);
    expect(r.equityCurve.at(-1)).toEqual({ ts: '2025-06-05T19:55:00Z', equity: '100028.6' });
    const [stored] = await listBacktests(rt.deps, { strategy: 'ma-cross-5-20', limit: 1 });
    expect(stored).toMatchObject({ id: r.id, status: 'succeeded', metrics: r.metrics });
  });

  it('refuses what it cannot run, and records a failed run', async () => {
    await expect(runBacktest(rt.deps, { strategy: 'nope', from: '2025-06-04', to: '2025-06-05' }, actor)).rejects.toThrow(BacktestInputError);
    await expect(runBacktest(rt.deps, { strategy: 'ma-cross-5-20', from: '2025-07-01', to: '2025-07-02' }, actor)).rejects.toThrow('no stored 5m bars for SPY between 2025-07-01 and 2025-07-02');
    const [failed] = await listBacktests(rt.deps, { limit: 1 });
    expect(failed).toMatchObject({ status: 'failed', error: expect.stringContaining('no stored 5m bars') });
  });
});
