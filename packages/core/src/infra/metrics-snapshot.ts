// What the business metrics are computed from, read at scrape time: one aggregate query on Postgres, a few Redis
// reads, BullMQ's job counts. Each part has its own time limit; a part that fails or is late is reported as a
// scrape error and its metrics are left out — the scrape itself still answers.
import type { TJobName } from '@ai-trader/contracts';
import type { Queue } from 'bullmq';
import type { Deps } from '../ports.ts';
import { readFreshness, type SymbolFreshness } from '../use-cases/freshness.ts';
import { latestCacheStats, latestCloses } from './latest-bars.ts';
import { keys } from './redis.ts';

export type SnapshotDeps = Pick<Deps, 'pool' | 'redis' | 'config' | 'clock' | 'jobs' | 'logger'>;
export const SCRAPE_PARTS = ['postgres', 'redis', 'queues'] as const;
export type ScrapePart = (typeof SCRAPE_PARTS)[number];

interface Count { n: number }
export interface PgPart {
  orders: Array<Count & { side: string; status: string; reason: string }>;
  working: Array<Count & { status: string }>;
  /** Orders in an end state (filled, canceled, rejected — at submission or later —, expired): end states never change. */
  closed: Array<Count & { side: string; status: string }>;
  fills: Array<Count & { side: string }>;
  positions: Array<{ symbol: string; qty: string; avgCost: string }>;
  pendingIntents: number;
  realized: string;
  cash: string | null;
  startingCash: string | null;
  state: string | null;
  snapshot: { equity: string; peak: string } | null;
  /** Last closes of the open positions (Redis cache, Postgres on a miss). */
  closes: Record<string, string>;
}
export interface RedisPart {
  usedMemory: number;
  maxMemory: number;
  /** null: neither CONFIG GET nor INFO said (a managed Redis may refuse both). */
  evictionPolicy: string | null;
  freshness: SymbolFreshness[];
  feedActive: boolean;
  heartbeats: Record<string, number>;
  latestBars: { hits: number; misses: number };
}
export interface QueuePart {
  counts: Array<{ queue: string; state: string; n: number }>;
}
export interface MetricsSnapshot {
  postgres: PgPart | null;
  redis: RedisPart | null;
  queues: QueuePart | null;
  errors: Record<ScrapePart, string | null>;
  seconds: Record<ScrapePart, number>;
}

// Submission outcomes are stable once written (a rejected order keeps its rejectCause, a DENIED decision, a BLOCKED or
// FAILED intent never change), and these rows are never deleted: the counts only grow, as counters must.
const PG_QUERY = `
SELECT
  (SELECT coalesce(json_agg(x), '[]') FROM (
     SELECT side::text AS side, CASE WHEN "rejectCause" IS NULL THEN 'accepted' ELSE 'rejected' END AS status,
            coalesce("rejectCause", '') AS reason, count(*)::int AS n FROM orders GROUP BY 1, 2, 3
     UNION ALL
     SELECT s.side::text, 'denied', coalesce(d."reasonCode", ''), count(*)::int
       FROM risk_decisions d JOIN signals s ON s.id = d."signalId" WHERE d.outcome = 'DENIED' GROUP BY 1, 2, 3
     UNION ALL
     SELECT side::text, lower(status::text), CASE WHEN status = 'FAILED' THEN coalesce("failCause", '') ELSE '' END, count(*)::int
       FROM order_intents WHERE status IN ('BLOCKED', 'FAILED') GROUP BY 1, 2, 3) x) AS orders,
  (SELECT coalesce(json_agg(x), '[]') FROM (SELECT status::text AS status, count(*)::int AS n FROM orders
     WHERE status IN ('pending_new', 'new', 'partially_filled') GROUP BY 1) x) AS working,
  (SELECT coalesce(json_agg(x), '[]') FROM (SELECT side::text AS side, status::text AS status, count(*)::int AS n FROM orders
     WHERE status IN ('filled', 'canceled', 'rejected', 'expired') GROUP BY 1, 2) x) AS closed,
  (SELECT coalesce(json_agg(x), '[]') FROM (SELECT side::text AS side, count(*)::int AS n FROM fills GROUP BY 1) x) AS fills,
  (SELECT coalesce(json_agg(json_build_object('symbol', symbol, 'qty', qty::text, 'avgCost', "avgCost"::text)), '[]')
     FROM positions WHERE qty <> 0) AS positions,
  (SELECT count(*)::int FROM order_intents WHERE status = 'PENDING') AS "pendingIntents",
  (SELECT coalesce(sum("realizedPnl"), 0)::text FROM positions) AS realized,
  (SELECT cash::text FROM portfolio_account WHERE id = 1) AS cash,
  (SELECT "startingCash"::text FROM portfolio_account WHERE id = 1) AS "startingCash",
  (SELECT state::text FROM trading_state WHERE id = 1) AS state,
  (SELECT json_build_object('equity', equity::text, 'peak', peak::text) FROM equity_snapshots ORDER BY id DESC LIMIT 1) AS snapshot`;

