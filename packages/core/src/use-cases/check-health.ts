// Readiness of every component (/api/health/ready, `ai-trader status`, the Overview): Postgres and Redis (down →
// the whole status is down, 503 at the HTTP edge), each worker role by the age of its newest heartbeat, the broker
// (reachable, and its clock against ours), the feed by freshness, the scheduler by its schedules being on time.
// Anything but Postgres or Redis only degrades the status: the console can still serve.
import { WORKER_ROLE_NAMES, type THealth } from '@ai-trader/contracts';
import type { Queue } from 'bullmq';
import { keys } from '../infra/redis.ts';
import type { BrokerPort, Deps } from '../ports.ts';
import { readFreshness } from './freshness.ts';

type HealthDeps = Pick<Deps, 'prisma' | 'redis' | 'config' | 'clock'> & { broker?: BrokerPort; jobs?: Deps['jobs'] };
type Component = THealth['components'][string];

const withTimeout = <T>(p: Promise<T>, ms: number, what: string) =>
  Promise.race([p, new Promise<never>((_, rej) => setTimeout(() => rej(new Error(`${what} did not answer within ${ms} ms`)), ms).unref())]);
const firstLine = (e: unknown) => (e instanceof Error ? e.message : String(e)).split('\n')[0]!;

export const HEARTBEAT_TTL_SECONDS = 15;
/** A broker clock further than this from ours degrades the broker (order times and market-hours checks drift). */
export const BROKER_CLOCK_SKEW_LIMIT_MS = 2000;
/** A schedule whose run is this late is overdue: nothing is taking the scheduler's jobs. */
export const SCHEDULE_OVERDUE_SECONDS = 120;
/** Broker and scheduler verdicts are reused this long per process (the Overview asks on every push). */
const CACHE_MS = 10_000;

/** `fresh`: ask the broker and the scheduler again instead of reusing a verdict of the last 10 s. */
export async function checkHealth(deps: HealthDeps, opts: { feedStaleSeconds?: number; fresh?: boolean } = {}): Promise<THealth> {
  const components: Record<string, Component> = {};
  const now = deps.clock.now();
  try {
    await withTimeout(deps.prisma.$queryRaw`SELECT 1`, 2000, 'Postgres');
    components.postgres = { status: 'ok', detail: 'query ok' };
  } catch (e) {
    components.postgres = { status: 'down', detail: firstLine(e) };
  }
  let redisUp = false;
  try {
    await withTimeout(deps.redis.ping(), 2000, 'Redis');
    components.redis = { status: 'ok', detail: 'ping ok' };
    redisUp = true;
  } catch (e) {
    components.redis = { status: 'down', detail: firstLine(e) };
  }
  if (redisUp) {
    Object.assign(components, await workerRoles(deps, now));
    components.feed = await feed(deps, now, opts.feedStaleSeconds ?? deps.config.STALE_AFTER_SECONDS);
    if (deps.jobs) components.scheduler = await cached(deps.jobs, 'scheduler', opts.fresh, () => scheduler(deps.jobs!, now));
  } else {
    components.workers = { status: 'down', detail: 'unknown: Redis is down' };
    components.feed = { status: 'down', detail: 'unknown: Redis is down' };
  }
  if (deps.broker) components.broker = await cached(deps.broker, 'broker', opts.fresh, () => broker(deps.broker!, deps.clock));
  const hardDown = components.postgres.status === 'down' || components.redis?.status === 'down';
  const status = hardDown ? 'down' : Object.values(components).every((c) => c.status === 'ok') ? 'ok' : 'degraded';
  return { status, code: status === 'down' ? 503 : 200, checkedAt: now.toISOString(), components };
}

/** One component per role (`worker.<role>`): the processes beating for it and the age of the newest beat. */
async function workerRoles(deps: HealthDeps, now: Date): Promise<Record<string, Component>> {
  const k = keys(deps.config.REDIS_PREFIX);
  const beats = await deps.redis.keys(k.heartbeatPattern); // few keys (one per role and worker process)
  const times = beats.length ? await deps.redis.mget(...beats) : [];
  // key = <prefix>:hb:<role>:<process id>, value = time of the beat
  const byRole = new Map<string, { processes: number; newest: number }>();
  beats.forEach((key, i) => {
    const role = key.slice(k.heartbeatPattern.length - 1).split(':')[0]!;
    const e = byRole.get(role) ?? { processes: 0, newest: 0 };
    byRole.set(role, { processes: e.processes + 1, newest: Math.max(e.newest, Date.parse(times[i] ?? '') || 0) });
  });
  const out: Record<string, Component> = {};
  for (const role of [...new Set<string>([...WORKER_ROLE_NAMES, ...byRole.keys()])].sort()) {
    const e = byRole.get(role);
    out[`worker.${role}`] = e
      ? { status: 'ok', detail: `${e.processes} process(es), last beat ${Math.max(0, Math.round((now.getTime() - e.newest) / 1000))} s ago` }
      : { status: 'degraded', detail: `no process has beaten for this role in the last ${HEARTBEAT_TTL_SECONDS} s` };
  }
  return out;
}

