// The request budget of one Polygon API key, shared by every process through Redis: requests are paced
// at requestsPerSecond and counted per UTC day against an optional daily limit, both in one atomic Lua script.
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/** First 12 hex of sha256(apiKey): names the key's Redis entries without storing the key itself. */
export function polygonKeyHash(apiKey: string): string {
  return createHash('sha256').update(apiKey).digest('hex').slice(0, 12);
}

/** Our Redis keys, same `${prefix}:…` convention as core/infra/redis.ts (kept here so core stays provider-free). */
export const polygonKeys = (prefix: string, apiKey: string) => {
  const h = polygonKeyHash(apiKey);
  return {
    rateLimit: `${prefix}:polygon:rl:${h}`,
    usage: (day: string) => `${prefix}:polygon:usage:${h}:${day}`,
  };
};

const USAGE_TTL_SECONDS = 3 * 24 * 3600;

/*
 * GCRA with no burst allowance: KEYS[1] holds the theoretical arrival time (TAT, µs, Redis clock) of the next
 * free slot. A request may go when TAT <= now; it then moves TAT to now + 1/rps. Otherwise the caller is told how
 * long to sleep and asks again. Slots are thus at least 1/rps apart, whichever process takes them: any 1 s window
 * holds at most rps of them (rps + 1 counting both ends). A slot is granted at the moment the request is sent — not
 * booked in advance — so a caller that wakes late (a busy event loop) cannot end up bunched against the next one.
 * The Redis clock (TIME) is the one clock every process agrees on. The daily quota is checked and the usage counted
 * in the same script, so two processes cannot both take the last request of the day.
 * KEYS: rl, usage; ARGV: slot interval µs, daily limit (0 = none), usage TTL s.
 * Returns {0, count} granted; {waitMs > 0, count} not yet; {-1, count} the daily limit is spent.
 */
const ACQUIRE = `
local limit = tonumber(ARGV[2])
local count = tonumber(redis.call('GET', KEYS[2]) or '0')
if limit > 0 and count >= limit then return {-1, count} end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat > now then return {math.ceil((tat - now) / 1000), count} end
local interval = tonumber(ARGV[1])
redis.call('SET', KEYS[1], string.format('%.0f', now + interval), 'PX', math.ceil(interval / 1000) + 1000)
count = redis.call('INCR', KEYS[2])
redis.call('EXPIRE', KEYS[2], tonumber(ARGV[3]))
return {0, count}
`;

/*
 * After a 429 the provider has told us (Retry-After) that the KEY is over its limit, not this process:
 * move the shared TAT past that moment so every process holds off, not only the one that was told.
 * KEYS: rl; ARGV: pause ms.
 */
const PAUSE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local untilUs = now + tonumber(ARGV[1]) * 1000
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < untilUs then
  redis.call('SET', KEYS[1], string.format('%.0f', untilUs), 'PX', tonumber(ARGV[1]) + 1000)
end
return 0
`;

export type Slot =
  | { kind: 'granted'; day: string; count: number } // count: today's requests including this one
  | { kind: 'wait'; waitMs: number }
  | { kind: 'quota_exhausted'; day: string; count: number };

export interface Usage {
  day: string; // UTC, YYYY-MM-DD
  count: number;
  limit: number | null;
}

export class PolygonBudget {
  private readonly keys: ReturnType<typeof polygonKeys>;
  private readonly intervalUs: number;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    apiKey: string,
    requestsPerSecond: number,
    private readonly dailyLimit: number | undefined,
  ) {
    if (!(requestsPerSecond > 0)) throw new RangeError(`requestsPerSecond must be positive (got ${requestsPerSecond})`);
    if (dailyLimit !== undefined && !(Number.isInteger(dailyLimit) && dailyLimit > 0))
      throw new RangeError(`dailyLimit must be a positive whole number (got ${dailyLimit})`);
    this.keys = polygonKeys(prefix, apiKey);
    this.intervalUs = Math.max(1, Math.round(1_000_000 / requestsPerSecond));
  }

  /** Takes a request slot now if one is free (and counts the request), else says how long to wait before asking
   *  again; 'quota_exhausted' when the daily limit is spent (nothing taken, nothing counted). */
  async acquire(): Promise<Slot> {
    const day = utcDay();
    const [code, count] = (await this.redis.eval(ACQUIRE, 2, this.keys.rateLimit, this.keys.usage(day), this.intervalUs, this.dailyLimit ?? 0, USAGE_TTL_SECONDS)) as [number, number];
    if (code < 0) return { kind: 'quota_exhausted', day, count };
    if (code > 0) return { kind: 'wait', waitMs: code };
    return { kind: 'granted', day, count };
  }

  async pause(ms: number): Promise<void> {
    await this.redis.eval(PAUSE, 1, this.keys.rateLimit, Math.ceil(ms));
  }

  async usage(): Promise<Usage> {
    const day = utcDay();
    const count = Number((await this.redis.get(this.keys.usage(day))) ?? 0);
    return { day, count, limit: this.dailyLimit ?? null };
  }
}

function utcDay(): string {
  return new Date().toISOString().slice(0, 10);
}
