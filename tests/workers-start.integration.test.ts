// A workers process's heartbeat means "up": it is written last, once the broker's trade_updates stream is connected,
// so a process still connecting is not counted alive (readiness, `ai-trader trade`) — and a stop after it always goes
// through the clean close, which takes the heartbeats away.
import { randomBytes } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRuntime, type TestRuntime } from '@ai-trader/adapters/testing';
import { startFakeAlpaca, type FakeAlpaca } from '@ai-trader/adapters/testing/fake-alpaca';
import { keys } from '@ai-trader/core';
import { killAll, startWorkersProcess, until } from './helpers/processes.ts';

const KEY = `PK${randomBytes(8).toString('hex').toUpperCase()}`;
const SECRET = `sk-${randomBytes(16).toString('hex')}`;

describe('workers start-up', () => {
  let rt: TestRuntime;
  let fake: FakeAlpaca;
  const running = new Set<ChildProcess>();
  beforeAll(async () => {
    fake = await startFakeAlpaca({ keyId: KEY, secretKey: SECRET, rateLimit: null });
    rt = await createTestRuntime('wstart');
  });
  afterAll(async () => {
    await killAll(running);
    await rt?.cleanup();
    await fake?.close();
  });

  it('beats only once the broker stream is up, and a stop then removes the heartbeat', async () => {
    const beats = () => rt.deps.redis.keys(keys(rt.config.REDIS_PREFIX).heartbeatPattern);
    fake.setStreamAvailable(false);
    const w = startWorkersProcess({
      DATABASE_URL: rt.config.DATABASE_URL, REDIS_URL: rt.config.REDIS_URL, REDIS_PREFIX: rt.config.REDIS_PREFIX, LOG_LEVEL: 'info', WORKER_ROLES: 'broker',
      BROKER: 'alpaca', ALPACA_KEY_ID: KEY, ALPACA_SECRET_KEY: SECRET, ALPACA_BASE_URL: fake.restUrl, ALPACA_STREAM_URL: fake.wsUrl,
    }, running);
    // Its queue workers are running (reconciliation asks Alpaca for positions), the stream is not: no heartbeat yet.
    await until('reconciliation to ask Alpaca', async () => fake.requests.some((r) => r.path.startsWith('/v2/positions')), 60_000).catch((e: Error) => {
      throw new Error(`${e.message}\n${w.output().slice(-3000)}`);
    });
    await new Promise((r) => setTimeout(r, 1000));
    expect(await beats()).toEqual([]);

    fake.setStreamAvailable(true);
    await until('the heartbeat once the stream is up', async () => (await beats()).length === 1, 30_000);
    w.child.kill('SIGINT');
    const { code, out } = await w.exited;
    expect(code, out.slice(-3000)).toBe(0);
    expect(out).toContain('workers stopped cleanly');
    expect(await beats()).toEqual([]);
  });
});
