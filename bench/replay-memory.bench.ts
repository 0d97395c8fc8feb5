// Benchmark (issue 13): memory of every worker process during a long accelerated replay. 50 symbols of seeded synthetic
// 5-minute bars (two years), played in lockstep (each bar group as soon as the pipeline is idle: the workers are never
// idle), one process per role (feed, ingest, scoring, risk, execution, broker, portfolio) on the simulated broker with
// an MA-cross strategy on every symbol. Each process's RSS is read from /proc every SAMPLE_S seconds. After the warm-up
// (the first fifth of the run) memory must stay flat. Reference, per process, measured in the same run: its RSS at the
// end of the warm-up (median of the first post-warm-up minute). Reported: the end ÷ that reference (goal ≤ 1.15×), and
// the least-squares slope after the warm-up in MB per hour.
//   pnpm exec tsx bench/replay-memory.bench.ts [minutes=60] [symbols=50]
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { createTestRuntime, maCrossStrategy } from '@ai-trader/adapters/testing';
import { seedStrategies } from '@ai-trader/core';
import { killAll, startWorkersProcess, type WorkersProcess } from '../tests/helpers/processes.ts';
import { report } from './report.ts';

const MINUTES = Number(process.argv[2] ?? 60);
const SYMBOLS = Array.from({ length: Number(process.argv[3] ?? 50) }, (_, i) => `S${String(i).padStart(2, '0')}`);
const SAMPLE_S = MINUTES >= 20 ? 10 : 5;
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
    FEED: 'synthetic', FEED_SYMBOLS: SYMBOLS.join(','), SYNTHETIC_SEED: 'bench-mem', REPLAY_START: '2024-01-02', REPLAY_END: '2025-12-31', REPLAY_PACING: 'lockstep',
    SIM_STARTING_CASH: '100000000', ORDER_NOTIONAL: '1000', RISK_MAX_OPEN_ORDERS: '10000', RISK_MAX_ORDERS_PER_MINUTE: '10000',
    RISK_MAX_GROSS_EXPOSURE: '100000000', RISK_MAX_NET_EXPOSURE: '100000000', RISK_MAX_POSITION_NOTIONAL: '100000000',
  };
  const procs = new Map<string, WorkersProcess>(ROLES.filter((r) => r !== 'feed').map((role) => [role, startWorkersProcess({ ...env, WORKER_ROLES: role }, running)]));
  await new Promise((r) => setTimeout(r, 5000)); // the pipeline's workers up before the feed plays
  procs.set('feed', startWorkersProcess({ ...env, WORKER_ROLES: 'feed' }, running));

  const t0 = Date.now();
  const end = t0 + MINUTES * 60_000;
  const samples = new Map<string, Array<[number, number]>>(ROLES.map((r) => [r, []]));
  let lastPrint = 0;
  while (Date.now() < end) {
    await new Promise((r) => setTimeout(r, SAMPLE_S * 1000));
    const min = (Date.now() - t0) / 60_000;
    for (const [role, p] of procs) {
      if (p.child.exitCode !== null) throw new Error(`the ${role} process exited (${p.child.exitCode}):\n${p.output().slice(-2000)}`);
      const mb = rssMb(p.child.pid!);
      if (mb !== null) samples.get(role)!.push([min, mb]);
    }
    if (Date.now() - lastPrint > 60_000 || Date.now() >= end) {
      lastPrint = Date.now();
      const bars = await rt.deps.prisma.bar5m.count();
      const orders = await rt.deps.prisma.order.count();
      const done = Math.min(1, (Date.now() - t0) / (end - t0));
      console.log(`[${'#'.repeat(Math.round(done * 30)).padEnd(30, '-')}] ${min.toFixed(1)}/${MINUTES} min  bars ${bars}  orders ${orders}  RSS MB ${ROLES.map((r) => `${r} ${samples.get(r)!.at(-1)?.[1].toFixed(0) ?? '?'}`).join(', ')}`);
    }
  }
  const bars = await rt.deps.prisma.bar5m.count();
  const orders = await rt.deps.prisma.order.count();
  await killAll(running);

  const warm = MINUTES / 5;
  console.log(`\n${MINUTES} min, ${SYMBOLS.length} symbols, lockstep synthetic replay: ${bars} bars (${(bars / (MINUTES * 60)).toFixed(0)}/s), ${orders} orders; warm-up ${warm.toFixed(1)} min; ${os.cpus().length} CPUs, load ${os.loadavg()[0]!.toFixed(1)}`);
  console.log('process     after warm-up   end     end ÷ after warm-up   slope after warm-up   peak');
  let worst = 0;
  for (const role of ROLES) {
    const s = samples.get(role)!;
    const after = s.filter(([m]) => m >= warm);
    const ref = median(after.filter(([m]) => m < warm + 1).map(([, mb]) => mb));
    const last = median(s.slice(-3).map(([, mb]) => mb));
    const perHour = slope(after) * 60;
    const ratio = last / ref;
    worst = Math.max(worst, ratio);
    console.log(`${role.padEnd(11)} ${ref.toFixed(0).padStart(8)} MB  ${last.toFixed(0).padStart(5)} MB  ${ratio.toFixed(3).padStart(8)}×            ${perHour >= 0 ? '+' : ''}${perHour.toFixed(1).padStart(6)} MB/h        ${Math.max(...s.map(([, mb]) => mb)).toFixed(0)} MB`);
    report({ bench: 'replay-memory', metric: `${role} RSS at the end ÷ after warm-up (${MINUTES} min)`, value: last, unit: 'MB', reference: { label: 'RSS after warm-up', value: ref }, ratio, goal: `≤ ${GOAL}× (flat)`, met: ratio <= GOAL });
  }
  console.log(`worst end ÷ after warm-up: ${worst.toFixed(3)}×   goal ≤ ${GOAL}×: ${worst <= GOAL ? 'met' : 'NOT met'}`);
} finally {
  await killAll(running);
  await rt.cleanup();
}
