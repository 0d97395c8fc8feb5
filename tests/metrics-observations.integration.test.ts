// The per-process observations where they happen: a provider's requests and 429s (PolygonRest against the fake
// Polygon, real Redis for its budget) and the console's answer cache (SnapshotCache on a real LiveHub).
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PolygonRest } from '@ai-trader/adapters';
import { createTestRuntime, type TestRuntime } from '@ai-trader/adapters/testing';
import { makeMinuteBars, startFakePolygon } from '@ai-trader/adapters/testing/fake-polygon';
import { LiveHub } from '@ai-trader/api';
import { SnapshotCache } from '../packages/api/src/snapshot-cache.ts';
import { createLogger, processMetrics } from '@ai-trader/core';

type Metric = { get(): Promise<{ values: { value: number; labels: Record<string, string | number> }[] }> };
async function value(m: Metric, labels: Record<string, string>): Promise<number> {
  const v = (await m.get()).values.find((x) => Object.entries(labels).every(([k, l]) => x.labels[k] === l));
  return v?.value ?? 0;
}

describe('per-process observations', () => {
  let rt: TestRuntime;
  let redis: Redis;
  const prefix = `t-metricsobs-${randomBytes(4).toString('hex')}`;
  beforeAll(async () => {
    rt = await createTestRuntime('metricsobs');
    redis = new Redis(rt.config.REDIS_URL);
  });
  afterAll(async () => {
    const found = await redis?.keys(`${prefix}:*`);
    if (found?.length) await redis.del(...found);
    await redis?.quit();
    await rt?.cleanup();
  });

  it('counts provider requests by answer, the 429s, and times them', async () => {
    const key = `sk-${randomBytes(8).toString('hex')}`;
    const fake = await startFakePolygon({ apiKey: key, bars: { AAPL: makeMinuteBars('2024-01-02T14:30:00Z', 10) }, pageSize: 5, faults: { status429Every: 2, retryAfterSeconds: 0 } });
    try {
      const m = processMetrics();
      const before = {
        ok: await value(m.providerRequests, { provider: 'polygon', code: '2xx' }),
        limited: await value(m.providerRequests, { provider: 'polygon', code: '429' }),
        r429: await value(m.providerRateLimited, { provider: 'polygon' }),
      };
      const rest = new PolygonRest({ baseUrl: fake.restUrl, apiKey: key, redis, prefix, requestsPerSecond: 1000, logger: createLogger({ name: 'metricsobs', level: 'silent' }), sleep: async () => undefined });
      const pages: unknown[] = [];
      for await (const p of rest.aggregates({ ticker: 'AAPL', multiplier: 1, timespan: 'minute', from: '2024-01-02', to: '2024-01-02' })) pages.push(p);
      const answered = fake.requests.filter((r) => r.path.startsWith('/v2/aggs'));
      const by = (s: number) => answered.filter((r) => r.status === s).length;
      expect(by(429)).toBeGreaterThan(0);
      expect(await value(m.providerRequests, { provider: 'polygon', code: '2xx' }) - before.ok).toBe(by(200));
      expect(await value(m.providerRequests, { provider: 'polygon', code: '429' }) - before.limited).toBe(by(429));
      expect(await value(m.providerRateLimited, { provider: 'polygon' }) - before.r429).toBe(by(429));
      const text = await m.registry.metrics();
      expect(text).toMatch(/provider_request_duration_seconds_count\{[^}]*provider="polygon"[^}]*\} [1-9]/);
      expect(text).not.toContain(key);
    } finally {
      await fake.close();
    }
  });

  it('counts console cache hits, misses and bypasses', async () => {
    const m = processMetrics().cacheRequests;
    const at = async () => ({ hit: await value(m, { cache: 'snapshot', result: 'hit' }), miss: await value(m, { cache: 'snapshot', result: 'miss' }), bypass: await value(m, { cache: 'snapshot', result: 'bypass' }) });
    const hub = new LiveHub(rt.config.REDIS_URL, rt.config.REDIS_PREFIX);
    try {
      const cache = new SnapshotCache(hub, { maxEntries: 4, maxAgeMs: 60_000 });
      const b0 = await at();
      await cache.get('k', ['position'], async () => 1); // not subscribed yet: computed, nothing kept
      expect((await at()).bypass - b0.bypass).toBe(1);
      await expect.poll(() => hub.stamp(['position'])).not.toBeNull();
      const b1 = await at();
      await cache.get('k', ['position'], async () => 1);
      await cache.get('k', ['position'], async () => 2);
      await cache.get('k', ['position'], async () => 3);
      const b2 = await at();
      expect([b2.miss - b1.miss, b2.hit - b1.hit]).toEqual([1, 2]);
    } finally {
      await hub.close();
    }
  });
});
