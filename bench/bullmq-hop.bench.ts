// Benchmark (issue 13): what our queue plumbing adds to one BullMQ hop. Ours: `jobs.add` of the job catalog (natural job
// id, the pipeline's retry and retention options) → a Worker built as the pipeline builds it (pipelineWorker: the same
// connection kind, lock and stall settings, failure logging and metrics) whose processor parses the payload with the
// catalog's schema, as every processor does. Reference in the same run: the raw hop — Queue.add with no options → a
// Worker with BullMQ's defaults and an empty processor. Latency from the add call to the processor's start, open loop at
// R jobs/s; the two alternate (raw, ours, raw, ours) so both see the same machine. Goal: ours ≤ 1.5× raw at p50 and p99.
//   pnpm exec tsx bench/bullmq-hop.bench.ts [jobsPerSecond=200] [seconds=10]
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { createTestRuntime } from '@ai-trader/adapters/testing';
import { JOBS } from '@ai-trader/contracts';
import { createRedis } from '@ai-trader/core';
import { pipelineWorker } from '@ai-trader/workers';
import { Queue, Worker } from 'bullmq';
import { report } from './report.ts';

const RATE = Number(process.argv[2] ?? 200);
const SECONDS = Number(process.argv[3] ?? 10);
const ROUNDS = 2;

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

/** Sends n jobs at RATE (open loop) with `add`; resolves with each job's add → processor-start latency. */
async function paced(n: number, add: (i: number) => Promise<unknown>, started: Map<number, (t: number) => void>): Promise<number[]> {
  const lat: number[] = [];
  const pending: Promise<void>[] = [];
  const start = performance.now() + 20;
  for (let i = 0; i < n; i++) {
    const due = start + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const t0 = performance.now();
    const seen = new Promise<number>((r) => started.set(i, r));
    pending.push(add(i).then(async () => void lat.push((await seen) - t0)));
  }
  await Promise.all(pending);
  return lat;
}

const rt = await createTestRuntime('bench-hop', { LOG_LEVEL: 'silent' });
try {
  const load0 = os.loadavg()[0]!;
  const started = new Map<number, (t: number) => void>();
  const byIndex = new Map<string, number>();

  // Ours: the catalog's queue (risk.check) with its options and a pipeline-built worker.
  const oursConn = createRedis(rt.config.REDIS_URL, { forBullWorker: true, name: 'bench-ours' });
  const ours = pipelineWorker(rt, 'risk.check', async (_deps, job) => {
    const { signalId } = JOBS['risk.check'].payload.parse(job.data);
    started.get(byIndex.get(signalId)!)!(performance.now());
  }, { connection: oursConn });
  // Raw: a queue of its own under another prefix, BullMQ's defaults, an empty processor.
  const rawPrefix = `${rt.config.REDIS_PREFIX}-raw`;
  const conn = createRedis(rt.config.REDIS_URL, { forBullWorker: true, name: 'bench-raw' });
  const rawQ = new Queue('raw-hop', { connection: conn, prefix: rawPrefix });
  const raw = new Worker('raw-hop', async (job) => started.get((job.data as { i: number }).i)!(performance.now()), { connection: conn, prefix: rawPrefix, concurrency: 1 });

  const n = RATE * SECONDS;
  const runOurs = () => paced(n, (i) => {
    const signalId = randomUUID();
    byIndex.set(signalId, i);
    return rt.deps.jobs.add('risk.check', { signalId });
  }, started);
  const runRaw = () => paced(n, (i) => rawQ.add('x', { i }), started);

  // Warm-up of both, not counted.
  await paced(RATE, (i) => rawQ.add('x', { i }), started);
  await paced(RATE, (i) => {
    const signalId = randomUUID();
    byIndex.set(signalId, i);
    return rt.deps.jobs.add('risk.check', { signalId });
  }, started);

  const o: number[] = [], r: number[] = [];
  for (let k = 0; k < ROUNDS; k++) {
    r.push(...(await runRaw()));
    o.push(...(await runOurs()));
  }
  await ours.close();
  await raw.close();
  await rawQ.obliterate({ force: true });
  await rawQ.close();
  await conn.quit();
  await oursConn.quit();

  const line = (label: string, xs: number[]) => console.log(`${label.padEnd(44)} p50 ${pct(xs, 50).toFixed(2).padStart(7)} ms   p99 ${pct(xs, 99).toFixed(2).padStart(7)} ms   n ${xs.length}`);
  console.log(`${RATE} jobs/s, ${ROUNDS} × ${SECONDS} s each, alternating; ${os.cpus().length} CPUs, load ${load0.toFixed(1)} → ${os.loadavg()[0]!.toFixed(1)}`);
  line('raw BullMQ hop (reference)', r);
  line('our hop (catalog add → pipeline worker)', o);
  for (const p of [50, 99]) {
    const ratio = pct(o, p) / pct(r, p);
    console.log(`ratio p${p}: ${ratio.toFixed(2)}×   goal ≤ 1.5×: ${ratio <= 1.5 ? 'met' : 'NOT met'}`);
    report({ bench: 'bullmq-hop', metric: `add → processor start p${p}`, value: pct(o, p), unit: 'ms', reference: { label: `raw BullMQ hop p${p}`, value: pct(r, p) }, ratio, goal: '≤ 1.5× raw', met: ratio <= 1.5 });
  }
} finally {
  await rt.cleanup();
}
