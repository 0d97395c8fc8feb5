// The request budget of one Polygon API key, shared by every process through Redis: requests are paced so that
// no 1 s window holds more than requestsPerSecond, and counted per UTC day against an optional daily limit, both in
// one atomic Lua script.
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

const USAGE_TTL_SECONDS = 35 * 24 * 3600; // `ai-trader audit api-usage --days N` reads them back

/*
 * Pacing: a GCRA with a bounded slack, on the Redis clock (TIME, the one clock every process agrees on).
 * KEYS[1] holds the theoretical arrival time (TAT, µs) of the next free slot. A request may go when TAT <= now —
 * never earlier, so a PAUSE (below) holds everyone off until its end. Granted at `now`, the request takes the
 * virtual slot v = max(TAT, now - S) and moves TAT to v + I. A grant is made at the moment the request is sent,
 * never booked ahead, and the daily quota is checked and the usage counted in the same script, so two processes
 * cannot both take the last request of the day.
 *
 * Why the slack S: a caller cannot wake exactly at TAT (the wait is whole ms, timers fire late, the event loop is
 * busy, Redis is a round trip away). With TAT = now + I (S = 0) every such lateness is lost for good, and at
 * 50–100 req/s a couple of ms per 10–20 ms slot is a 10–20 % shortfall. With S, a grant up to S late still takes
 * the slot it was due (v = TAT), so the slots keep their schedule; only lateness beyond S is lost.
 *
 * Why no window holds more than N = requestsPerSecond. Number the grants k = 1, 2, … with virtual slots v_k:
 *   (a) v_k+1 >= v_k + I: the virtual slots are at least I apart (TAT only grows between grants: PAUSE raises it,
 *       and the key expires only 1 s after its TAT has passed, when now - S is already beyond it);
 *   (b) v_k <= now_k <= v_k + S: each grant is made within S after its slot (TAT <= now_k, and the max).
 * The provider counts a request when it arrives, now_k + d_k, d_k the time from grant to arrival. If d_k varies
 * by at most M between requests (d <= d_k <= d + M), every arrival lies in [v_k + d, v_k + d + S + M]. So the
 * arrivals in a 1 s window [a, a + 1 s) have their virtual slots in [a - d - S - M, a - d + 1 s), a half-open
 * interval of length 1 s + S + M. With I = (1 s + S + M) / N (rounded up), N + 1 slots I apart span at least
 * N·I >= 1 s + S + M and cannot fit in it: at most N per 1 s window, sliding or on the provider's clock seconds.
 * The price is pacing slightly under N: N / (1 + S + M) per second in the long run, 0.97 N with S = 10 ms and
 * M = 20 ms, whatever N is. S covers a caller's usual lateness (a few ms: whole-ms waits, timers, a Redis round
 * trip); M the jitter between grant and arrival (event loop, scheduling, network) — the larger share, since a
 * grant made a full S late followed by punctual ones leaves only M for it. Nothing can cover a process stalled
 * longer than that between grant and send (a cold fetch, a descheduled worker); the provider may then answer 429,
 * which the client retries (pausing every process when told a Retry-After). The slack bounds bursts too: after an
 * idle spell v = now - S, so at most 1 + floor(S / I) requests go at once (1 up to 100 req/s); a pause or an idle
 * spell is not made up.
 * KEYS: rl, usage; ARGV: slot interval I µs, daily limit (0 = none), usage TTL s, slack S µs.
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
local slot = math.max(tat, now - tonumber(ARGV[4]))
redis.call('SET', KEYS[1], string.format('%.0f', slot + interval), 'PX', math.ceil(interval / 1000) + 1000)
count = redis.call('INCR', KEYS[2])
redis.call('EXPIRE', KEYS[2], tonumber(ARGV[3]))
return {0, count}
`;

/** S above: how late a caller may take its slot and still keep the schedule. */
export const PACING_SLACK_US = 10_000;
/** M above: how much the time from grant to the provider's count may vary between requests. */
export const PACING_MARGIN_US = 20_000;

/** I above: the slot interval in µs at `requestsPerSecond`, so that no 1 s window holds more than that many. */
export function slotIntervalUs(requestsPerSecond: number): number {
  return Math.max(1, Math.ceil((1_000_000 + PACING_SLACK_US + PACING_MARGIN_US) / requestsPerSecond));
}

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
    this.intervalUs = slotIntervalUs(requestsPerSecond);
  }

  /** Takes a request slot now if one is free (and counts the request), else says how long to wait before asking
   *  again; 'quota_exhausted' when the daily limit is spent (nothing taken, nothing counted). */
  async acquire(): Promise<Slot> {
    const day = utcDay();
    const [code, count] = (await this.redis.eval(ACQUIRE, 2, this.keys.rateLimit, this.keys.usage(day), this.intervalUs, this.dailyLimit ?? 0, USAGE_TTL_SECONDS, PACING_SLACK_US)) as [number, number];
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
