// `ai-trader trade --mode live-sim` as an operator runs it: the workers start in the foreground on the sim broker and
// the replay (their heartbeat in Redis, bars stored), SIGTERM stops them cleanly (exit 0, the heartbeat removed).
// Paper mode: trade-paper-cli.integration.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRuntime, type TestRuntime } from '@ai-trader/adapters/testing';
import { keys } from '@ai-trader/core';
import { startCliProcess, until } from './helpers/processes.ts';

describe('ai-trader trade --mode live-sim', () => {
  let rt: TestRuntime;
  let env: Record<string, string>;
  const started: Array<{ killGroup(): Promise<void> }> = [];
  const heartbeats = async () => rt.deps.redis.keys(keys(rt.config.REDIS_PREFIX).heartbeatPattern);

  beforeAll(async () => {
    rt = await createTestRuntime('tradecli');
    env = {
      DATABASE_URL: rt.config.DATABASE_URL, REDIS_URL: rt.config.REDIS_URL, REDIS_PREFIX: rt.config.REDIS_PREFIX, REPLAY_DATA_DIR: rt.config.REPLAY_DATA_DIR,
      LOG_LEVEL: 'warn', LOG_STORE: 'false', REPLAY_SYMBOLS: 'SPY', FEED_SYMBOLS: 'SPY', REPLAY_START: '2025-06-04', REPLAY_END: '2025-06-04',
      REPLAY_PACING: 'lockstep', REPLAY_SPEED: '100000', REPLAY_LOOP: 'false',
      // The operator's environment says otherwise; the mode decides.
      BROKER: 'alpaca', FEED: 'synthetic',
    };
  });
  afterAll(async () => {
    await Promise.all(started.map((p) => p.killGroup()));
    await rt?.cleanup();
  });

  it('starts the workers on the sim broker and the replay, stores bars; SIGTERM stops them cleanly', async () => {
    const p = startCliProcess(['trade', '--mode', 'live-sim'], env);
    started.push(p);
    await until('the workers to report running', async () => /✓ workers running/.test(p.output()), 90_000).catch((e: Error) => {
      throw new Error(`${e.message}\n${p.output()}`);
    });
    const out = p.output();
    expect(out).toMatch(/^trade --mode live-sim$/m);
    expect(out).toMatch(/^ {2}trading state {2}ACTIVE$/m);
    expect(out).toMatch(/^ {2}broker {9}sim \(books in Postgres\)$/m);
    expect(out).toMatch(/^ {2}feed {11}replay of SPY at 100000× \(lockstep pacing, regular session, from 2025-06-04\) from /m);
    const pid = /workers running: pid (\d+), roles (.+);/.exec(out);
    expect(pid?.[2]).toBe('backfill, broker, execution, feed, ingest, portfolio, risk, scheduler, scoring');
    expect((await heartbeats()).some((k) => k.includes(`-${pid![1]}-`))).toBe(true);
    // The replay's bars reach Postgres through the pipeline the command started.
    await until('replayed bars to be stored', async () => Number((await rt.deps.pool.query<{ n: string }>('SELECT count(*)::text AS n FROM market_data_5m')).rows[0]!.n) > 10, 60_000);
    expect(await rt.deps.prisma.simAccount.count()).toBe(1);

    p.child.kill('SIGTERM');
    const end = await p.exited;
    expect(end.code, end.out).toBe(0);
    expect(end.out).toMatch(/SIGTERM: stopping the workers \(active jobs finish first\)/);
    expect(end.out).toMatch(/✓ workers stopped cleanly\s*$/);
    expect(await heartbeats()).toEqual([]);
  });
});
