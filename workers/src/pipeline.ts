// Starts the BullMQ workers (and the feed) of the chosen roles over one runtime, keeps a heartbeat
// per process, and closes everything in order: feed first, then workers finish their active jobs.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { pipelineIdle, createRedis, HEARTBEAT_TTL_SECONDS, keys, markFeedActive, markFeedStopped, syncSchedules } from '@ai-trader/core';
import { AlpacaStream, loadJobDefinitions, loadReplay, PolygonStream, runReplay, syntheticBars, type AlpacaBroker, type Runtime } from '@ai-trader/adapters';
import type { TBar, TJobName, TTradeUpdate } from '@ai-trader/contracts';
import { ensurePartitions, TIMEFRAME_TABLE } from '@ai-trader/db';
import type { Worker } from 'bullmq';
import { memoryCeilingMb, watchMemory } from './memory-watch.ts';
import { pipelineWorker } from './pipeline-worker.ts';
import { PROCESSORS, ROLE_QUEUES, WORK_BEHIND, type ProcessorContext } from './processors/pipeline.processors.ts';

export type Role = 'feed' | keyof typeof ROLE_QUEUES;
export const ALL_ROLES: Role[] = ['feed', ...(Object.keys(ROLE_QUEUES) as Role[])];

export interface Pipeline {
  /** Resolves when the feed has played everything (immediately if this process runs no feed). */
  feedDone: Promise<number>;
  /** Resolves when the process's memory is past its ceiling (never without one): close, then exit for a restart. */
  memoryExceeded: Promise<{ rssMb: number; limitMb: number }>;
  close(): Promise<void>;
}

export function expandRoles(roles: string[]): Role[] {
  return roles.includes('all') ? ALL_ROLES : (roles as Role[]);
}

