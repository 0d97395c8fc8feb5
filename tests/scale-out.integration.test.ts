// Horizontal scale on one machine: the workers share nothing but Redis and Postgres, so two processes per role do
// the work of one. (a) The replay slice, fed by its own process, through two processes that each run every pipeline
// role, produces exactly what one process produces (pipeline.integration.test.ts): the same signals, orders, fills,
// positions and cash, nothing twice. (b) Per-symbol order across processes: two execution processes racing over
// three symbols' intents (queued newest first) still send each symbol's orders to the broker in the order risk
// decided them, while the symbols interleave.
import type { ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestRuntime, maCrossStrategy, type TestRuntime } from '@ai-trader/adapters/testing';
import { keys, pipelineIdle, seedStrategies } from '@ai-trader/core';
import { killAll, startWorkersProcess, until, type WorkersProcess } from './helpers/processes.ts';
import { EXPECTED, SLICE, snapshot } from './helpers/replay-slice.ts';

const PIPELINE_ROLES = 'ingest,scoring,risk,execution,broker,portfolio';

const envOf = (rt: TestRuntime, extra: Record<string, string>) => ({
  DATABASE_URL: rt.config.DATABASE_URL, REDIS_URL: rt.config.REDIS_URL, REDIS_PREFIX: rt.config.REDIS_PREFIX, LOG_LEVEL: 'info', LOG_DIR: 'off', ...extra,
});

async function stopAll(procs: WorkersProcess[]): Promise<void> {
  for (const p of procs) p.child.kill('SIGTERM');
  for (const p of procs) {
    const { code, out } = await p.exited;
    expect(code, out.slice(-3000)).toBe(0);
  }
}

/** Processes beating for `role` (one heartbeat key per role and process). */
async function processesOf(rt: TestRuntime, role: string): Promise<number> {
  return (await rt.deps.redis.keys(`${keys(rt.config.REDIS_PREFIX).heartbeatPattern.slice(0, -1)}${role}:*`)).length;
}

describe('two worker processes per role', () => {
  const running = new Set<ChildProcess>();
  let rt: TestRuntime;
  afterEach(async () => {
    await killAll(running);
    await rt?.cleanup();
  });

  it('the replay slice: the same books as one process, nothing twice', async () => {
    rt = await createTestRuntime('scaleout', SLICE);
    await seedStrategies(rt.deps, [maCrossStrategy(['SPY', 'QQQ'])]);
    const env = envOf(rt, { ...SLICE, REPLAY_DATA_DIR: rt.config.REPLAY_DATA_DIR });
    const workers = [startWorkersProcess({ ...env, WORKER_ROLES: PIPELINE_ROLES }, running), startWorkersProcess({ ...env, WORKER_ROLES: PIPELINE_ROLES }, running)];
    await until('both pipeline processes to beat for every role', async () => {
      for (const role of PIPELINE_ROLES.split(',')) if ((await processesOf(rt, role)) !== 2) return false;
      return true;
    }, 60_000);
    const feed = startWorkersProcess({ ...env, WORKER_ROLES: 'feed' }, running);
    const started = Date.now();
    await until('the feed to play the slice and the pipeline to finish', async () => {
      if (feed.child.exitCode !== null) throw new Error(`the feed process exited (${feed.child.exitCode})`);
      return (await rt.deps.prisma.bar5m.count()) === EXPECTED.bars && (await rt.deps.redis.get(keys(rt.config.REDIS_PREFIX).feedActive)) === null && (await pipelineIdle(rt.queues.queues));
    }, 180_000).catch((e: Error) => {
      throw new Error(`${e.message}\nfeed:\n${feed.output().slice(-2000)}\nworkers:\n${workers.map((w) => w.output().slice(-1500)).join('\n---\n')}`);
    });
    console.log(`[scale-out] the slice through 1 feed + 2 pipeline processes in ${Date.now() - started} ms`);
    await stopAll([feed, ...workers]);
    expect(await snapshot(rt)).toEqual(EXPECTED);
  }, 300_000);

  it('per-symbol order holds with two execution processes racing', async () => {
    rt = await createTestRuntime('scaleorder', { SIM_STARTING_CASH: '10000000' });
    const symbols = ['SPY', 'QQQ', 'IWM'];
    for (const symbol of symbols)
      await rt.deps.pool.query(`INSERT INTO market_data_5m (symbol, ts, open, high, low, close, volume, source) VALUES ($1, '2025-06-04T14:00:00Z', 100, 100, 100, 100, 1000, 'test')`, [symbol]);
    // Decisions in a known order (createdAt), interleaving the symbols; their submissions queued newest first.
    const t0 = Date.now() - 60_000;
    const decided: Array<{ id: string; symbol: string }> = [];
    for (let i = 0; i < 30; i++) {
      const symbol = symbols[i % 3]!;
      const s = await rt.deps.prisma.signal.create({ data: { strategy: `scale-${i}`, symbol, barTs: new Date('2025-06-04T14:00:00Z'), side: 'BUY', price: '100', detail: {} } });
      const d = await rt.deps.prisma.riskDecision.create({
        data: { signalId: s.id, outcome: 'APPROVED', message: 'test', intent: { create: { symbol, side: 'BUY', qty: '1', refPrice: '100', isEntry: true, createdAt: new Date(t0 + i * 100) } } },
        include: { intent: true },
      });
      decided.push({ id: d.intent!.id, symbol });
    }
    for (const { id } of [...decided].reverse()) await rt.deps.jobs.add('execution.submit', { intentId: id });

    const env = envOf(rt, { WORKER_ROLES: 'execution' });
    const workers = [startWorkersProcess(env, running), startWorkersProcess(env, running)];
    await until('every intent to be sent', async () => (await rt.deps.prisma.orderIntent.count({ where: { status: 'SUBMITTED' } })) === decided.length, 60_000).catch((e: Error) => {
      throw new Error(`${e.message}\n${workers.map((w) => w.output().slice(-2000)).join('\n---\n')}`);
    });
    await stopAll(workers);

    const orders = await rt.deps.prisma.order.findMany();
    expect(orders).toHaveLength(decided.length);
    const intentOf = new Map(orders.map((o) => [o.clientOrderId, o.intentId]));
    const sim = await rt.deps.prisma.simOrder.findMany({ orderBy: { createdAt: 'asc' } });
    expect(sim).toHaveLength(decided.length);
    for (const symbol of symbols)
      expect(sim.filter((o) => o.symbol === symbol).map((o) => intentOf.get(o.clientOrderId)), `${symbol} at the broker`).toEqual(decided.filter((d) => d.symbol === symbol).map((d) => d.id));
  });
});
