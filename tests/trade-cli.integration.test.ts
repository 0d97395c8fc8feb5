// `ai-trader trade --mode live-sim|paper` as an operator runs it: the workers start in the foreground with the mode's
// broker and feed (their heartbeat in Redis, bars stored by the replay), SIGTERM/SIGINT stop them cleanly (exit 0, the
// heartbeat removed); paper mode refuses without Alpaca keys and starts against an Alpaca-compatible server with them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRuntime, type TestRuntime } from '@ai-trader/adapters/testing';
import { startFakeAlpaca, type FakeAlpaca } from '@ai-trader/adapters/testing/fake-alpaca';
import { keys } from '@ai-trader/core';
import { runCli, startCliProcess, until } from './helpers/processes.ts';

const KEY = 'PKTRADECLI0123456789';
const SECRET = 'trade-cli-secret-0123456789abcdef';

describe('ai-trader trade', () => {
  let rt: TestRuntime;
  let fake: FakeAlpaca;
  let env: Record<string, string>;
  const started: Array<{ killGroup(): Promise<void> }> = [];
  const heartbeats = async () => rt.deps.redis.keys(keys(rt.config.REDIS_PREFIX).heartbeatPattern);

  beforeAll(async () => {
    [rt, fake] = await Promise.all([
      createTestRuntime('tradecli'),
      startFakeAlpaca({ keyId: KEY, secretKey: SECRET, prices: { SPY: '600' }, cash: '25000' }),
    ]);
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
    await fake?.close();
    await rt?.cleanup();
  });

  it('live-sim: starts the workers on the sim broker and the replay, stores bars; SIGTERM stops them cleanly', async () => {
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
    expect(pid?.[2]).toBe('backfill, broker, execution, feed, ingest, portfolio, risk, scoring');
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

  it('paper: refuses without Alpaca keys; with them, starts against the paper endpoint and stops on SIGINT', async () => {
    const none = await runCli(['trade', '--mode', 'paper'], { ...env, ALPACA_BASE_URL: fake.restUrl, ALPACA_STREAM_URL: fake.wsUrl });
    expect(none.status, none.stderr).toBe(1);
    expect(none.stderr.trim()).toBe('paper trading needs Alpaca paper keys: add them (ai-trader keys add --provider alpaca, then keys rotate) or set ALPACA_KEY_ID and ALPACA_SECRET_KEY');
    expect(await heartbeats()).toEqual([]);

    const before = fake.requests.length;
    const p = startCliProcess(['trade', '--mode', 'paper'], { ...env, ALPACA_KEY_ID: KEY, ALPACA_SECRET_KEY: SECRET, ALPACA_BASE_URL: fake.restUrl, ALPACA_STREAM_URL: fake.wsUrl });
    started.push(p);
    await until('the workers to report running', async () => /✓ workers running/.test(p.output()), 90_000).catch((e: Error) => {
      throw new Error(`${e.message}\n${p.output()}`);
    });
    const out = p.output();
    expect(out).toMatch(new RegExp(`^ {2}broker {9}alpaca paper at ${fake.restUrl.replace(/[.]/g, '\\.')}, key PK…6789 \\(env\\); account equity [\\d.]+, cash 25000, buying power [\\d.]+$`, 'm'));
    expect(out).toMatch(/^ {2}feed {11}synthetic bars of SPY \(seed demo\)$/m);
    // The keys were tried before anything started, and the workers' broker role talks to Alpaca with them.
    const paths = fake.requests.slice(before).map((r) => `${r.method} ${r.path.split('?')[0]}`);
    expect(paths).toContain('GET /v2/account');
    expect(fake.requests.slice(before).every((r) => r.keyOk)).toBe(true);
    await until('reconciliation to ask Alpaca for positions', async () => fake.requests.slice(before).some((r) => r.path.startsWith('/v2/positions')), 30_000);

    p.child.kill('SIGINT');
    const end = await p.exited;
    expect(end.code, end.out).toBe(0);
    expect(end.out).toMatch(/✓ workers stopped cleanly\s*$/);
    expect(await heartbeats()).toEqual([]);
  });
});
