// Our Redis, as `ai-trader cache stats|flush` sees it. Keys under REDIS_PREFIX fall in three kinds: queue (BullMQ:
// jobs, schedules — never touched here), cache (rebuilt from Postgres on a miss: the latest-bars cache) and state
// (feed cursor, freshness, heartbeats, logs, counters… — losing them changes behaviour). Flush deletes cache keys only.
import { JOB_NAMES, type TActor } from '@ai-trader/contracts';
import type { Deps } from '../ports.ts';
import { latestCacheStats } from '../infra/latest-bars.ts';

/** The groups (second segment of the key) whose keys are a cache: safe to delete, refilled from Postgres. */
export const CACHE_GROUPS = ['latest'] as const;
const QUEUES = new Set<string>(JOB_NAMES);

export interface KeyGroup {
  group: string;
  kind: 'queue' | 'cache' | 'state';
  keys: number;
  memoryBytes: number;
}

export interface CacheStats {
  prefix: string;
  keys: number;
  memoryBytes: number;
  groups: KeyGroup[];
  /** The latest-bars cache: reads answered from Redis vs from Postgres since the counters began. */
  latestCache: { hits: number; misses: number; hitRate: number | null };
  /** The whole Redis server (shared with other prefixes). */
  server: { usedMemoryBytes: number; maxMemoryBytes: number; evictedKeys: number; keyspaceHitRate: number | null };
}

const kindOf = (group: string): KeyGroup['kind'] => (QUEUES.has(group) ? 'queue' : (CACHE_GROUPS as readonly string[]).includes(group) ? 'cache' : 'state');

async function* scanKeys(redis: Deps['redis'], pattern: string): AsyncGenerator<string[]> {
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    if (found.length) yield found;
    cursor = next;
  } while (cursor !== '0');
}

export async function cacheStats(deps: Pick<Deps, 'redis' | 'config'>): Promise<CacheStats> {
  const prefix = deps.config.REDIS_PREFIX;
  const groups = new Map<string, KeyGroup>();
  for await (const batch of scanKeys(deps.redis, `${prefix}:*`)) {
    const p = deps.redis.pipeline();
    for (const k of batch) p.call('MEMORY', 'USAGE', k, 'SAMPLES', '0');
    const sizes = (await p.exec()) ?? [];
    batch.forEach((k, i) => {
      const group = k.slice(prefix.length + 1).split(':')[0]!;
      const g = groups.get(group) ?? groups.set(group, { group, kind: kindOf(group), keys: 0, memoryBytes: 0 }).get(group)!;
      g.keys++;
      g.memoryBytes += Number(sizes[i]?.[1] ?? 0);
    });
  }
  const info = await deps.redis.info();
  const field = (name: string) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1] ?? 0);
  const hits = field('keyspace_hits'), misses = field('keyspace_misses');
  const list = [...groups.values()].sort((a, b) => b.memoryBytes - a.memoryBytes);
  return {
    prefix, keys: list.reduce((s, g) => s + g.keys, 0), memoryBytes: list.reduce((s, g) => s + g.memoryBytes, 0), groups: list,
    latestCache: await latestCacheStats(deps),
    server: { usedMemoryBytes: field('used_memory'), maxMemoryBytes: field('maxmemory'), evictedKeys: field('evicted_keys'), keyspaceHitRate: hits + misses ? hits / (hits + misses) : null },
  };
}

/**
 * Deletes the cache keys under our prefix (never queues or state). Without `confirm` it only counts what it would
 * delete. Audited when an actor is given.
 */
export async function flushCache(
  deps: Pick<Deps, 'redis' | 'config' | 'prisma' | 'clock' | 'events' | 'logger'>,
  input: { confirm: boolean; actor?: Pick<TActor, 'id' | 'email'> },
): Promise<{ deleted: number; matched: number; groups: string[] }> {
  const prefix = deps.config.REDIS_PREFIX;
  let matched = 0, deleted = 0;
  for (const g of CACHE_GROUPS)
    for await (const batch of scanKeys(deps.redis, `${prefix}:${g}:*`)) {
      matched += batch.length;
      if (input.confirm) deleted += await deps.redis.unlink(...batch);
    }
  if (input.confirm) {
    deps.logger.info({ category: 'system', deleted, groups: CACHE_GROUPS }, `cache flushed: ${deleted} key(s)`);
    if (input.actor) {
      await deps.prisma.auditLog.create({ data: { at: deps.clock.now(), actorId: input.actor.id, actorEmail: input.actor.email, action: 'cache.flush', reason: 'cache flush', after: { deleted, groups: [...CACHE_GROUPS] } } });
      await deps.events.publish('audit');
    }
  }
  return { deleted, matched, groups: [...CACHE_GROUPS] };
}
