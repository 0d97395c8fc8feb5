// Readiness checks 1 and 2 — the provider APIs against the local fake Alpaca and Polygon servers (account and clock,
// fresh data, rate limits, key age and source), the sim/replay install failing them for its reason, and the code check
// scanning a built app's server bundles for test code.
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRuntime, type TestRuntime } from '@ai-trader/adapters/testing';
import { startFakeAlpaca, type FakeAlpaca } from '@ai-trader/adapters/testing/fake-alpaca';
import { startFakePolygon, type FakePolygon } from '@ai-trader/adapters/testing/fake-polygon';
import type { TReadinessCheckId } from '@ai-trader/contracts';
import { addApiKey, keys, rotateApiKey, runReadinessCheck, type Clock, type ReadinessEnv } from '@ai-trader/core';

const KEY = { keyId: 'PKREADINESS0000000001', secretKey: 'readiness-secret-0000000000000000000000' };
const POLY = 'polyreadinesskey0000000000000001';
const admin = { id: 'u-admin', email: 'admin@example.com', role: 'admin' as const };

describe('readiness: APIs against the fake providers, and the code check', () => {
  let dir: string;
  let env: ReadinessEnv;
  let sim: TestRuntime;
  let live: TestRuntime;
  let alpaca: FakeAlpaca;
  let polygon: FakePolygon;
  let now = new Date('2025-06-14T16:00:00Z'); // a Saturday: the market is closed
  const clock: Clock = { now: () => now };
  const run = (rt: TestRuntime, id: TReadinessCheckId) => runReadinessCheck(rt.deps, id, { ranBy: 'test', trigger: 'manual', env });

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'readiness-apis-'));
    env = { repoDir: path.resolve(import.meta.dirname, '..'), consoleBuildDir: path.join(dir, '.next'), alertsFile: path.join(dir, 'alerts.yml') };
    alpaca = await startFakeAlpaca({ keyId: KEY.keyId, secretKey: KEY.secretKey, prices: { SPY: '500' } });
    polygon = await startFakePolygon({ apiKey: POLY });
    sim = await createTestRuntime('readiness-sim');
    live = await createTestRuntime('readiness-live', {
      BROKER: 'alpaca', ALPACA_BASE_URL: alpaca.restUrl, ALPACA_STREAM_URL: alpaca.wsUrl, ALPACA_KEY_ID: KEY.keyId, ALPACA_SECRET_KEY: KEY.secretKey,
      FEED: 'polygon', FEED_SYMBOLS: 'SPY', POLYGON_BASE_URL: polygon.restUrl, POLYGON_STREAM_URL: polygon.wsUrl, POLYGON_API_KEY: POLY,
      KEYS_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
    });
    live.deps.clock = clock;
  });
  afterAll(async () => {
    await sim?.cleanup();
    await live?.cleanup();
    await alpaca?.close();
    await polygon?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('the sim broker and the replay feed fail the API checks: nothing to go live on', async () => {
    expect(await run(sim, 'apis.market-data')).toMatchObject({ status: 'fail', summary: 'FEED=replay: no market-data provider to trade live on' });
    expect(await run(sim, 'apis.broker')).toMatchObject({ status: 'fail', summary: 'BROKER=sim: no broker account to trade live with' });
    expect(await run(sim, 'apis.keys')).toMatchObject({ status: 'fail', summary: 'no provider key in use (BROKER=sim, FEED not polygon, nothing stored)' });
  });

  it('apis.broker: the fake Alpaca\'s account and clock answer', async () => {
    // Its clock is the wall clock: ours, standing in 2025, is far off — a real reason to fail.
    expect((await run(live, 'apis.broker')).summary).toMatch(/^the broker's clock is \d+ ms from ours: fix this machine's time \(NTP\)$/);
    now = new Date();
    const r = await run(live, 'apis.broker');
    now = new Date('2025-06-14T16:00:00Z');
    expect(r.status, r.summary).toBe('pass');
    expect(r.summary).toMatch(/^account ACTIVE, buying power [\d.]+; clock /);
  });

  it('apis.market-data: Polygon answers; in the session every feed symbol must be fresh', async () => {
    expect((await run(live, 'apis.market-data')).summary).toMatch(/^Polygon answers .*; market closed, freshness not judged$/);
    now = new Date('2025-06-13T15:00:00Z'); // Friday 11:00 New York
    expect((await run(live, 'apis.market-data')).summary).toBe('the market is open and 1 feed symbol(s) have no bar within 120 s: SPY');
    await live.deps.redis.hset(keys(live.config.REDIS_PREFIX).freshness('5m'), 'SPY', JSON.stringify({ ts: '2025-06-13T14:55:00Z', at: '2025-06-13T14:59:30Z' }));
    expect((await run(live, 'apis.market-data')).summary).toMatch(/; every feed symbol fresh \(newest 30 s\)$/);
    now = new Date('2025-06-14T16:00:00Z');
  });

  it('apis.market-data fails with the provider\'s answer when the key is refused', async () => {
    live.deps.config.POLYGON_API_KEY = 'wrong-key-000000000000000000000';
    const r = await run(live, 'apis.market-data');
    live.deps.config.POLYGON_API_KEY = POLY;
    expect(r.status).toBe('fail');
    expect(r.summary).toMatch(/^Polygon does not answer as it should: /);
  });

  it('apis.rate-limits: below the providers\' passes; a pace at Polygon\'s limit, a busy Alpaca minute or a 429 pause fails', async () => {
    expect((await run(live, 'apis.rate-limits')).status).toBe('pass');
    live.deps.config.POLYGON_REQUESTS_PER_SECOND = 100;
    expect((await run(live, 'apis.rate-limits')).summary).toBe('POLYGON_REQUESTS_PER_SECOND 100 is not below Polygon\'s 100');
    live.deps.config.POLYGON_REQUESTS_PER_SECOND = 5;
    // The orders risk allows, at ~3 calls each, against the part of Alpaca's limit entries may use.
    const perMinute = live.deps.config.RISK_MAX_ORDERS_PER_MINUTE;
    live.deps.config.RISK_MAX_ORDERS_PER_MINUTE = 60;
    expect((await run(live, 'apis.rate-limits')).summary).toBe("RISK_MAX_ORDERS_PER_MINUTE 60 (×3 calls) reaches the 180/min of Alpaca's 200 that entries may use (ALPACA_RESERVED_REQUESTS 20 kept back)");
    live.deps.config.ALPACA_REQUESTS_PER_MINUTE = 1000; // a raised account limit, configured
    expect((await run(live, 'apis.rate-limits')).status).toBe('pass');
    live.deps.config.ALPACA_REQUESTS_PER_MINUTE = 200;
    live.deps.config.RISK_MAX_ORDERS_PER_MINUTE = perMinute;
    // What Alpaca's shared limiter holds: 170 grants in the last minute (as its script writes them), then a 429 pause.
    const [sec] = await live.deps.redis.time();
    const nowUs = Number(sec) * 1_000_000;
    const window = `${live.config.REDIS_PREFIX}:alpaca:rl:0123456789ab`;
    await live.deps.redis.zadd(window, ...Array.from({ length: 170 }, (_, i) => [nowUs - i * 1000, `g${i}`]).flat());
    expect((await run(live, 'apis.rate-limits')).summary).toBe('170 Alpaca requests in the last minute (more than 80 % of its 200)');
    await live.deps.redis.del(window);
    await live.deps.redis.set(`${live.config.REDIS_PREFIX}:alpaca:rl-pause:0123456789ab`, String(nowUs + 30_000_000));
    expect((await run(live, 'apis.rate-limits')).summary).toBe('Alpaca answered 429 (rate limited): every process is held off now');
    await live.deps.redis.del(`${live.config.REDIS_PREFIX}:alpaca:rl-pause:0123456789ab`);
    expect((await run(live, 'apis.rate-limits')).status).toBe('pass');
  });

  it('apis.keys: keys from the environment fail (age unknown); stored, tested and young keys pass', async () => {
    expect((await run(live, 'apis.keys')).summary).toBe('alpaca: the key comes from the environment, so its age and rotation are unknown; polygon: the key comes from the environment, so its age and rotation are unknown');
    const a = await addApiKey(live.deps, { actor: admin, key: { provider: 'alpaca', ...KEY } });
    await rotateApiKey(live.deps, { actor: admin, provider: 'alpaca', id: a.id, reason: 'store it' });
    const p = await addApiKey(live.deps, { actor: admin, key: { provider: 'polygon', apiKey: POLY } });
    await rotateApiKey(live.deps, { actor: admin, provider: 'polygon', id: p.id, reason: 'store it' });
    const r = await run(live, 'apis.keys');
    expect(r.status, r.summary).toBe('pass');
    now = new Date(Date.parse('2025-06-14T16:00:00Z') + 91 * 86_400_000); // keys are dated by the deps clock
    expect((await run(live, 'apis.keys')).summary).toMatch(/^alpaca: key 91 days old \(rotate after 90\); polygon: key 91 days old \(rotate after 90\)$/);
    now = new Date('2025-06-14T16:00:00Z');
  });

  it('code.no-test-code: no build fails; clean bundles pass; a bundle with a fake in it fails naming it', async () => {
    expect((await run(sim, 'code.no-test-code')).summary).toBe(`no built console at ${path.join(dir, '.next/server')}: nothing to scan`);
    await mkdir(path.join(dir, '.next/server/app/orders'), { recursive: true });
    await writeFile(path.join(dir, '.next/server/app/orders/page.js'), 'export default function Page(){return "orders"}');
    await writeFile(path.join(dir, '.next/server/chunk-1.js'), 'import("@ai-trader/adapters")');
    expect((await run(sim, 'code.no-test-code')).summary).toMatch(/^2 server bundles of the build of .* and \d+ modules reachable from workers\/src\/main.ts, apps\/cli\/src\/main.ts scanned: no testing module, fake or test framework$/);
    // The check's own module is in the bundle too: its patterns must not find themselves.
    await writeFile(path.join(dir, '.next/server/chunk-0.js'), await readFile(path.resolve(import.meta.dirname, '../packages/core/src/use-cases/readiness-code.ts'), 'utf8'));
    expect((await run(sim, 'code.no-test-code')).status).toBe('pass');
    await writeFile(path.join(dir, '.next/server/chunk-2.js'), 'var x=require("../../packages/adapters/src/testing/fake-alpaca.ts")');
    const r = await run(sim, 'code.no-test-code');
    expect(r.summary).toBe('1 server bundle(s) contain test code (first: chunk-2.js: a testing/ module)');
    expect((await sim.deps.prisma.readinessResult.findFirstOrThrow({ where: { check: 'code.no-test-code', status: 'fail' }, orderBy: { finishedAt: 'desc' } })).evidence)
      .toMatchObject({ hits: ['chunk-2.js: a testing/ module', 'chunk-2.js: a fake server'] });
  });

  it('code.no-test-code: a fake or a test framework reachable from the workers\' or the CLI\'s entry point fails, naming who imports it', async () => {
    const repo = path.join(dir, 'repo');
    await mkdir(path.join(repo, 'workers/src'), { recursive: true });
    await mkdir(path.join(repo, 'apps/cli/src'), { recursive: true });
    await writeFile(path.join(repo, 'workers/src/main.ts'), "import type { X } from './types.ts';\nimport { start } from './start.ts';\nstart();\n");
    await writeFile(path.join(repo, 'workers/src/start.ts'), "export { startFakeAlpaca } from '../../packages/adapters/src/testing/fake-alpaca.ts';\nexport const start = () => 1;\n");
    await writeFile(path.join(repo, 'apps/cli/src/main.ts'), "import {\n  describe,\n} from 'vitest';\nconst later = () => import('node:fs');\n");
    const r = await runReadinessCheck(sim.deps, 'code.no-test-code', { ranBy: 'test', trigger: 'manual', env: { ...env, repoDir: repo } });
    expect(r.summary).toMatch(/; 2 test module\(s\) reachable from the workers' or the CLI's entry point \(first: vitest \(imported by apps\/cli\/src\/main.ts\)\)$/);
    const stored = await sim.deps.prisma.readinessResult.findFirstOrThrow({ where: { check: 'code.no-test-code' }, orderBy: { finishedAt: 'desc' } });
    expect(stored.evidence).toMatchObject({ reachedFromEntryPoints: ['vitest (imported by apps/cli/src/main.ts)', 'packages/adapters/src/testing/fake-alpaca.ts (imported by workers/src/start.ts)'] });
  });
});
