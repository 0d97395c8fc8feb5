// Redis connections and the key names of everything this system keeps in Redis.
import { Redis } from 'ioredis';

export function createRedis(url: string, opts: { forBullWorker?: boolean; name?: string } = {}): Redis {
  return new Redis(url, {
    // BullMQ workers block on Redis; they must retry forever rather than fail a command.
    maxRetriesPerRequest: opts.forBullWorker ? null : 3,
    connectionName: opts.name,
    lazyConnect: false,
  });
}

export const keys = (prefix: string) => ({
  live: `${prefix}:live`,
  feedLast: `${prefix}:feed:last`,
  feedCursor: (feed: string) => `${prefix}:feed:cursor:${feed}`,
  /** set (to its start time, with a TTL refreshed while it runs) while a feed is delivering bars */
  feedActive: `${prefix}:feed:active`,
  barsStored: `${prefix}:stats:bars-stored`,
  /** hash symbol → {ts, at}: newest bar per symbol of one timeframe and when it arrived */
  freshness: (timeframe: string) => `${prefix}:fresh:${timeframe}`,
  heartbeat: (role: string, id: string) => `${prefix}:hb:${role}:${id}`,
  heartbeatPattern: `${prefix}:hb:*`,
  /** pub/sub: a provider's active API key changed ({ provider, at }); running clients re-read their credentials */
  apiKeysChanged: `${prefix}:api-keys:changed`,
  /** JSON of the last `db backup` / `db archive` (TLastBackup / TLastArchive), for the Database page */
  dbLastBackup: `${prefix}:db:last-backup`,
  dbLastArchive: `${prefix}:db:last-archive`,
});
