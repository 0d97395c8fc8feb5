// Health of every component for /api/health: Postgres and Redis (down → 503), workers by heartbeat and
// the feed by freshness (missing or stale → degraded, still 200: the console can serve).
import type { THealth } from '@ai-trader/contracts';
import { keys } from '../infra/redis.ts';
import type { Deps } from '../ports.ts';
import { readFreshness } from './freshness.ts';

type HealthDeps = Pick<Deps, 'prisma' | 'redis' | 'config' | 'clock'>;
type Component = THealth['components'][string];

const withTimeout = <T>(p: Promise<T>, ms: number, what: string) =>
  Promise.race([p, new Promise<never>((_, rej) => setTimeout(() => rej(new Error(`${what} did not answer within ${ms} ms`)), ms).unref())]);

export const HEARTBEAT_TTL_SECONDS = 15;

export async function checkHealth(deps: HealthDeps, opts: { feedStaleSeconds?: number } = {}): Promise<THealth> {
  const components: Record<string, Component> = {};
  const now = deps.clock.now();
  try {
    await withTimeout(deps.prisma.$queryRaw`SELECT 1`, 2000, 'Postgres');
    components.postgres = { status: 'ok', detail: 'query ok' };
  } catch (e) {
    components.postgres = { status: 'down', detail: (e as Error).message.split('\n')[0]! };
  }
  let redisUp = false;
  try {
    await withTimeout(deps.redis.ping(), 2000, 'Redis');
    components.redis = { status: 'ok', detail: 'ping ok' };
    redisUp = true;
  } catch (e) {
    components.redis = { status: 'down', detail: (e as Error).message.split('\n')[0]! };
  }
  if (redisUp) {
    const k = keys(deps.config.REDIS_PREFIX);
    const beats = await deps.redis.keys(k.heartbeatPattern); // few keys (one per worker process)
    // key = <prefix>:hb:<role>:<process id>
    const roles = [...new Set(beats.map((b) => b.split(':')[2]!))].sort();
    const processes = new Set(beats.map((b) => b.split(':').slice(3).join(':'))).size;
    components.workers = roles.length
      ? { status: 'ok', detail: `${processes} worker process(es) alive; roles: ${roles.join(', ')}` }
      : { status: 'degraded', detail: `no worker heartbeat in the last ${HEARTBEAT_TTL_SECONDS} s` };
    const feed = await deps.redis.hgetall(k.feedLast);
    const stale = opts.feedStaleSeconds ?? deps.config.STALE_AFTER_SECONDS;
    if (!feed.at) components.feed = { status: 'degraded', detail: 'no bar received yet' };
    else {
      const age = Math.round((now.getTime() - Date.parse(feed.at)) / 1000);
      components.feed = age > stale
        ? { status: 'degraded', detail: `last bar (${feed.symbol} ${feed.ts}) arrived ${age} s ago (stale after ${stale} s)` }
        : { status: 'ok', detail: `last bar ${feed.symbol} ${feed.ts}, ${age} s ago` };
      const staleSymbols = (await Promise.all(['1m', '5m'].map((tf) => readFreshness({ ...deps, config: { ...deps.config, STALE_AFTER_SECONDS: stale } }, tf))))
        .flat()
        .filter((f) => f.stale);
      if (staleSymbols.length && components.feed.status === 'ok')
        components.feed = { status: 'degraded', detail: `stale: ${staleSymbols.map((f) => `${f.symbol} ${f.timeframe} (${f.ageSeconds} s)`).join(', ')}` };
    }
  } else {
    components.workers = { status: 'down', detail: 'unknown: Redis is down' };
    components.feed = { status: 'down', detail: 'unknown: Redis is down' };
  }
  const statuses = Object.values(components).map((c) => c.status);
  const hardDown = components.postgres.status === 'down' || components.redis?.status === 'down';
  const status = hardDown ? 'down' : statuses.every((s) => s === 'ok') ? 'ok' : 'degraded';
  return { status, checkedAt: now.toISOString(), components };
}
