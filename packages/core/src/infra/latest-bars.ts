// Cache of the latest close per symbol and timeframe in Redis: written through on every ingested bar,
// read by the overview and risk. Memory is bounded by design — one small hash field per symbol and
// timeframe, never a history — and hits and misses are counted so the hit rate can be watched.
import type { TTimeframe } from '@ai-trader/contracts';
import { TIMEFRAME_TABLE } from '@ai-trader/db';
import type { ChainableCommander } from 'ioredis';
import type { Deps } from '../ports.ts';

const k = (prefix: string) => ({
  latest: (tf: string) => `${prefix}:latest:${tf}`,
  hits: `${prefix}:stats:latest-hit`,
  misses: `${prefix}:stats:latest-miss`,
});

// Keep the newest: a replay or backfill may deliver older bars after newer ones.
const SET_IF_NEWER = `
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if cur then
  local ts = cjson.decode(cur).ts
  if ts >= ARGV[2] then return 0 end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 1`;

export function cacheLatest(multi: ChainableCommander, prefix: string, bar: { symbol: string; timeframe: string; ts: string; close: string }): void {
  multi.eval(SET_IF_NEWER, 1, k(prefix).latest(bar.timeframe), bar.symbol, bar.ts, JSON.stringify({ ts: bar.ts, close: bar.close }));
}

/** Latest close per symbol: from the cache, or from Postgres on a miss (which then fills the cache). */
export async function latestCloses(deps: Pick<Deps, 'redis' | 'pool' | 'config'>, symbols: string[], timeframe: TTimeframe): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (!symbols.length) return out;
  const keys = k(deps.config.REDIS_PREFIX);
  const cached = await deps.redis.hmget(keys.latest(timeframe), ...symbols);
  const missing: string[] = [];
  symbols.forEach((s, i) => (cached[i] ? out.set(s, (JSON.parse(cached[i]!) as { close: string }).close) : missing.push(s)));
  const m = deps.redis.multi().incrby(keys.hits, symbols.length - missing.length).incrby(keys.misses, missing.length);
  if (missing.length) {
    const rows = await deps.pool.query<{ symbol: string; ts: Date; close: string }>(
      `SELECT DISTINCT ON (symbol) symbol, ts, close::text AS close FROM ${TIMEFRAME_TABLE[timeframe]} WHERE symbol = ANY($1) ORDER BY symbol, ts DESC`,
      [missing],
    );
    for (const r of rows.rows) {
      out.set(r.symbol, r.close);
      cacheLatest(m, deps.config.REDIS_PREFIX, { symbol: r.symbol, timeframe, ts: r.ts.toISOString().replace('.000Z', 'Z'), close: r.close });
    }
  }
  await m.exec();
  return out;
}

export async function latestCacheStats(deps: Pick<Deps, 'redis' | 'config'>): Promise<{ hits: number; misses: number; hitRate: number | null }> {
  const keys = k(deps.config.REDIS_PREFIX);
  const [h, m] = await deps.redis.mget(keys.hits, keys.misses);
  const hits = Number(h ?? 0), misses = Number(m ?? 0);
  return { hits, misses, hitRate: hits + misses ? hits / (hits + misses) : null };
}
