// Benchmark (issue 13): memory of every worker process during a long accelerated replay. 50 symbols of seeded synthetic
// 5-minute bars (two years) played at a fixed pace (REPLAY_SPEED: `speed` × real time, 150 = a bar group every 2 s) or
// in lockstep (`lockstep`: each group as soon as the pipeline is idle, so the pace follows the machine's load — on a
// shared machine that changes the working set and muddies the reading), one process per role (feed, ingest, scoring,
// risk, execution, broker, portfolio) on the simulated broker with an MA-cross strategy on every symbol. Every SAMPLE_S
// seconds each process's RSS is read from /proc and its V8 heap in use from its own /metrics (prom-client's
// nodejs_heap_size_used_bytes); the heap is judged by its troughs (the lowest reading of each minute: what survives the
// collector — a leak raises the troughs, garbage between collections does not). After the warm-up (the first fifth
// of the run) both must stay flat. Reference, per process, measured in the same run: its value at the end of the warm-up
// (median RSS / lowest heap of the first post-warm-up minute). Reported: the end ÷ that reference (goal ≤ 1.15×), and
// the least-squares slope after the warm-up in MB per hour.
//   pnpm exec tsx bench/replay-memory.bench.ts [minutes=60] [symbols=50] [speed=150|lockstep]
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { createTestRuntime, maCrossStrategy } from '@ai-trader/adapters/testing';
import { seedStrategies } from '@ai-trader/core';
import { killAll, startWorkersProcess, type WorkersProcess } from '../tests/helpers/processes.ts';
import { report } from './report.ts';

const MINUTES = Number(process.argv[2] ?? 60);
const SYMBOLS = Array.from({ length: Number(process.argv[3] ?? 50) }, (_, i) => `S${String(i).padStart(2, '0')}`);
const PACE = process.argv[4] ?? '150';
if (PACE !== 'lockstep' && !(Number(PACE) > 0)) throw new Error(`speed: expected a number > 0 or "lockstep", got "${PACE}"`);
const SAMPLE_S = MINUTES >= 20 ? 10 : 5;
const METRICS_PORT0 = Number(process.env.BENCH_PORT ?? 3281);
const ROLES = ['feed', 'ingest', 'scoring', 'risk', 'execution', 'broker', 'portfolio'];
const GOAL = 1.15;

