// `ai-trader trade --mode paper` as an operator runs it: refused in one line without Alpaca keys; with them, the keys are
// tried against an Alpaca-compatible server, the workers start on it in the foreground (heartbeat in Redis, the broker
// role reconciling with Alpaca) and SIGINT stops them cleanly (exit 0, the heartbeat removed).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRuntime, type TestRuntime } from '@ai-trader/adapters/testing';
import { startFakeAlpaca, type FakeAlpaca } from '@ai-trader/adapters/testing/fake-alpaca';
import { keys } from '@ai-trader/core';
import { runCli, startCliProcess, until } from './helpers/processes.ts';

const KEY = 'PKTRADECLI0123456789';
const SECRET = 'trade-cli-secret-0123456789abcdef';

describe('ai-trader trade --mode paper', () => {
  let rt: TestRuntime;
  let fake: FakeAlpaca;
  let env: Record<string, string>;
  const started: Array<{ killGroup(): Promise<void> }> = [];
  const heartbeats = async () => rt.deps.redis.keys(keys(rt.config.REDIS_PREFIX).heartbeatPattern);

  beforeAll(async () => {
    [rt, fake] = await Promise.all([
      createTestRuntime('tradepaper'),
      startFakeAlpaca({ keyId: KEY, secretKey: SECRET, prices: { SPY: '600' }, cash: '25000' }),
    ]);
    env = {
      DATABASE_URL: rt.config.DATABASE_URL, REDIS_URL: rt.config.REDIS_URL, REDIS_PREFIX: rt.config.REDIS_PREFIX, REPLAY_DATA_DIR: rt.config.REPLAY_DATA_DIR,
      LOG_LEVEL: 'warn', LOG_STORE: 'false', FEED_SYMBOLS: 'SPY',
      // Generated bars: a dry run of paper trading (its default, the Polygon stream, needs a Polygon key).
      FEED: 'synthetic',
    };
  });
  afterAll(async () => {
    await Promise.all(started.map((p) => p.killGroup()));
    await fake?.close();
    await rt?.cleanup();
  });

  it('refuses without Alpaca keys; with them, starts against the paper endpoint and stops on SIGINT', async () => {
    // Both at once: the refusal needs no workers, and the start takes a while.
    const refused = runCli(['trade', '--mode', 'paper'], { ...env, ALPACA_BASE_URL: fake.restUrl, ALPACA_STREAM_URL: fake.wsUrl });
    const before = fake.requests.length;
    const p = startCliProcess(['trade', '--mode', 'paper'], { ...env, ALPACA_KEY_ID: KEY, ALPACA_SECRET_KEY: SECRET, ALPACA_BASE_URL: fake.restUrl, ALPACA_STREAM_URL: fake.wsUrl });
    started.push(p);
    await until('the workers to report running', async () => /✓ workers running/.test(p.output()), 90_000).catch((e: Error) => {
      throw new Error(`${e.message}\n${p.output()}`);
    });
    const none = await refused;
    expect(none.status, none.stderr).toBe(1);
    expect(none.stderr.trim()).toBe('paper trading needs Alpaca paper keys: add them (ai-trader keys add --provider alpaca, then keys rotate) or set ALPACA_KEY_ID and ALPACA_SECRET_KEY');
    expect(none.stdout).toBe(''); // nothing started
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
