// redis_eviction_policy_ok against real Redis servers of our own (the shared one must keep noeviction): a server that
// may evict gives 0 and one warning line per policy; one that refuses CONFIG is read from INFO instead.
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRuntime, type TestRuntime } from '@ai-trader/adapters/testing';
import { consoleMetricsResponse, createLogger, createRedis } from '@ai-trader/core';
import { parseMetrics, total } from './helpers/prometheus.ts';

const servers: ChildProcess[] = [];
/** A throw-away redis-server (no persistence) on a free-ish port, with extra arguments. */
async function redisServer(args: string[]): Promise<string> {
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const p = spawn('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no', ...args], { stdio: 'ignore' });
  servers.push(p);
  const r = createRedis(`redis://127.0.0.1:${port}`, { name: 'probe' });
  r.on('error', () => undefined);
  await expect.poll(() => r.ping().catch(() => null), { timeout: 10_000 }).toBe('PONG');
  await r.quit();
  return `redis://127.0.0.1:${port}`;
}

describe('Redis eviction policy in the metrics', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await createTestRuntime('metricsredis');
  });
  afterAll(async () => {
    for (const p of servers) p.kill('SIGTERM');
    await rt?.cleanup();
  });

  async function scrape(url: string) {
    const lines: string[] = [];
    const logger = createLogger({ name: 'metricsredis', level: 'warn', stdout: { write: (s: string) => void lines.push(s) } });
    const redis = createRedis(url, { name: 'metrics' });
    try {
      const deps = { ...rt.deps, redis, logger };
      const first = parseMetrics(await (await consoleMetricsResponse(new Request('http://127.0.0.1/api/metrics'), deps)).text());
      const second = parseMetrics(await (await consoleMetricsResponse(new Request('http://127.0.0.1/api/metrics'), deps)).text());
      return { first, second, warnings: lines.map((l) => JSON.parse(l) as { msg: string; maxmemoryPolicy: string | null }) };
    } finally {
      await redis.quit();
    }
  }

  it('is 0 for allkeys-lru, with one warning naming the policy (not one per scrape)', async () => {
    const r = await scrape(await redisServer(['--maxmemory-policy', 'allkeys-lru']));
    expect(total(r.first, 'redis_eviction_policy_ok')).toBe(0);
    expect(total(r.second, 'redis_eviction_policy_ok')).toBe(0);
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatchObject({ maxmemoryPolicy: 'allkeys-lru', msg: expect.stringContaining('BullMQ needs noeviction') });
  });

  it('reads the policy from INFO when CONFIG is refused', async () => {
    const url = await redisServer(['--maxmemory-policy', 'noeviction', '--rename-command', 'CONFIG', 'CONFIG-hidden']);
    const probe = createRedis(url, { name: 'probe' });
    await expect(probe.config('GET', 'maxmemory-policy')).rejects.toThrow(/unknown command/i);
    await probe.quit();
    const r = await scrape(url);
    expect(total(r.first, 'redis_eviction_policy_ok')).toBe(1);
    expect(total(r.first, 'ai_trader_scrape_error', { part: 'redis' })).toBe(0);
    expect(r.warnings).toEqual([]);
  });
});