const rssMb = (pid: number): number | null => {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
};
/** The process's V8 heap in use, from its own Prometheus endpoint. */
async function heapMb(port: number): Promise<number | null> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(3000) })).text();
    const m = /^nodejs_heap_size_used_bytes(?:\{[^}]*\})? ([0-9.e+]+)$/m.exec(text);
    return m ? Number(m[1]) / 2 ** 20 : null;
  } catch {
    return null;
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
/** Least-squares slope of y over x. */
const slope = (pts: Array<[number, number]>) => {
  const n = pts.length, mx = pts.reduce((a, p) => a + p[0], 0) / n, my = pts.reduce((a, p) => a + p[1], 0) / n;
  const num = pts.reduce((a, p) => a + (p[0] - mx) * (p[1] - my), 0), den = pts.reduce((a, p) => a + (p[0] - mx) ** 2, 0);
  return den ? num / den : 0;
};

const rt = await createTestRuntime('bench-mem', {
  SIM_STARTING_CASH: '100000000', ORDER_NOTIONAL: '1000', RISK_MAX_OPEN_ORDERS: '10000', RISK_MAX_ORDERS_PER_MINUTE: '10000',
  RISK_MAX_GROSS_EXPOSURE: '100000000', RISK_MAX_NET_EXPOSURE: '100000000', RISK_MAX_POSITION_NOTIONAL: '100000000',
});
const running = new Set<ChildProcess>();
try {
  await seedStrategies(rt.deps, [maCrossStrategy(SYMBOLS)]);
  const env = {
    DATABASE_URL: rt.config.DATABASE_URL, REDIS_URL: rt.config.REDIS_URL, REDIS_PREFIX: rt.config.REDIS_PREFIX, LOG_LEVEL: 'warn', LOG_DIR: 'off',
    FEED: 'synthetic', FEED_SYMBOLS: SYMBOLS.join(','), SYNTHETIC_SEED: 'bench-mem', REPLAY_START: '2024-01-02', REPLAY_END: '2025-12-31',
    ...(PACE === 'lockstep' ? { REPLAY_PACING: 'lockstep' } : { REPLAY_PACING: 'realtime', REPLAY_SPEED: PACE }),
    SIM_STARTING_CASH: '100000000', ORDER_NOTIONAL: '1000', RISK_MAX_OPEN_ORDERS: '10000', RISK_MAX_ORDERS_PER_MINUTE: '10000',
    RISK_MAX_GROSS_EXPOSURE: '100000000', RISK_MAX_NET_EXPOSURE: '100000000', RISK_MAX_POSITION_NOTIONAL: '100000000',
  };
  const port = (role: string) => METRICS_PORT0 + ROLES.indexOf(role);
  const start = (role: string) => startWorkersProcess({ ...env, WORKER_ROLES: role, WORKERS_METRICS_PORT: String(port(role)) }, running);
  const procs = new Map<string, WorkersProcess>(ROLES.filter((r) => r !== 'feed').map((role) => [role, start(role)]));
  await new Promise((r) => setTimeout(r, 5000)); // the pipeline's workers up before the feed plays
  procs.set('feed', start('feed'));

  const t0 = Date.now();
  const end = t0 + MINUTES * 60_000;
  const samples = new Map<string, Array<[number, number]>>(ROLES.map((r) => [r, []]));
  const heaps = new Map<string, Array<[number, number]>>(ROLES.map((r) => [r, []]));
  let lastPrint = 0;
  while (Date.now() < end) {
    await new Promise((r) => setTimeout(r, SAMPLE_S * 1000));
    const min = (Date.now() - t0) / 60_000;
    for (const [role, p] of procs) {
      if (p.child.exitCode !== null) throw new Error(`the ${role} process exited (${p.child.exitCode}):\n${p.output().slice(-2000)}`);
      const mb = rssMb(p.child.pid!);
      if (mb !== null) samples.get(role)!.push([min, mb]);
      const heap = await heapMb(port(role));
      if (heap !== null) heaps.get(role)!.push([min, heap]);
    }
    if (Date.now() - lastPrint > 60_000 || Date.now() >= end) {
      lastPrint = Date.now();
      const bars = await rt.deps.prisma.bar5m.count();
      const orders = await rt.deps.prisma.order.count();
      const done = Math.min(1, (Date.now() - t0) / (end - t0));
      console.log(`[${'#'.repeat(Math.round(done * 30)).padEnd(30, '-')}] ${min.toFixed(1)}/${MINUTES} min  bars ${bars}  orders ${orders}  RSS/heap MB ${ROLES.map((r) => `${r} ${samples.get(r)!.at(-1)?.[1].toFixed(0) ?? '?'}/${heaps.get(r)!.at(-1)?.[1].toFixed(0) ?? '?'}`).join(', ')}`);
    }
  }
  const bars = await rt.deps.prisma.bar5m.count();
  const orders = await rt.deps.prisma.order.count();
  await killAll(running);

  const warm = MINUTES / 5;
  const pace = PACE === 'lockstep' ? 'lockstep' : `${PACE}× real time`;
  console.log(`\n${MINUTES} min, ${SYMBOLS.length} symbols, synthetic replay at ${pace}: ${bars} bars (${(bars / (MINUTES * 60)).toFixed(0)}/s), ${orders} orders; warm-up ${warm.toFixed(1)} min; ${os.cpus().length} CPUs, load ${os.loadavg()[0]!.toFixed(1)}`);
  /** The lowest reading of each minute: the heap that survived the collector. */
  const troughs = (s: Array<[number, number]>) => {
    const byMinute = new Map<number, number>();
    for (const [m, mb] of s) byMinute.set(Math.floor(m), Math.min(byMinute.get(Math.floor(m)) ?? Infinity, mb));
    return [...byMinute].map(([m, mb]): [number, number] => [m + 0.5, mb]);
  };
  console.log('process     RSS after warm-up → end (ratio, slope/h, peak)        heap troughs after warm-up → end (ratio, slope/h)');
  let worst = 0;
  for (const role of ROLES) {
    const judge = (s: Array<[number, number]>, pick: (xs: number[]) => number, last: number) => {
      const after = s.filter(([m]) => m >= warm);
      const ref = pick(after.filter(([m]) => m < warm + 1).map(([, mb]) => mb));
      const end = pick(after.filter(([m]) => m >= MINUTES - last).map(([, mb]) => mb));
      return { ref, end, ratio: end / ref, perHour: slope(after) * 60, peak: Math.max(...s.map(([, mb]) => mb)) };
    };
    const rss = judge(samples.get(role)!, median, 0.5);
    const heap = heaps.get(role)!.length ? judge(troughs(heaps.get(role)!), median, 3) : null;
    worst = Math.max(worst, rss.ratio, heap?.ratio ?? 0);
    const fmt = (j: { ref: number; end: number; ratio: number; perHour: number }) =>
      `${j.ref.toFixed(0).padStart(5)} → ${j.end.toFixed(0).padStart(5)} MB (${j.ratio.toFixed(3)}×, ${j.perHour >= 0 ? '+' : ''}${j.perHour.toFixed(1)} MB/h`;
    console.log(`${role.padEnd(11)} ${fmt(rss)}, peak ${rss.peak.toFixed(0)} MB)   ${heap ? `${fmt(heap)})` : 'no heap readings'}`);
    report({ bench: 'replay-memory', metric: `${role} RSS at the end ÷ after warm-up (${MINUTES} min)`, value: rss.end, unit: 'MB', reference: { label: 'RSS after warm-up', value: rss.ref }, ratio: rss.ratio, goal: `≤ ${GOAL}× (flat)`, met: rss.ratio <= GOAL });
    if (heap) report({ bench: 'replay-memory', metric: `${role} heap troughs at the end ÷ after warm-up (${MINUTES} min)`, value: heap.end, unit: 'MB', reference: { label: 'heap trough after warm-up', value: heap.ref }, ratio: heap.ratio, goal: `≤ ${GOAL}× (flat)`, met: heap.ratio <= GOAL });
  }
  console.log(`worst end ÷ after warm-up: ${worst.toFixed(3)}×   goal ≤ ${GOAL}×: ${worst <= GOAL ? 'met' : 'NOT met'}`);
} finally {
  await killAll(running);
  await rt.cleanup();
}
