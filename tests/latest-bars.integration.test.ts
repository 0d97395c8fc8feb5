// The latest-bar cache: written through on ingest (newest wins, even when bars arrive out of order),
// misses fall back to Postgres and fill the cache, and hits and misses are counted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRuntime, type TestRuntime } from '@ai-trader/adapters/testing';
import { ingestBar, latestCacheStats, latestCloses } from '@ai-trader/core';

const bar = (symbol: string, ts: string, close: string) => ({ symbol, timeframe: '5m' as const, ts, open: close, high: close, low: close, close, volume: '1', source: 'test' });

describe('latest-bar cache', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await createTestRuntime('latest');
  });
  afterAll(async () => rt?.cleanup());

  it('keeps the newest close, serves hits, and fills itself on a miss', async () => {
    await ingestBar(rt.deps, bar('SPY', '2025-06-04T13:35:00Z', '601.5'));
    await ingestBar(rt.deps, bar('SPY', '2025-06-04T13:30:00Z', '600.1')); // older, arrives later
    expect(await latestCloses(rt.deps, ['SPY'], '5m')).toEqual(new Map([['SPY', '601.5']]));
    expect(await latestCacheStats(rt.deps)).toEqual({ hits: 1, misses: 0, hitRate: 1 });

    // A bar stored by a bulk load (not through ingest) is found in Postgres, then cached.
    await rt.deps.pool.query(`INSERT INTO market_data_5m VALUES ('QQQ', '2025-06-04T13:30:00Z', 1, 1, 1, 530.25, 1, 'bulk')`);
    expect(await latestCloses(rt.deps, ['SPY', 'QQQ', 'NONE'], '5m')).toEqual(new Map([['SPY', '601.5'], ['QQQ', '530.250000']]));
    expect(await latestCacheStats(rt.deps)).toMatchObject({ hits: 2, misses: 2 });
    expect(await latestCloses(rt.deps, ['QQQ'], '5m')).toEqual(new Map([['QQQ', '530.250000']]));
    expect(await latestCacheStats(rt.deps)).toEqual({ hits: 3, misses: 2, hitRate: 0.6 });
  });
});