export async function startPipeline(rt: Runtime, roles: Role[], opts: { feed?: boolean } = {}): Promise<Pipeline> {
  const { deps } = rt;
  const { config, logger } = deps;
  const k = keys(config.REDIS_PREFIX);
  // The scheduler role reads ops/job-definitions.yaml (a bad file stops start-up with its line and reason) and
  // also works every queue its jobs name; one Worker per queue however many roles want it.
  const ctx: ProcessorContext = roles.includes('scheduler') ? { definitions: loadJobDefinitions(config.JOB_DEFINITIONS_FILE).definitions } : {};
  const workerRedis = createRedis(config.REDIS_URL, { forBullWorker: true, name: 'workers' });
  const workers: Worker[] = [];
  const wanted = new Map<TJobName, number>();
  for (const role of roles) for (const { queue, concurrency } of ROLE_QUEUES[role] ?? []) wanted.set(queue, Math.max(wanted.get(queue) ?? 0, concurrency));
  for (const d of Object.values(ctx.definitions ?? {})) wanted.set(d.queue, Math.max(wanted.get(d.queue) ?? 0, d.concurrency));
  for (const queue of [...wanted.keys()]) for (const b of WORK_BEHIND[queue] ?? []) wanted.set(b.queue, Math.max(wanted.get(b.queue) ?? 0, b.concurrency));
  for (const [queue, concurrency] of wanted) {
    const w = pipelineWorker(rt, queue, (d, job, token, signal) => PROCESSORS[queue](d, job, token, { ...ctx, signal }), { concurrency, connection: workerRedis });
    workers.push(w);
  }

  if (roles.includes('ingest')) {
    // The stale-feed watch runs beside ingest; one scheduler per deployment however many processes upsert it.
    await rt.queues.queues.get('monitor.freshness')!.upsertJobScheduler(
      'feed-freshness', { every: FRESHNESS_EVERY_MS },
      { name: 'monitor.freshness', data: {}, opts: { attempts: 1, removeOnComplete: { count: 50 }, removeOnFail: { count: 200 } } },
    );
  }

  if (roles.includes('broker')) {
    // Reconciliation with the broker: at start (the scheduler's first run is immediate) and every 30 s.
    await rt.queues.queues.get('monitor.reconcile')!.upsertJobScheduler(
      'reconcile', { every: 30_000 }, // the first run is immediate
      { name: 'monitor.reconcile', data: {}, opts: { attempts: 1, removeOnComplete: { count: 50 }, removeOnFail: { count: 200 } } },
    );
  }
  if (roles.includes('execution')) {
    // The outbox sweep: approved intents whose submission job was lost get it back.
    await rt.queues.queues.get('monitor.outbox')!.upsertJobScheduler(
      'outbox', { every: 30_000 },
      { name: 'monitor.outbox', data: {}, opts: { attempts: 1, removeOnComplete: { count: 50 }, removeOnFail: { count: 200 } } },
    );
  }
  if (roles.includes('risk')) {
    // Equity snapshots and the circuit breakers (daily loss, drawdown, broker rejects).
    await rt.queues.queues.get('monitor.breakers')!.upsertJobScheduler(
      'breakers', { every: FRESHNESS_EVERY_MS },
      { name: 'monitor.breakers', data: {}, opts: { attempts: 1, removeOnComplete: { count: 50 }, removeOnFail: { count: 200 } } },
    );
  }
  // The scheduled jobs (the daily data chores among them: data_validation) are the file's, set by the scheduler role.
  if (ctx.definitions) await syncSchedules(deps, ctx.definitions);
  const memory = watchMemory(memoryCeilingMb(config.WORKER_MEMORY_LIMIT_MB, ctx.definitions, wanted.keys()), config.WORKER_MEMORY_CHECK_MS, logger);

  const id = `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  const beat = async () => {
    const m = deps.redis.multi();
    for (const role of roles) m.set(k.heartbeat(role, id), new Date().toISOString(), 'EX', HEARTBEAT_TTL_SECONDS);
    await m.exec();
  };

  // With a real broker, its trade_updates stream feeds portfolio.apply (the sim broker reports fills itself).
  const brokerStream = roles.includes('broker') && config.BROKER === 'alpaca' ? await startAlpacaStream(rt) : null;

  const feedAbort = new AbortController();
  let feedDone: Promise<number> = Promise.resolve(0);
  const stream: { stop?: () => Promise<void> } = {};
  if (roles.includes('feed') && opts.feed !== false) feedDone = withFeedMark(rt, startFeed(rt, feedAbort.signal, stream), stream);

  // The first heartbeat says the process is up — last, once everything above is: readiness and `ai-trader trade` read
  // it so, and a stop asked for before it (start-up still connecting) ends a process that has nothing to clean up yet.
  await beat();
  const beatTimer = setInterval(() => void beat().catch((e) => logger.warn({ err: (e as Error).message }, 'heartbeat failed')), 5000);

  return {
    feedDone,
    memoryExceeded: memory.exceeded,
    async close() {
      memory.stop();
      feedAbort.abort();
      await brokerStream?.close();
      await stream.stop?.();
      await feedDone.catch(() => 0);
      clearInterval(beatTimer);
      // Worker.close() waits for the active jobs to finish; waiting jobs stay in Redis for the next start.
      await Promise.all(workers.map((w) => w.close()));
      const m = deps.redis.multi();
      for (const role of roles) m.del(k.heartbeat(role, id));
      await m.exec().catch(() => undefined);
      await workerRedis.quit().catch(() => undefined);
    },
  };
}

const FRESHNESS_EVERY_MS = 15_000;

/**
 * Owns Alpaca's trade_updates stream: every update of one of our orders (client_order_id from submitIntent,
 * "ait-…", or a liquidation's closing order in our books) becomes a portfolio.apply job (idempotent per execution id); orders placed by hand are logged and
 * left alone. After a reconnect the gap is repaired from REST. The time of the last event is kept in Redis so
 * a restarted process asks for what it missed while down.
 */
async function startAlpacaStream(rt: Runtime): Promise<{ close(): Promise<void> }> {
  const { config, logger, jobs, prisma, redis } = rt.deps;
  const broker = rt.deps.broker as AlpacaBroker;
  const lastKey = `${config.REDIS_PREFIX}:broker:alpaca:last-event`;
  // Ours: placed by submitIntent ("ait-…"), or a closing order Alpaca placed for an emergency liquidation, which the
  // liquidation entered in our books under Alpaca's own client_order_id (one indexed lookup; such events are rare).
  const ours = async (clientOrderId: string) =>
    clientOrderId.startsWith('ait-') || !!(await prisma.order.findUnique({ where: { clientOrderId }, select: { id: true } }));
  const apply = async (u: TTradeUpdate) => {
    if (!(await ours(u.clientOrderId))) return logger.info({ clientOrderId: u.clientOrderId, event: u.event }, 'trade update for an order we did not place: ignored');
    await jobs.add('portfolio.apply', { update: u });
    await redis.set(lastKey, u.at ?? new Date().toISOString());
  };
  const since = (await redis.get(lastKey)) ?? undefined;
  const s = new AlpacaStream({
    url: config.ALPACA_STREAM_URL, credentials: rt.credentials.alpaca, logger,
    ...(since ? { since } : {}),
    onUpdate: (u) => apply(u),
    onGap: async (from) => {
      const open = await prisma.order.findMany({ where: { status: { in: ['pending_new', 'new', 'partially_filled'] } }, select: { clientOrderId: true } });
      const missed = await broker.tradeUpdatesSince(from, open.map((o) => o.clientOrderId));
      logger.info({ since: from, updates: missed.length }, 'trade_updates gap repaired from REST');
      for (const u of missed) await apply(u);
    },
  });
  await s.start();
  logger.info({ since: since ?? null }, 'Alpaca trade_updates stream started');
  return s;
}

/** Keeps the "feed is delivering" mark (read by the stale-feed watch) while the feed runs; clears it when
 *  the feed ends (replay finished, stopped) — a crash leaves it to expire. */
function withFeedMark(rt: Runtime, done: Promise<number>, stream: { stop?: () => Promise<void> }): Promise<number> {
  const since = new Date();
  const mark = () => void markFeedActive(rt.deps, since).catch((e) => rt.deps.logger.warn({ err: (e as Error).message }, 'feed mark failed'));
  mark();
  const timer = setInterval(mark, 5000);
  const clear = async () => {
    clearInterval(timer);
    await markFeedStopped(rt.deps).catch(() => undefined);
  };
  // A live stream "finishes" at once (it runs until closed): keep the mark until it is stopped.
  return done.then(
    async (n) => {
      if (rt.deps.config.FEED === 'polygon') {
        const inner = stream.stop;
        stream.stop = async () => {
          await inner?.();
          await clear();
        };
      } else await clear();
      return n;
    },
    async (e: unknown) => {
      await clear();
      throw e;
    },
  );
}

/** The configured feed: replay of the real files, seeded synthetic bars (both played by runReplay), or Polygon's live stream. */
async function startFeed(rt: Runtime, signal: AbortSignal, stream: { stop?: () => Promise<void> }): Promise<number> {
  const { config, logger } = rt.deps;
  if (config.FEED === 'polygon') {
    const live = new PolygonStream({
      url: config.POLYGON_STREAM_URL, credentials: rt.credentials.polygon, symbols: config.FEED_SYMBOLS, logger,
      onBar: (bar: TBar) => rt.deps.jobs.add('ingest.bars', { bar }),
    });
    await live.start();
    stream.stop = () => live.close();
    logger.info({ symbols: config.FEED_SYMBOLS }, 'polygon stream feed started');
    return 0;
  }
  const groups =
    config.FEED === 'synthetic'
      ? syntheticBars({ seed: config.SYNTHETIC_SEED, symbols: config.FEED_SYMBOLS, timeframe: '5m', from: config.REPLAY_START ?? '2025-06-02', to: config.REPLAY_END ?? '2025-08-29' })
      : await loadReplay({
          dataDir: config.REPLAY_DATA_DIR, symbols: config.REPLAY_SYMBOLS, timeframe: '5m',
          start: config.REPLAY_START, end: config.REPLAY_END, session: config.REPLAY_SESSION,
        });
  // Replayed history is months old: its partitions exist before the first bar (else every bar would land in the
  // DEFAULT partition and raise its alert, which is meant for a live month the daily job missed).
  const first = groups[0]?.[0]?.ts, last = groups.at(-1)?.[0]?.ts;
  if (first && last) await ensurePartitions(rt.deps.pool, TIMEFRAME_TABLE['5m'], new Date(first), new Date(last));
  logger.info({ feed: config.FEED, groups: groups.length, speed: config.REPLAY_SPEED, pacing: config.REPLAY_PACING }, 'feed starting');
  const cursorKey = keys(config.REDIS_PREFIX).feedCursor(config.FEED === 'synthetic' ? `synthetic:${config.SYNTHETIC_SEED}` : 'replay');
  const n = await runReplay({
    groups, timeframe: '5m', pacing: config.REPLAY_PACING, speed: config.REPLAY_SPEED, signal,
    emit: (bar) => rt.deps.jobs.add('ingest.bars', { bar }),
    waitIdle: async () => {
      while (!signal.aborted && !(await pipelineIdle(rt.queues.queues))) await new Promise((r) => setTimeout(r, 10));
    },
    cursor: { get: () => rt.deps.redis.get(cursorKey), set: async (ts) => void (await rt.deps.redis.set(cursorKey, ts)) },
    onProgress: (done, total, ts) => {
      if (done % 78 === 0 || done === total) logger.info({ done, total, ts }, 'feed progress');
    },
  });
  logger.info({ emitted: n }, signal.aborted ? 'feed stopped' : 'feed finished');
  return n;
}
