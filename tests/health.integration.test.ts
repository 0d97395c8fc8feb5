// Readiness answers from the real services: each worker role by its heartbeat, the feed by freshness, the broker by
// asking it (a local Alpaca-compatible server) for its clock, the scheduler by its BullMQ schedules being on time;
// Redis or Postgres being unreachable turns the whole status to down (503 at the HTTP edge) and names the component.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRuntime, type TestRuntime } from '@ai-trader/adapters/testing';
import { startFakeAlpaca, type FakeAlpaca } from '@ai-trader/adapters/testing/fake-alpaca';
import { WORKER_ROLE_NAMES } from '@ai-trader/contracts';
import { createPrisma } from '@ai-trader/db';
import { Redis } from 'ioredis';
import { checkHealth, keys } from '@ai-trader/core';

const shifted = (ms: number) => ({ now: () => new Date(Date.now() + ms) });

describe('checkHealth', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await createTestRuntime('health');
  });
  afterAll(async () => rt?.cleanup());

  it('names every worker role without a heartbeat, the feed without bars; ok once all beat and bars flow; degraded when the feed goes stale', async () => {
    const h0 = await checkHealth({ prisma: rt.deps.prisma, redis: rt.deps.redis, config: rt.config, clock: rt.deps.clock });
    expect(h0).toMatchObject({ status: 'degraded', code: 200 });
    for (const role of WORKER_ROLE_NAMES) expect(h0.components[`worker.${role}`]).toMatchObject({ status: 'degraded', detail: expect.stringMatching(/no process has beaten/) });
    expect(h0.components.feed).toMatchObject({ status: 'degraded', detail: 'no bar received yet' });

    const k = keys(rt.config.REDIS_PREFIX);
    const tenSecondsAgo = new Date(Date.now() - 10_000).toISOString();
    for (const role of WORKER_ROLE_NAMES) await rt.deps.redis.set(k.heartbeat(role, 'p1'), tenSecondsAgo, 'EX', 15);
    await rt.deps.redis.set(k.heartbeat('risk', 'p2'), new Date().toISOString(), 'EX', 15);
    await rt.deps.redis.hset(k.feedLast, { ts: '2025-06-04T13:30:00Z', at: new Date().toISOString(), symbol: 'SPY' });
    const h1 = await checkHealth({ prisma: rt.deps.prisma, redis: rt.deps.redis, config: rt.config, clock: rt.deps.clock });
    expect(h1.status).toBe('ok');
    expect(h1.components['worker.ingest']!.detail).toBe('1 process(es), last beat 10 s ago');
    expect(h1.components['worker.risk']!.detail).toBe('2 process(es), last beat 0 s ago');

    await rt.deps.redis.del(k.heartbeat('execution', 'p1'));
    const h2 = await checkHealth({ prisma: rt.deps.prisma, redis: rt.deps.redis, config: rt.config, clock: rt.deps.clock });
    expect(h2.status).toBe('degraded');
    expect(Object.entries(h2.components).filter(([, c]) => c.status !== 'ok').map(([n]) => n)).toEqual(['worker.execution']);

    await rt.deps.redis.hset(k.feedLast, { at: new Date(Date.now() - 600_000).toISOString() });
    const h3 = await checkHealth({ prisma: rt.deps.prisma, redis: rt.deps.redis, config: rt.config, clock: rt.deps.clock }, { feedStaleSeconds: 120 });
    expect(h3.components.feed!.detail).toMatch(/arrived 600 s ago/);
  });

  it('the scheduler: degraded with no schedules, ok when on time, degraded naming a schedule whose run nobody took', async () => {
    const base = { prisma: rt.deps.prisma, redis: rt.deps.redis, config: rt.config, jobs: rt.deps.jobs };
    expect((await checkHealth({ ...base, clock: shifted(0) })).components.scheduler).toMatchObject({ status: 'degraded', detail: expect.stringMatching(/no job schedules registered/) });
    const q = rt.queues.queues.get('monitor.outbox')!;
    await q.upsertJobScheduler('health-test', { every: 60_000 }, { name: 'monitor.outbox', data: {} });
    expect((await checkHealth({ ...base, clock: shifted(20_000) }, { fresh: true })).components.scheduler).toMatchObject({ status: 'ok', detail: expect.stringMatching(/^1 schedule\(s\) on time/) });
    // Ten minutes on and the run is still waiting: no worker took it.
    const late = await checkHealth({ ...base, clock: shifted(600_000) }, { fresh: true });
    // Without `fresh` the verdict of the last 10 s stands (the Overview asks on every push).
    expect((await checkHealth({ ...base, clock: shifted(0) })).components.scheduler).toEqual(late.components.scheduler);
    expect(late.components.scheduler).toMatchObject({ status: 'degraded', detail: expect.stringMatching(/^overdue: health-test \(\d+ s\)/) });
    await q.removeJobScheduler('health-test');
  });

  it('is down with 503 when Redis or Postgres cannot be reached, naming the component', async () => {
    const deadRedis = new Redis('redis://127.0.0.1:1', { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
    deadRedis.on('error', () => undefined);
    const h = await checkHealth({ ...rt.deps, redis: deadRedis });
    expect(h).toMatchObject({ status: 'down', code: 503 });
    expect(h.components.redis!.status).toBe('down');
    expect(h.components.postgres!.status).toBe('ok');
    deadRedis.disconnect();

    const deadPg = createPrisma('postgresql://postgres@127.0.0.1:1/nothing');
    const h2 = await checkHealth({ ...rt.deps, prisma: deadPg });
    expect(h2).toMatchObject({ status: 'down', code: 503 });
    expect(h2.components.postgres!.status).toBe('down');
    expect(h2.components.redis!.status).toBe('ok');
    await deadPg.$disconnect();
  });
});

