// The Data page's view: freshness per symbol and timeframe (with the expected symbols never seen), the newest
// stored bars, quarantined bars by kind and by page, and gaps in stored bars folded into runs — through the
// tRPC router with an actor, as the console calls it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRuntime, type TestRuntime } from '@ai-trader/adapters/testing';
import { LiveHub, appRouter } from '@ai-trader/api';
import type { TActor, TBar } from '@ai-trader/contracts';
import { loadBars } from '@ai-trader/db';
import { getDataView, ingestBar, listQuarantine, markFeedActive, type Clock } from '@ai-trader/core';

const bar = (symbol: string, ts: string, px = '100', high = px) => ({ symbol, timeframe: '5m' as const, ts, open: px, high, low: px, close: px, volume: '1000', source: 'test' });
const viewer: TActor = { id: 'v1', email: 'viewer@example.com', role: 'viewer' };

/** A regular session of 5m bars (13:30Z–19:55Z on a summer day), without the slots in `skip`. */
function session(symbol: string, day: string, skip: string[] = []): TBar[] {
  const out: TBar[] = [];
  for (let t = Date.parse(`${day}T13:30:00Z`); t < Date.parse(`${day}T20:00:00Z`); t += 300_000) {
    const ts = new Date(t).toISOString().replace('.000Z', 'Z');
    if (!skip.includes(ts.slice(11, 16))) out.push({ ...bar(symbol, ts), source: 'test' });
  }
  return out;
}

