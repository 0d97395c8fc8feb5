// Benchmark (issue: backfill throughput): a real 1m backfill — startBackfill → BullMQ → two worker processes →
// Postgres — against the local Polygon-compatible server limited to N requests/s (the reference, shared by both
// workers through Redis). From the server's request log: successful requests/s over the busy window (first to last
// request) as a ratio of N, the 429s and their longest streak of consecutive seconds, and the bars stored vs served.
// Goal: ratio ≥ 0.90 with no sustained 429s (no streak of 2 s or more). A context line (machine load, CPU of the
// server and workers, median request spacing, and how long a due request slot went unclaimed because no worker was
// asking for it) tells a pacing shortfall from a busy machine or workers that cannot keep up.
//   pnpm exec tsx bench/backfill-throughput.bench.ts [requestsPerSecond=20] [seconds=20]
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import path from 'node:path';
import { polygonKeys, syntheticBars } from '@ai-trader/adapters';
import { createTestRuntime, type TestRuntime } from '@ai-trader/adapters/testing';
import { startFakePolygon, type FakePolygon, type FakeRequest } from '@ai-trader/adapters/testing/fake-polygon';
import { keys, startBackfill } from '@ai-trader/core';
import { report } from './report.ts';

const RPS = Number(process.argv[2] ?? 20);
const SECONDS = Number(process.argv[3] ?? 20); // how long the run should take at the allowed rate
if (!(RPS > 0) || !(SECONDS > 0)) throw new Error('usage: backfill-throughput.bench.ts [requestsPerSecond > 0] [seconds > 0]');
const KEY = 'bench-key-0123456789abcdef';
const WORKERS = 2;
const PAGE = 50; // a 390-bar day is 8 pages: 8 sequential requests per chunk, as a long real history would be
const DAYS = ['2025-06-23', '2025-06-24', '2025-06-25', '2025-06-26', '2025-06-27'];
// More work means more symbols (the fake server's range lookup is a binary search, so longer series would do too):
// ≥ 200 requests, about SECONDS at the allowed rate.
const SYMBOLS = Array.from({ length: Math.ceil(Math.max(200, RPS * SECONDS) / (DAYS.length * Math.ceil(390 / PAGE))) }, (_, i) => `SYM${i}`);
const root = path.resolve(import.meta.dirname, '..');

const all = syntheticBars({ seed: 'bench-backfill', symbols: SYMBOLS, timeframe: '1m', from: DAYS[0]!, to: DAYS.at(-1)! }).flat();
const served: Record<string, typeof all> = {};
for (const b of all) (served[b.symbol] ??= []).push(b);

let fake: FakePolygon | undefined;
let rt: TestRuntime | undefined;
const workers = new Set<ChildProcess>();
let workerLog = '';

async function stopWorkers() {
  await Promise.all([...workers].map((w) => new Promise<void>((resolve) => {
    if (w.exitCode !== null || w.signalCode !== null) return resolve();
    const force = setTimeout(() => w.kill('SIGKILL'), 5000);
    w.once('exit', () => (clearTimeout(force), resolve()));
    w.kill('SIGTERM');
  })));
}

let cleaned: Promise<void> | undefined;
/** Workers first (they hold Redis and Postgres), then the database and every key of our prefix, then the server. */
const cleanup = () => (cleaned ??= (async () => {
  await stopWorkers();
  await rt?.cleanup().catch((e: unknown) => console.error('cleanup:', (e as Error).message));
  await fake?.close();
})());
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => void cleanup().finally(() => process.exit(130)));

