// Freshness per symbol: a symbol whose newest bar arrived too long ago is reported stale, degrades
// health, and risk denies new entries on it (exits stay allowed).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRuntime, type TestRuntime } from '@ai-trader/adapters/testing';
import { checkHealth, checkRisk, ingestBar, readFreshness, type Clock } from '@ai-trader/core';

const bar = (symbol: string, ts: string) => ({ symbol, timeframe: '5m' as const, ts, open: '100', high: '100', low: '100', close: '100', volume: '10', source: 'test' });

describe('market data freshness', () => {
  let rt: TestRuntime;
  let now = new Date('2026-11-26T15:00:00Z');
  const clock: Clock = { now: () => now };
  beforeAll(async () => {
    rt = await createTestRuntime('fresh', { STALE_AFTER_SECONDS: '120' });
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
    const signal = (symbol: string) => p.signal.create({ data: { strategy: 'test', symbol, barTs: new Date(), side: 'BUY', price: '100', detail: {} } });
    expect(await checkRisk(rt.deps, { signalId: (await signal('SPY')).id })).toMatchObject({ outcome: 'DENIED', reasonCode: 'STALE_MARKET_DATA' });
    expect(await checkRisk(rt.deps, { signalId: (await signal('QQQ')).id })).toMatchObject({ outcome: 'APPROVED' });
    expect(await checkRisk(rt.deps, { signalId: (await signal('MSFT')).id })).toMatchObject({ outcome: 'DENIED', reasonCode: 'STALE_MARKET_DATA' }); // never seen
  });
});