describe('checkHealth with Alpaca', () => {
  const creds = { keyId: `PK${randomBytes(8).toString('hex').toUpperCase()}`, secretKey: `sk-${randomBytes(16).toString('hex')}` };
  let fake: FakeAlpaca;
  let rt: TestRuntime;
  beforeAll(async () => {
    fake = await startFakeAlpaca({ ...creds, rateLimit: null });
    rt = await createTestRuntime('healthalp', { BROKER: 'alpaca', ALPACA_KEY_ID: creds.keyId, ALPACA_SECRET_KEY: creds.secretKey, ALPACA_BASE_URL: fake.restUrl, ALPACA_STREAM_URL: fake.wsUrl });
  });
  afterAll(async () => {
    await rt?.cleanup();
    await fake?.close();
  });

  it('asks the broker for its clock: ok in step, degraded when the clocks disagree by more than 2 s, down when it does not answer', async () => {
    const base = { prisma: rt.deps.prisma, redis: rt.deps.redis, config: rt.config, broker: rt.deps.broker };
    const ok = await checkHealth({ ...base, clock: shifted(0) });
    expect(ok.components.broker).toMatchObject({ status: 'ok', detail: expect.stringMatching(/^alpaca answered in \d+ ms; market open; its clock is \d+ ms (ahead of|behind) ours$/) });
    // Our clock 5 s fast: the broker's is 5 s behind.
    const skewed = await checkHealth({ ...base, clock: shifted(5000) }, { fresh: true });
    expect(skewed.components.broker!.status).toBe('degraded');
    expect(skewed.components.broker!.detail).toMatch(/its clock is [456]\d{3} ms behind ours \(limit 2000 ms/);
    await fake.close();
    const down = await checkHealth({ ...base, clock: shifted(0) }, { fresh: true });
    expect(down.components.broker).toMatchObject({ status: 'down', detail: expect.stringMatching(/^alpaca did not answer: /) });
    // The console can still serve: the summary is degraded, not down.
    expect(down).toMatchObject({ status: 'degraded', code: 200 });
  });
});