/** CPU seconds a worker has used so far (Linux /proc; NaN elsewhere): is a shortfall the workers' own CPU? */
function cpuSeconds(w: ChildProcess): number {
  try {
    const f = readFileSync(`/proc/${w.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime + stime, in USER_HZ (100 on Linux)
  } catch {
    return Number.NaN;
  }
}

/** Longest run of consecutive wall-clock seconds that each hold at least one 429. */
function longestStreak(reqs: FakeRequest[]): number {
  const secs = [...new Set(reqs.filter((r) => r.status === 429).map((r) => Math.floor(r.at / 1000)))].sort((a, b) => a - b);
  let best = 0, run = 0;
  secs.forEach((s, i) => {
    run = i > 0 && s === secs[i - 1]! + 1 ? run + 1 : 1;
    best = Math.max(best, run);
  });
  return best;
}

try {
  fake = await startFakePolygon({ apiKey: KEY, bars: served, pageSize: PAGE, rateLimitPerSecond: RPS });
  const polygonEnv = { FEED: 'polygon', POLYGON_API_KEY: KEY, POLYGON_BASE_URL: fake.restUrl, POLYGON_REQUESTS_PER_SECOND: String(RPS) };
  rt = await createTestRuntime('bench-backfill', polygonEnv);
  const c = rt.config;
  const env = {
    ...(process.env as Record<string, string>), ...polygonEnv, DATABASE_URL: c.DATABASE_URL, REDIS_URL: c.REDIS_URL, REDIS_PREFIX: c.REDIS_PREFIX,
    WORKER_ROLES: 'backfill', LOG_LEVEL: 'warn',
  };
  for (let i = 0; i < WORKERS; i++) {
    // node with the tsx loader, not the tsx wrapper: the signals must reach the worker itself.
    const w = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: path.join(root, 'workers'), env, stdio: ['ignore', 'pipe', 'pipe'] });
    w.stdout!.on('data', (d: Buffer) => (workerLog += d.toString()));
    w.stderr!.on('data', (d: Buffer) => (workerLog += d.toString()));
    workers.add(w);
  }
  // Both workers must be taking jobs before the run starts, or one would have the rate to itself for a while.
  const beats = async () => (await rt!.deps.redis.keys(keys(c.REDIS_PREFIX).heartbeat('backfill', '*'))).length;
  for (let i = 0; (await beats()) < WORKERS; i++) {
    if (i > 600 || [...workers].some((w) => w.exitCode !== null)) throw new Error(`workers did not start:\n${workerLog.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }

  const p = rt.deps.prisma;
  const load = loadavg()[0]!;
  const elu0 = performance.eventLoopUtilization();
  const cpu0 = [...workers].map(cpuSeconds), wall0 = performance.now();
  // Every 10 ms, on the Redis clock: how far the limiter's next free slot (TAT) lies in the past. A slot due for more
  // than one interval has had no taker — no worker was asking — so time spent there is not the limiter's doing.
  const rlKey = polygonKeys(c.REDIS_PREFIX, KEY).rateLimit;
  const behind: Array<{ at: number; ms: number }> = [];
  const sampler = setInterval(() => {
    void (rt!.deps.redis.eval("local t = redis.call('TIME') return {t[1], t[2], redis.call('GET', KEYS[1]) or '0'}", 1, rlKey) as Promise<[string, string, string]>)
      .then(([sec, us, tat]) => {
        const at = Number(sec) * 1000 + Number(us) / 1000;
        behind.push({ at, ms: at - Number(tat) / 1000 });
      }, () => {});
  }, 10);
  const { runId, chunks } = await startBackfill(rt.deps, { symbols: SYMBOLS, stages: ['market_data'], timeframe: '1m', from: DAYS[0]!, to: DAYS.at(-1)!, requestedBy: 'bench' });
  console.log(`backfill ${runId}: ${SYMBOLS.length} symbols × ${DAYS.length} days (${DAYS[0]} … ${DAYS.at(-1)}) = ${chunks} chunks, ${all.length} bars, pages of ${PAGE}; ${WORKERS} worker processes`);
  const deadline = Date.now() + 60_000 + (3 * all.length * 1000) / (PAGE * RPS);
  for (;;) {
    const run = await p.backfillRun.findUniqueOrThrow({ where: { id: runId } });
    if (run.status === 'succeeded') break;
    if (run.status === 'failed') throw new Error(`backfill failed: ${run.error}\n${workerLog.slice(-3000)}`);
    if (Date.now() > deadline) throw new Error(`backfill still ${run.status} after the deadline\n${workerLog.slice(-3000)}`);
    if ([...workers].some((w) => w.exitCode !== null)) throw new Error(`a worker exited:\n${workerLog.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }

  clearInterval(sampler);
  const wall = (performance.now() - wall0) / 1000;
  const cpu = [...workers].map((w, i) => `${Math.round((100 * (cpuSeconds(w) - cpu0[i]!)) / wall)} %`);
  const serverBusy = performance.eventLoopUtilization(elu0).utilization;
  const reqs = fake.requests;
  const ok = reqs.filter((r) => r.status === 200).length;
  const limited = reqs.filter((r) => r.status === 429).length;
  const other = reqs.length - ok - limited;
  const span = (reqs.at(-1)!.at - reqs[0]!.at) / 1000;
  // n requests spaced evenly at the allowed rate span (n − 1)/N seconds: count intervals, not requests.
  const achieved = (ok - 1) / span;
  const ratio = achieved / RPS;
  const streak = longestStreak(reqs);
  // Every bar the server holds is in the table with the same close: nothing missing, nothing altered.
  const same = await rt.deps.pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM market_data_1m m JOIN unnest($1::text[], $2::timestamptz[], $3::numeric[]) AS s(symbol, ts, close) USING (symbol, ts) WHERE m.close = s.close`,
    [all.map((b) => b.symbol), all.map((b) => b.ts), all.map((b) => b.close)],
  );
  const stored = (await rt.deps.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM market_data_1m')).rows[0]!.n;
  const matched = same.rows[0]!.n;

  // A second-by-second view shows whether a shortfall is steady (pacing) or in stretches (stalls, tail).
  const perSecond = new Map<number, number>();
  for (const r of reqs) if (r.status === 200) perSecond.set(Math.floor(r.at / 1000), (perSecond.get(Math.floor(r.at / 1000)) ?? 0) + 1);
  const first = Math.floor(reqs[0]!.at / 1000), last = Math.floor(reqs.at(-1)!.at / 1000);
  const counts = Array.from({ length: last - first + 1 }, (_, i) => perSecond.get(first + i) ?? 0);
  const okAt = reqs.filter((r) => r.status === 200).map((r) => r.at);
  const gaps = okAt.slice(1).map((t, i) => t - okAt[i]!).sort((a, b) => a - b);
  const busy = behind.filter((b) => b.at >= reqs[0]!.at && b.at <= reqs.at(-1)!.at);
  const idle = busy.filter((b) => b.ms > 1000 / RPS);
  console.log(
    `context: ${availableParallelism()} CPUs, load ${load.toFixed(1)} at start; this process (fake server) busy ${Math.round(100 * serverBusy)} %, ` +
      `workers' CPU ${cpu.join(' + ')} of a core; median request spacing ${gaps[gaps.length >> 1]!.toFixed(1)} ms (allowed ${(1000 / RPS).toFixed(1)} ms); ` +
      `a due slot unclaimed for > 1 interval in ${Math.round((100 * idle.length) / Math.max(1, busy.length))} % of the samples (no worker asking)`,
  );
  // Without the first and last 10 % of requests: the pacing itself, apart from cold workers and the last chunks.
  const mid = okAt.slice(Math.floor(okAt.length * 0.1), Math.ceil(okAt.length * 0.9));
  const midRate = (mid.length - 1) / ((mid.at(-1)! - mid[0]!) / 1000);
  console.log(`requests: ${reqs.length} (${ok} ok, ${limited} × 429, ${other} other); middle 80 %: ${midRate.toFixed(1)} req/s (ratio ${(midRate / RPS).toFixed(2)}); 200s per second: ${counts.join(' ')}`);
  console.log(
    `allowed ${RPS} req/s (reference); achieved ${achieved.toFixed(1)} req/s over ${span.toFixed(1)} s (ratio ${ratio.toFixed(2)}, goal ≥ 0.90); ` +
      `429s: ${limited}${limited ? ` at ${reqs.filter((r) => r.status === 429).slice(0, 5).map((r) => `${((r.at - reqs[0]!.at) / 1000).toFixed(2)} s`).join(', ')}${limited > 5 ? ', …' : ''}` : ''} ` +
      `(longest streak ${streak} s, goal < 2 s); bars ${matched}/${all.length}`,
  );
  report({ bench: 'backfill-throughput', metric: 'successful requests/s ÷ allowed', value: achieved, unit: 'req/s', reference: { label: 'allowed by the provider', value: RPS }, ratio, goal: 'ratio ≥ 0.90, no 429 streak ≥ 2 s', met: ratio >= 0.9 && streak < 2 });
  if (matched !== all.length || stored !== all.length) throw new Error(`stored ${stored} bars, ${matched} of the ${all.length} the server holds`);
} finally {
  await cleanup();
}
