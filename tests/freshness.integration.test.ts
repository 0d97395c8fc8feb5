// Freshness per symbol: a symbol whose newest bar arrived too long ago is reported stale, degrades
// health, and risk denies new entries on it (exits stay allowed).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensurePartitions } from '@ai-trader/db';
import { createTestRuntime, type TestRuntime } from '@ai-trader/adapters/testing';
import { checkHealth, checkRisk, ingestBar, listAlerts, markFeedActive, markFeedStopped, monitorFreshness, readFreshness, type Clock } from '@ai-trader/core';

const bar = (symbol: string, ts: string) => ({ symbol, timeframe: '5m' as const, ts, open: '100', high: '100', low: '100', close: '100', volume: '10', source: 'test' });

describe('market data freshness', () => {
  let rt: TestRuntime;
  let now = new Date('2026-11-26T15:00:00Z');
  const clock: Clock = { now: () => now };
  beforeAll(async () => {
    rt = await createTestRuntime('fresh', { STALE_AFTER_SECONDS: '120', REPLAY_SYMBOLS: 'SPY,QQQ,MSFT' });
    await ensurePartitions(rt.deps.pool, 'market_data_5m', new Date('2025-06-01T00:00:00Z'), new Date('2025-06-01T00:00:00Z')); // as the daily job would have (a bar without one alerts)
    rt.deps.clock = clock;
  });
  afterAll(async () => rt?.cleanup());

  it('tracks the newest bar per symbol and flags the stale ones', async () => {
    await ingestBar(rt.deps, bar('SPY', '2025-06-04T13:30:00Z'));
    now = new Date(now.getTime() + 100_000);
    await ingestBar(rt.deps, bar('QQQ', '2025-06-04T13:35:00Z'));
    now = new Date(now.getTime() + 60_000); // SPY's bar is now 160 s old, QQQ's 60 s
    const f = await readFreshness(rt.deps, '5m');
    expect(f.map((x) => [x.symbol, x.ageSeconds, x.stale])).toEqual([['QQQ', 60, false], ['SPY', 160, true]]);
    const h = await checkHealth(rt.deps);
    expect(h.components.feed).toMatchObject({ status: 'degraded', detail: 'stale: SPY 5m (160 s)' });
  });

  it('denies entries on a stale symbol and allows them on a fresh one', async () => {
    const p = rt.deps.prisma;
    const signal = (symbol: string) => p.signal.create({ data: { strategy: `test-${symbol}`, symbol, barTs: new Date('2025-06-04T14:00:00Z'), side: 'BUY', price: '100', detail: {} } });
    expect(await checkRisk(rt.deps, { signalId: (await signal('SPY')).id })).toMatchObject({ outcome: 'DENIED', reasonCode: 'STALE_MARKET_DATA' });
    expect(await checkRisk(rt.deps, { signalId: (await signal('QQQ')).id })).toMatchObject({ outcome: 'APPROVED' });
    expect(await checkRisk(rt.deps, { signalId: (await signal('MSFT')).id })).toMatchObject({ outcome: 'DENIED', reasonCode: 'STALE_MARKET_DATA' }); // never seen
  });

  it('the stale-feed watch opens one alert per stale symbol while the feed runs, and resolves it when fresh or stopped', async () => {
    expect(await monitorFreshness(rt.deps)).toMatchObject({ watching: false, why: 'feed not running', stale: [] });
    await markFeedActive(rt.deps, new Date(now.getTime() - 300_000)); // running for 5 min
    const first = await monitorFreshness(rt.deps);
    expect(first).toMatchObject({ watching: true, stale: ['SPY', 'MSFT'], opened: ['SPY', 'MSFT'] });
    expect((await monitorFreshness(rt.deps)).opened).toEqual([]); // still stale: counted, not raised again
    const open = await listAlerts(rt.deps, { open: true, limit: 10 });
    expect(open.map((a) => `${a.key} ${a.level} ${a.count}`).sort()).toEqual(['feed.stale:MSFT:5m warning 2', 'feed.stale:SPY:5m warning 2']);
    expect(open.find((a) => a.key === 'feed.stale:SPY:5m')!.message).toMatch(/^SPY 5m feed is stale: newest bar 2025-06-04T13:30:00Z arrived 160s ago \(limit 120s\); no new entries on SPY$/);
    expect(open.find((a) => a.key === 'feed.stale:MSFT:5m')!.message).toMatch(/^MSFT 5m feed has delivered no bar since the feed started/);

    await ingestBar(rt.deps, bar('SPY', '2025-06-04T13:40:00Z'));
    expect(await monitorFreshness(rt.deps)).toMatchObject({ stale: ['MSFT'], resolved: ['SPY'] });
    await markFeedStopped(rt.deps);
    expect(await monitorFreshness(rt.deps)).toMatchObject({ watching: false, resolved: ['feed.stale:MSFT:5m'] });
    expect(await listAlerts(rt.deps, { open: true, limit: 10 })).toEqual([]);
    const history = await listAlerts(rt.deps, { open: false, limit: 10 });
    expect(history.map((a) => `${a.key} ${a.resolution}`).sort()).toEqual(['feed.stale:MSFT:5m feed not running', expect.stringMatching(/^feed.stale:SPY:5m fresh again: bar 2025-06-04T13:40:00Z arrived 0s ago$/)]);
  });
});
