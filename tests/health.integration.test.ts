// Health answers from the real services: workers by heartbeat, the feed by freshness, and Redis or
// Postgres being unreachable turns the whole status to down (503 at the HTTP edge).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRuntime, type TestRuntime } from '@ai-trader/adapters/testing';
import { createPrisma } from '@ai-trader/db';
import { Redis } from 'ioredis';
import { checkHealth, keys } from '@ai-trader/core';

describe('checkHealth', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await createTestRuntime('health');
  });
  afterAll(async () => rt?.cleanup());

  it('is degraded with no workers and no bars, ok once both are there, degraded when the feed goes stale', async () => {
    const h0 = await checkHealth(rt.deps);
    expect(h0.status).toBe('degraded');
    expect(h0.components.workers).toMatchObject({ status: 'degraded' });
    expect(h0.components.feed).toMatchObject({ status: 'degraded', detail: 'no bar received yet' });

    const k = keys(rt.config.REDIS_PREFIX);
    await rt.deps.redis.set(k.heartbeat('ingest', 'p1'), 'x', 'EX', 15);
    await rt.deps.redis.set(k.heartbeat('risk', 'p1'), 'x', 'EX', 15);
    await rt.deps.redis.hset(k.feedLast, { ts: '2025-06-04T13:30:00Z', at: new Date().toISOString(), symbol: 'SPY' });
    const h1 = await checkHealth(rt.deps);
    expect(h1.status).toBe('ok');
    expect(h1.components.workers!.detail).toBe('1 worker process(es) alive; roles: ingest, risk');

    await rt.deps.redis.hset(k.feedLast, { at: new Date(Date.now() - 600_000).toISOString() });
    const h2 = await checkHealth(rt.deps, { feedStaleSeconds: 120 });
    expect(h2.status).toBe('degraded');
    expect(h2.components.feed!.detail).toMatch(/arrived 600 s ago/);
  });

  it('is down when Redis or Postgres cannot be reached', async () => {
    const deadRedis = new Redis('redis://127.0.0.1:1', { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
    deadRedis.on('error', () => undefined);
    const h = await checkHealth({ ...rt.deps, redis: deadRedis });
    expect(h.status).toBe('down');
    expect(h.components.redis!.status).toBe('down');
    deadRedis.disconnect();

    const deadPg = createPrisma('postgresql://postgres@127.0.0.1:1/nothing');
    const h2 = await checkHealth({ ...rt.deps, prisma: deadPg });
    expect(h2.status).toBe('down');
    expect(h2.components.postgres!.status).toBe('down');
    await deadPg.$disconnect();
  });
});