describe('data view', () => {
  let rt: TestRuntime;
  let live: LiveHub;
  let now = new Date('2025-06-05T14:00:00Z');
  const clock: Clock = { now: () => now };
  const caller = (actor: TActor | null) => appRouter.createCaller({ deps: rt.deps, live, actor });

  beforeAll(async () => {
    rt = await createTestRuntime('dataview', { STALE_AFTER_SECONDS: '120', REPLAY_SYMBOLS: 'SPY,QQQ,MSFT' });
    rt.deps.clock = clock;
    live = new LiveHub(rt.config.REDIS_URL, rt.config.REDIS_PREFIX);
  });
  afterAll(async () => {
    await live?.close();
    await rt?.cleanup();
  });

  it('shows freshness per symbol and timeframe, expected symbols never seen, and the newest stored bars', async () => {
    await expect(caller(null).data.get()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    await ingestBar(rt.deps, bar('SPY', '2025-06-05T13:50:00Z'));
    now = new Date(now.getTime() + 150_000);
    await ingestBar(rt.deps, bar('QQQ', '2025-06-05T13:55:00Z'));
    await ingestBar(rt.deps, { ...bar('AAPL', '2025-06-05T13:55:00Z'), timeframe: '1m' });
    await markFeedActive(rt.deps, new Date(now.getTime() - 300_000));
    now = new Date(now.getTime() + 10_000);

    const v = await caller(viewer).data.get();
    expect(v.freshness.map((f) => [f.symbol, f.timeframe, f.lastBarTs, f.ageSeconds, f.stale, f.expected])).toEqual([
      ['AAPL', '1m', '2025-06-05T13:55:00Z', 10, false, false],
      ['MSFT', '5m', null, null, true, true],
      ['QQQ', '5m', '2025-06-05T13:55:00Z', 10, false, true],
      ['SPY', '5m', '2025-06-05T13:50:00Z', 160, true, true],
    ]);
    expect(v.feed).toMatchObject({ name: 'replay', running: true });
    expect(v.staleAfterSeconds).toBe(120);
    expect(v.stored).toEqual([
      { symbol: 'AAPL', newest: { '1m': '2025-06-05T13:55:00.000Z', '5m': null, '1h': null, '1d': null } },
      { symbol: 'MSFT', newest: { '1m': null, '5m': null, '1h': null, '1d': null } },
      { symbol: 'QQQ', newest: { '1m': null, '5m': '2025-06-05T13:55:00.000Z', '1h': null, '1d': null } },
      { symbol: 'SPY', newest: { '1m': null, '5m': '2025-06-05T13:50:00.000Z', '1h': null, '1d': null } },
    ]);
  });

  it('lists quarantined bars by kind over the last day and newest first, by page', async () => {
    expect((await ingestBar(rt.deps, bar('SPY', '2025-06-05T14:00:00Z', '100', '99'))).quarantined).toBe(true); // high below the open
    for (let i = 0; i < 29; i++) await rt.deps.prisma.barQuarantine.create({ data: { symbol: 'QQQ', timeframe: '5m', ts: new Date(Date.parse('2025-06-05T13:00:00Z') + i * 300_000), kind: 'non_positive_price', detail: `close 0 (${i})`, source: 'test', raw: { i, pad: 'x'.repeat(400) } } });
    const v = await getDataView(rt.deps);
    expect(v.quarantine.lastDay).toEqual([{ kind: 'non_positive_price', count: 29 }, { kind: 'ohlc_inconsistent', count: 1 }]);
    expect(v.quarantine.latest.rows).toHaveLength(25);
    expect(v.quarantine.latest.rows[0]).toMatchObject({ symbol: 'QQQ', detail: 'close 0 (28)' });
    expect(v.quarantine.latest.rows[0]!.raw).toHaveLength(300);
    expect(v.quarantine.latest.rows[0]!.raw.endsWith('…')).toBe(true);

    const older = await caller(viewer).data.quarantine({ beforeId: v.quarantine.latest.nextBeforeId!, limit: 25 });
    expect(older.rows.map((r) => r.detail)).toEqual(['close 0 (3)', 'close 0 (2)', 'close 0 (1)', 'close 0 (0)', expect.stringContaining('high')]);
    expect(older.nextBeforeId).toBeNull();
    const spy = await listQuarantine(rt.deps, { symbol: 'SPY' });
    expect(spy.rows.map((r) => [r.kind, r.ts, r.timeframe])).toEqual([['ohlc_inconsistent', '2025-06-05T14:00:00.000Z', '5m']]);
    await expect(caller(viewer).data.quarantine({ beforeId: 'x' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('finds gaps in stored bars and folds consecutive missing slots into one run', async () => {
    await loadBars(rt.deps.pool, '5m', [[...session('MSFT', '2025-06-04', ['14:00', '14:05', '14:10', '18:00']), ...session('AAPL', '2025-06-04')]]);
    const r = await caller(viewer).data.gaps({ symbols: ['MSFT', 'AAPL'], timeframe: '5m', from: '2025-06-04', to: '2025-06-04' });
    expect(r.series.map((s) => [s.symbol, s.good, s.missing, s.runs.length])).toEqual([['MSFT', 74, 4, 2], ['AAPL', 78, 0, 0]]);
    expect(r.series[0]!.runs).toEqual([
      { kind: 'missing_bar', severity: 'warn', from: '2025-06-04T14:00:00Z', to: '2025-06-04T14:10:00Z', count: 3, detail: expect.stringContaining('10:00') },
      { kind: 'missing_bar', severity: 'warn', from: '2025-06-04T18:00:00Z', to: '2025-06-04T18:00:00Z', count: 1, detail: expect.stringContaining('14:00') },
    ]);
    await expect(caller(viewer).data.gaps({ symbols: ['MSFT'], timeframe: '1m', from: '2025-06-01', to: '2025-06-30' }))
      .rejects.toMatchObject({ code: 'BAD_REQUEST', message: '2025-06-01…2025-06-30 is 30 days: a 1m check covers at most 7 days' });
    await expect(caller(viewer).data.gaps({ symbols: ['MSFT'], timeframe: '5m', from: '2025-06-05', to: '2025-06-04' })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: 'from 2025-06-05 is after to 2025-06-04' });
    await expect(caller(viewer).data.gaps({ symbols: [], timeframe: '5m', from: '2025-06-04', to: '2025-06-04' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });
});
