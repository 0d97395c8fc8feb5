// Backfill end to end against a local Polygon-compatible server (pagination, 429 with Retry-After, 5xx):
// CLI → BullMQ flow → workers → Postgres. The workers are SIGKILLed mid-run; `--resume --job-id` then
// completes the run with no missing and no duplicate bars.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticBars } from '@ai-trader/adapters';
import { createTestRuntime, type TestRuntime } from '@ai-trader/adapters/testing';
import { startFakePolygon, type FakePolygon } from '@ai-trader/adapters/testing/fake-polygon';
import { runCli } from './helpers/processes.ts';

const root = path.resolve(import.meta.dirname, '..');
const SYMBOLS = ['SPY', 'QQQ', 'MSFT'];
const KEY = 'fake-key-0123456789abcdef';

describe('backfill from a Polygon-compatible server', () => {
  let fake: FakePolygon;
  let rt: TestRuntime;
  let env: Record<string, string>;
  const workers = new Set<ChildProcess>();
  let workerLog = '';
  const groups = syntheticBars({ seed: 'backfill-test', symbols: SYMBOLS, timeframe: '1m', from: '2025-07-07', to: '2025-07-10' });
  const all = groups.flat();

  beforeAll(async () => {
    const bars: Record<string, { ts: string; open: string; high: string; low: string; close: string; volume: string }[]> = {};
    for (const b of all) (bars[b.symbol] ??= []).push(b);
    const news = [1, 2, 3].map((i) => ({
      id: `n${i}`, publisher: { name: 'Wire' }, title: `SPY story ${i}`, author: 'A. Writer', published_utc: `2025-07-08T1${i}:00:00Z`,
      article_url: `https://news.example/${i}`, tickers: i === 3 ? ['SPY', 'QQQ'] : ['SPY'], description: 'text', keywords: ['etf'],
    }));
    fake = await startFakePolygon({ apiKey: KEY, bars, news, pageSize: 100, faults: { status429Every: 13, retryAfterSeconds: 1, status5xxEvery: 17 } });
    rt = await createTestRuntime('backfill', { FEED: 'polygon', POLYGON_API_KEY: KEY, POLYGON_BASE_URL: fake.restUrl, POLYGON_REQUESTS_PER_SECOND: '40' });
    const c = rt.config;
    env = {
      ...(process.env as Record<string, string>), DATABASE_URL: c.DATABASE_URL, REDIS_URL: c.REDIS_URL, REDIS_PREFIX: c.REDIS_PREFIX,
      FEED: 'polygon', POLYGON_API_KEY: KEY, POLYGON_BASE_URL: fake.restUrl, POLYGON_REQUESTS_PER_SECOND: '40', LOG_LEVEL: 'warn',
    };
  });
  afterAll(async () => {
    for (const w of workers) w.kill('SIGKILL');
    await rt?.cleanup();
    await fake?.close();
  });

  const startWorkers = () => {
    // One process (node with the tsx loader), not the tsx wrapper: SIGKILL must hit the worker itself.
    const w = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: path.join(root, 'workers'), env: { ...env, WORKER_ROLES: 'backfill' }, stdio: ['ignore', 'pipe', 'pipe'] });
    w.stdout!.on('data', (d: Buffer) => (workerLog += d.toString()));
    w.stderr!.on('data', (d: Buffer) => (workerLog += d.toString()));
    workers.add(w);
    w.on('exit', () => workers.delete(w));
    return w;
  };
  const cli = (args: string[]) => runCli(args, env);

  it('survives a killed worker and resumes from its checkpoints, exactly once per bar', async () => {
    const p = rt.deps.prisma;
    const w1 = startWorkers();
    const started = await cli(['backfill', '--symbols', SYMBOLS.join(','), '--days', '4', '--to', '2025-07-10', '--timeframe', '1m', '--detach']);
    expect(started.status, started.stderr).toBe(0);
    const runId = /started backfill ([0-9a-f-]{36}): 12 chunk\(s\) queued/.exec(started.stdout)?.[1];
    expect(runId, started.stdout).toBeTruthy();

    for (let i = 0; i < 600 && (await p.backfillChunk.count({ where: { runId, status: 'succeeded' } })) < 2; i++) await new Promise((r) => setTimeout(r, 100));
    w1.kill('SIGKILL');
    await new Promise((r) => w1.once('exit', r));
    const doneBefore = await p.backfillChunk.count({ where: { runId, status: 'succeeded' } });
    expect(doneBefore).toBeGreaterThanOrEqual(2);
    expect(doneBefore).toBeLessThan(12);

    // Resume first (it re-queues every chunk without a checkpoint), then bring a worker back: the jobs
    // of the killed attempt are still in Redis too, and running them again must change nothing.
    const resuming = cli(['backfill', '--resume', '--job-id', runId!]);
    await new Promise((r) => setTimeout(r, 4000));
    startWorkers();
    const resumed = await resuming;
    expect(resumed.status, resumed.stdout + resumed.stderr + workerLog.slice(-2000)).toBe(0);
    expect(resumed.stdout).toMatch(new RegExp(`resumed backfill ${runId}: ${12 - doneBefore} chunk\\(s\\) queued`));
    expect(resumed.stdout).toContain('succeeded market_data/1m 2025-07-07…2025-07-10  12/12 chunks, 0 failed');

    const stored = await rt.deps.pool.query<{ symbol: string; n: number }>(`SELECT symbol, count(*)::int AS n FROM market_data_1m GROUP BY 1 ORDER BY 1`);
    expect(stored.rows).toEqual([{ symbol: 'MSFT', n: 1560 }, { symbol: 'QQQ', n: 1560 }, { symbol: 'SPY', n: 1560 }]); // 4 days × 390 minutes
    const same = await rt.deps.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM market_data_1m m JOIN unnest($1::text[], $2::timestamptz[], $3::numeric[]) AS s(symbol, ts, close) USING (symbol, ts) WHERE m.close = s.close`,
      [all.map((b) => b.symbol), all.map((b) => b.ts), all.map((b) => b.close)],
    );
    expect(same.rows[0]!.n).toBe(all.length);
    // The provider's faults were met and waited out, not passed on.
    expect(fake.requests.some((r) => r.status === 429)).toBe(true);
    expect(fake.requests.some((r) => r.status >= 500)).toBe(true);
    expect(fake.requests.every((r) => r.keyOk)).toBe(true);

    // Hours and days are derived from the minutes: 7 clock hours of the session (09:00 … 15:00 ET) per day.
    const derived = await rt.deps.pool.query<{ tf: string; n: number }>(
      `SELECT '1h' AS tf, count(*)::int AS n FROM market_data_1h UNION ALL SELECT '1d', count(*)::int FROM market_data_1d ORDER BY 1`,
    );
    expect(derived.rows).toEqual([{ tf: '1d', n: 12 }, { tf: '1h', n: 3 * 4 * 7 }]);
    const spyDay = await rt.deps.pool.query(`SELECT open::text, close::text, volume::text FROM market_data_1d WHERE symbol = 'SPY' AND ts = '2025-07-07T00:00:00Z'`);
    const spyBars = all.filter((b) => b.symbol === 'SPY' && b.ts.startsWith('2025-07-07'));
    expect(spyDay.rows[0]).toEqual({
      open: Number(spyBars[0]!.open).toFixed(6), close: Number(spyBars.at(-1)!.close).toFixed(6), volume: String(spyBars.reduce((a, b) => a + Number(b.volume), 0)),
    });

    const [status, json] = await Promise.all([cli(['backfill', 'status', runId!]), cli(['backfill', 'status', runId!, '--json'])]);
    expect(status.stdout).toMatch(/SPY\s+4\/4\s+1560 rows/);
    expect(JSON.parse(json.stdout)).toMatchObject([{ id: runId, status: 'succeeded', done: 12, failed: 0 }]);
  });

  it('loads news with its tickers and publication time (stage news), once', async () => {
    startWorkers();
    for (let round = 0; round < 2; round++) {
      const r = await cli(['backfill', '--symbols', 'SPY', '--days', '1', '--to', '2025-07-08', '--stage', 'news']);
      expect(r.status, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toContain('succeeded news/5m 2025-07-08…2025-07-08  1/1 chunks, 0 failed');
    }
    const rows = await rt.deps.pool.query(`SELECT id, tickers, "publishedAt", publisher, title FROM news ORDER BY id`);
    expect(rows.rows.map((n) => [n.id, n.tickers, n.publishedAt.toISOString(), n.publisher])).toEqual([
      ['n1', ['SPY'], '2025-07-08T11:00:00.000Z', 'Wire'],
      ['n2', ['SPY'], '2025-07-08T12:00:00.000Z', 'Wire'],
      ['n3', ['SPY', 'QQQ'], '2025-07-08T13:00:00.000Z', 'Wire'],
    ]);
  });
});