async function readPostgres(deps: SnapshotDeps): Promise<PgPart> {
  const { rows } = await deps.pool.query<Omit<PgPart, 'closes'>>(PG_QUERY);
  const r = rows[0]!;
  const closes = r.positions.length ? Object.fromEntries(await latestCloses(deps, r.positions.map((p) => p.symbol), '5m')) : {};
  return { ...r, closes };
}

/** The eviction policy: CONFIG GET where allowed, else INFO's maxmemory_policy (managed Redis often refuses CONFIG). */
async function evictionPolicy(deps: SnapshotDeps, info: string): Promise<string | null> {
  try {
    const r = (await deps.redis.config('GET', 'maxmemory-policy')) as string[];
    if (r[1]) return r[1];
  } catch {
    // refused (e.g. renamed or disabled CONFIG): INFO below
  }
  return /^maxmemory_policy:(.*)$/m.exec(info)?.[1]?.trim() || null;
}

async function readRedis(deps: SnapshotDeps): Promise<RedisPart> {
  const k = keys(deps.config.REDIS_PREFIX);
  const info = await deps.redis.info('memory');
  const field = (name: string) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1] ?? 0);
  const [policy, f1, f5, active, beats, cache] = await Promise.all([
    evictionPolicy(deps, info),
    readFreshness(deps, '1m'),
    readFreshness(deps, '5m'),
    deps.redis.exists(k.feedActive),
    deps.redis.keys(k.heartbeatPattern), // few keys: one per role and worker process
    latestCacheStats(deps),
  ]);
  const heartbeats: Record<string, number> = {};
  for (const key of beats) {
    const role = key.slice(k.heartbeatPattern.length - 1).split(':')[0]!;
    heartbeats[role] = (heartbeats[role] ?? 0) + 1;
  }
  return {
    usedMemory: field('used_memory'), maxMemory: field('maxmemory'), evictionPolicy: policy,
    freshness: [...f1, ...f5], feedActive: active === 1, heartbeats, latestBars: { hits: cache.hits, misses: cache.misses },
  };
}

const JOB_STATES = ['waiting', 'active', 'delayed', 'failed', 'prioritized', 'waiting-children'] as const;

async function readQueues(deps: SnapshotDeps): Promise<QueuePart> {
  const queues = (deps.jobs as { queues?: Map<TJobName, Queue> }).queues;
  if (!queues) throw new Error('this process has no queue handles');
  const counts: QueuePart['counts'] = [];
  await Promise.all([...queues].map(async ([name, q]) => {
    const c = await q.getJobCounts(...JOB_STATES);
    for (const state of JOB_STATES) counts.push({ queue: name, state, n: c[state] ?? 0 });
  }));
  return { counts };
}

function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/** Every part at once, each within `timeoutMs`; a failed part is null with its error. */
export async function readMetricsSnapshot(deps: SnapshotDeps, timeoutMs: number): Promise<MetricsSnapshot> {
  const readers: Record<ScrapePart, () => Promise<unknown>> = { postgres: () => readPostgres(deps), redis: () => readRedis(deps), queues: () => readQueues(deps) };
  const out: MetricsSnapshot = { postgres: null, redis: null, queues: null, errors: { postgres: null, redis: null, queues: null }, seconds: { postgres: 0, redis: 0, queues: 0 } };
  await Promise.all(SCRAPE_PARTS.map(async (part) => {
    const t0 = performance.now();
    try {
      (out as unknown as Record<ScrapePart, unknown>)[part] = await within(timeoutMs, part, readers[part]());
    } catch (e) {
      out.errors[part] = e instanceof Error ? e.message : String(e);
    }
    out.seconds[part] = (performance.now() - t0) / 1000;
  }));
  return out;
}