async function feed(deps: HealthDeps, now: Date, stale: number): Promise<Component> {
  const last = await deps.redis.hgetall(keys(deps.config.REDIS_PREFIX).feedLast);
  if (!last.at) return { status: 'degraded', detail: 'no bar received yet' };
  const age = Math.round((now.getTime() - Date.parse(last.at)) / 1000);
  if (age > stale) return { status: 'degraded', detail: `last bar (${last.symbol} ${last.ts}) arrived ${age} s ago (stale after ${stale} s)` };
  const staleSymbols = (await Promise.all(['1m', '5m'].map((tf) => readFreshness({ ...deps, config: { ...deps.config, STALE_AFTER_SECONDS: stale } }, tf))))
    .flat()
    .filter((f) => f.stale);
  if (staleSymbols.length) return { status: 'degraded', detail: `stale: ${staleSymbols.map((f) => `${f.symbol} ${f.timeframe} (${f.ageSeconds} s)`).join(', ')}` };
  return { status: 'ok', detail: `last bar ${last.symbol} ${last.ts}, ${age} s ago` };
}

/** The simulated broker lives in our own database; a real one is asked for its clock (reachable + clock skew). */
async function broker(b: BrokerPort, clock: HealthDeps['clock']): Promise<Component> {
  if (b.name === 'sim' || !b.marketClock) return { status: 'ok', detail: `${b.name} broker (simulated in our database)` };
  const t0 = Date.now();
  try {
    const c = await withTimeout(b.marketClock(), 3000, `the ${b.name} broker`);
    const rtt = Date.now() - t0;
    const market = `market ${c.isOpen ? 'open' : 'closed'}`;
    if (!c.at) return { status: 'ok', detail: `${b.name} answered in ${rtt} ms; ${market}` };
    // Its clock read at about the middle of the round trip.
    const skew = Date.parse(c.at) - (clock.now().getTime() - rtt / 2);
    const text = `${b.name} answered in ${rtt} ms; ${market}; its clock is ${Math.abs(Math.round(skew))} ms ${skew >= 0 ? 'ahead of' : 'behind'} ours`;
    return Math.abs(skew) > BROKER_CLOCK_SKEW_LIMIT_MS
      ? { status: 'degraded', detail: `${text} (limit ${BROKER_CLOCK_SKEW_LIMIT_MS} ms: fix the host's time sync)` }
      : { status: 'ok', detail: text };
  } catch (e) {
    return { status: 'down', detail: `${b.name} did not answer: ${firstLine(e)}` };
  }
}

/** Every job schedule registered, and none overdue (a due run not taken means no scheduler or worker is running). */
async function scheduler(jobs: Deps['jobs'], now: Date): Promise<Component> {
  const queues = (jobs as { queues?: Map<string, Queue> }).queues;
  if (!queues) return { status: 'ok', detail: 'not checked (this process has no queue handles)' };
  const all = (await Promise.all([...queues].map(async ([name, q]) => (await q.getJobSchedulers(0, 99, true)).map((s) => ({ queue: name, key: s.key, next: s.next ?? null }))))).flat();
  if (!all.length) return { status: 'degraded', detail: 'no job schedules registered: are the workers (or `ai-trader scheduler start`) running?' };
  const late = all
    .filter((s) => s.next !== null && now.getTime() - s.next > SCHEDULE_OVERDUE_SECONDS * 1000)
    .map((s) => `${s.key} (${Math.round((now.getTime() - s.next!) / 1000)} s)`);
  if (late.length) return { status: 'degraded', detail: `overdue: ${late.join(', ')}; nothing is taking their jobs` };
  const next = Math.min(...all.map((s) => s.next ?? Infinity));
  return { status: 'ok', detail: `${all.length} schedule(s) on time${Number.isFinite(next) ? `; next run ${new Date(next).toISOString()}` : ''}` };
}

const memo = new WeakMap<object, Map<string, { at: number; value: Component }>>();
async function cached(owner: object, name: string, fresh: boolean | undefined, run: () => Promise<Component>): Promise<Component> {
  const m = memo.get(owner) ?? new Map<string, { at: number; value: Component }>();
  memo.set(owner, m);
  const hit = m.get(name);
  if (!fresh && hit && performance.now() - hit.at < CACHE_MS) return hit.value;
  const value = await run();
  m.set(name, { at: performance.now(), value });
  return value;
}
