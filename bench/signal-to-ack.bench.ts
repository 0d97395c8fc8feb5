// Benchmark (issue 7): signal → broker ack on the simulated broker at R signals/s over 50 symbols, through the
// real path (risk.check → RiskDecision + OrderIntent → execution.submit → sim broker → Order row), in one
// process with the risk and execution roles. Reference measured in the same run: the raw BullMQ hop (add a job
// → an empty worker picks it up) at the same rate, and two hops in a row (our path has two queues).
// Goals: p50 ≤ 15 ms, p99 ≤ 50 ms. A warm-up of 2 s is run first and not counted.   pnpm exec tsx bench/signal-to-ack.bench.ts [signalsPerSecond=50] [seconds=10]
import { createTestRuntime, type TestRuntime } from '@ai-trader/adapters/testing';
import { createRedis, ingestBar } from '@ai-trader/core';
import { startPipeline } from '@ai-trader/workers';
import { Queue, Worker } from 'bullmq';
import { report } from './report.ts';

const RATE = Number(process.argv[2] ?? 50);
const SECONDS = Number(process.argv[3] ?? 10);
const SYMBOLS = Array.from({ length: 50 }, (_, i) => `S${String(i).padStart(2, '0')}`);
const BAR_TS = '2025-06-04T14:00:00Z'; // a regular-session bar: the simulated market is open for it

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const paced = async (n: number, each: (i: number) => Promise<void>) => {
  const start = performance.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < n; i++) {
    const due = start + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    pending.push(each(i));
  }
  await Promise.all(pending);
};

/** The reference: add → an empty worker, `hops` queues in a row, at the same rate. */
async function rawHop(rt: TestRuntime, hops: number): Promise<number[]> {
  const prefix = `${rt.config.REDIS_PREFIX}-raw${hops}`;
  const conn = createRedis(rt.config.REDIS_URL, { forBullWorker: true, name: 'bench-raw' });
  const queues = Array.from({ length: hops }, (_, h) => new Queue(`hop${h}`, { connection: conn, prefix }));
  const done = new Map<number, (t: number) => void>();
  const workers = queues.map((q, h) => new Worker(q.name, async (job) => {
    if (h + 1 < hops) await queues[h + 1]!.add('x', job.data, { removeOnComplete: true });
    else done.get(job.data.i)!(performance.now());
  }, { connection: conn, prefix, concurrency: 4 }));
  const lat: number[] = [];
  await paced(RATE * SECONDS, async (i) => {
    const t0 = performance.now();
    const finished = new Promise<number>((r) => done.set(i, r));
    await queues[0]!.add('x', { i }, { removeOnComplete: true });
    lat.push((await finished) - t0);
  });
  await Promise.all(workers.map((w) => w.close()));
  await Promise.all(queues.map((q) => q.obliterate({ force: true }).then(() => q.close())));
  await conn.quit();
  return lat;
}

const rt = await createTestRuntime('bench-ack', {
  LOG_LEVEL: 'silent', SIM_STARTING_CASH: '100000000', ORDER_NOTIONAL: '1000', RISK_MAX_OPEN_ORDERS: '10000', RISK_MAX_ORDERS_PER_MINUTE: '10000',
  RISK_MAX_GROSS_EXPOSURE: '100000000', RISK_MAX_NET_EXPOSURE: '100000000', RISK_MAX_POSITION_NOTIONAL: '100000000', RISK_MAX_POSITION_QTY: '100000000',
});
try {
  for (const s of SYMBOLS) await ingestBar(rt.deps, { symbol: s, timeframe: '5m', ts: BAR_TS, open: '100', high: '100', low: '100', close: '100', volume: '1000', source: 'bench' });
  const pipeline = await startPipeline(rt, ['risk', 'execution'], { feed: false });
  const p = rt.deps.prisma;
  const created = new Map<string, number>();
  const run = async (label: string, n: number) => {
    await paced(n, async (i) => {
      // One strategy per signal: the duplicate check is about one strategy's working orders.
      const s = await p.signal.create({ data: { strategy: `${label}-${i}`, symbol: SYMBOLS[i % SYMBOLS.length]!, barTs: new Date(BAR_TS), side: 'BUY', price: '100', detail: {} } });
      created.set(s.id, Date.now());
      await rt.deps.jobs.add('risk.check', { signalId: s.id });
    });
    for (let end = Date.now() + 60_000; (await p.order.count()) < created.size && Date.now() < end; ) await new Promise((r) => setTimeout(r, 100));
  };
  // Warm-up, not measured (connections opened, code compiled — the references below run warm too).
  await run('warmup', RATE * 2);
  const warm = new Set(created.keys());
  await run('bench', RATE * SECONDS);
  await pipeline.close();
  const orders = (await p.order.findMany({ include: { intent: { include: { riskDecision: true } } } })).filter((o) => !warm.has(o.intent.riskDecision.signalId));
  const stage = (label: string, xs: number[]) => console.log(`  ${label.padEnd(38)} p50 ${pct(xs, 50).toFixed(1).padStart(6)} ms   p99 ${pct(xs, 99).toFixed(1).padStart(6)} ms`);
  const ours = orders.map((o) => o.submittedAt!.getTime() - created.get(o.intent.riskDecision.signalId)!); // submittedAt: taken when the broker's ack is back
  const denied = await p.riskDecision.count({ where: { outcome: 'DENIED' } });
  const one = await rawHop(rt, 1);
  const two = await rawHop(rt, 2);
  const row = (label: string, xs: number[]) => console.log(`${label.padEnd(40)} p50 ${pct(xs, 50).toFixed(1).padStart(6)} ms   p99 ${pct(xs, 99).toFixed(1).padStart(6)} ms   n ${xs.length}`);
  console.log(`${RATE} signals/s for ${SECONDS} s over ${SYMBOLS.length} symbols (${denied} denied by risk)`);
  row('signal → broker ack (ours)', ours);
  // Where the time goes (Postgres transaction start times; the clocks are the same machine's).
  stage('queued → risk transaction starts', orders.map((o) => o.intent.riskDecision.createdAt.getTime() - created.get(o.intent.riskDecision.signalId)!));
  stage('risk → submission transaction starts', orders.map((o) => o.createdAt.getTime() - o.intent.riskDecision.createdAt.getTime()));
  stage('submission → broker ack', orders.map((o) => o.submittedAt!.getTime() - o.createdAt.getTime()));
  row('raw BullMQ, one hop (reference)', one);
  row('raw BullMQ, two hops (reference)', two);
  console.log(`ratio ours/two raw hops: p50 ${(pct(ours, 50) / pct(two, 50)).toFixed(2)}×, p99 ${(pct(ours, 99) / pct(two, 99)).toFixed(2)}×   goals: p50 ≤ 15 ms, p99 ≤ 50 ms`);
  console.log('(ours is measured with millisecond timestamps from Postgres; the references with performance.now())');
  const goal = 'p50 ≤ 15 ms, p99 ≤ 50 ms';
  const met = pct(ours, 50) <= 15 && pct(ours, 99) <= 50;
  report({ bench: 'signal-to-ack', metric: 'signal → broker ack p50', value: pct(ours, 50), unit: 'ms', reference: { label: 'raw BullMQ, two hops p50', value: pct(two, 50) }, ratio: pct(ours, 50) / pct(two, 50), goal, met });
  report({ bench: 'signal-to-ack', metric: 'signal → broker ack p99', value: pct(ours, 99), unit: 'ms', reference: { label: 'raw BullMQ, two hops p99', value: pct(two, 99) }, ratio: pct(ours, 99) / pct(two, 99), goal, met });
} finally {
  await rt.cleanup();
}
