// Alpaca's request limit (200 a minute per account) shared by every process through Redis: a sliding-window log
// of grant times in one Lua script on the Redis clock, plus a shared pause after the server says 429.
import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';

/** Alpaca's documented default for the Trading API, per account (X-RateLimit-Limit is "Request limit per minute"). */
export const ALPACA_REQUESTS_PER_MINUTE = 200;

/** First 12 hex of sha256(key id): names the account's Redis entries without storing the key id itself. */
export function alpacaKeyHash(keyId: string): string {
  return createHash('sha256').update(keyId).digest('hex').slice(0, 12);
}

/** Our Redis keys, same `${prefix}:…` convention as core/infra/redis.ts. */
export const alpacaKeys = (prefix: string, keyId: string) => {
  const h = alpacaKeyHash(keyId);
  return {
    window: `${prefix}:alpaca:rl:${h}`, pause: `${prefix}:alpaca:rl-pause:${h}`,
    /** Requests sent per UTC day (`ai-trader audit api-usage`), kept 35 days. */
    usage: (day: string) => `${prefix}:alpaca:usage:${h}:${day}`,
  };
};

/*
 * Why a sliding-window log and not the GCRA of polygon-budget.ts: Alpaca counts requests per minute and allows them
 * in a burst (HALT sends cancel-all, a status check and a position query back to back). A GCRA without burst would
 * space them 300 ms apart; with a burst allowance it lets more than the limit into some 60 s window. The log keeps the
 * grant times of the last window (at most `limit` entries): a request may go when fewer than `limit` were granted in
 * the window, else the caller learns when the oldest one leaves it. Exact for any window, whichever process asks.
 * Times are the Redis clock (TIME), the one clock every process agrees on; scores are written with %.0f because Lua
 * would print a µs timestamp as 1.7e+15 and lose its digits.
 * Lanes: new entry orders may only fill the window up to `limit - reserved`; every other request (exits, cancels,
 * liquidation, reconciliation, checks) up to `limit`. A backlog of entries then can never use up what a HALT, a
 * flatten or a protective exit needs.
 * KEYS: window log, pause; ARGV: window µs, the lane's limit, member (unique per grant).
 * Returns {0, n} granted (n in the window including this one); {waitMs > 0, n} not yet — the wait is until the
 * grant that has to leave for the lane to have room (the oldest, for the full limit) leaves the window.
 */
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local paused = tonumber(redis.call('GET', KEYS[2]) or '0')
if paused > now then return {math.ceil((paused - now) / 1000), -1} end
local window = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('%.0f', now - window))
local n = redis.call('ZCARD', KEYS[1])
if n < limit then
  redis.call('ZADD', KEYS[1], string.format('%.0f', now), ARGV[3])
  redis.call('PEXPIRE', KEYS[1], math.ceil(window / 1000) + 1000)
  return {0, n + 1}
end
local leaving = redis.call('ZRANGE', KEYS[1], n - limit, n - limit, 'WITHSCORES')
return {math.max(1, math.ceil((tonumber(leaving[2]) + window - now) / 1000)), n}
`;

/* After a 429 the server has told us the ACCOUNT is over its limit: hold every process off until then. KEYS: pause; ARGV: ms. */
const PAUSE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local untilUs = now + tonumber(ARGV[1]) * 1000
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
if cur < untilUs then redis.call('SET', KEYS[1], string.format('%.0f', untilUs), 'PX', tonumber(ARGV[1]) + 1000) end
return 0
`;

/* The pause still in force, in ms (0: none). KEYS: pause. */
const PAUSED_FOR = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local paused = tonumber(redis.call('GET', KEYS[1]) or '0')
if paused > now then return math.ceil((paused - now) / 1000) end
return 0
`;

export interface AlpacaLimiterOptions {
  redis: Redis;
  prefix: string;
  keyId: string;
  /** Requests per window (default 200). */
  limit?: number;
  /** Requests per window that entry orders leave to every other request (default 0): see the lanes above. */
  reserved?: number;
  /** The window (default 60 000 ms). */
  windowMs?: number;
  /**
   * Added to the window we enforce (default 1 000 ms): a request arrives at Alpaca a little after its grant, by a
   * varying amount, so two grants exactly one window apart could land inside one window on the server's clock.
   */
  marginMs?: number;
}

/** `entries`: a new entry order (POST /v2/orders that opens or adds), held back by the reserve; `other`: everything else. */
export type LimiterLane = 'entries' | 'other';

export type LimiterSlot = { kind: 'granted'; inWindow: number } | { kind: 'wait'; waitMs: number };

const USAGE_TTL_SECONDS = 35 * 24 * 3600;

export class AlpacaLimiter {
  private readonly keys: ReturnType<typeof alpacaKeys>;
  private readonly windowUs: number;
  private readonly limit: number;
  private readonly reserved: number;
  /** How long a slot taken ahead (reserve-then-send) stays good: the margin the window already allows for. */
  readonly slotFreshMs: number;

  constructor(private readonly o: AlpacaLimiterOptions) {
    this.limit = o.limit ?? ALPACA_REQUESTS_PER_MINUTE;
    const windowMs = o.windowMs ?? 60_000;
    if (!(Number.isInteger(this.limit) && this.limit > 0)) throw new RangeError(`limit must be a positive whole number (got ${o.limit})`);
    if (!(windowMs > 0)) throw new RangeError(`windowMs must be positive (got ${o.windowMs})`);
    this.reserved = o.reserved ?? 0;
    if (!(Number.isInteger(this.reserved) && this.reserved >= 0 && this.reserved < this.limit))
      throw new RangeError(`reserved must be a whole number from 0 to ${this.limit - 1}, below the limit of ${this.limit} (got ${o.reserved})`);
    this.slotFreshMs = o.marginMs ?? 1000;
    this.keys = alpacaKeys(o.prefix, o.keyId);
    this.windowUs = Math.round((windowMs + (o.marginMs ?? 1000)) * 1000);
  }

  /** Takes a request slot now if one is free, else says how long to wait before asking again. */
  async acquire(lane: LimiterLane = 'other'): Promise<LimiterSlot> {
    const member = `${Date.now()}-${randomBytes(6).toString('hex')}`;
    const limit = lane === 'entries' ? this.limit - this.reserved : this.limit;
    const [code, n] = (await this.o.redis.eval(ACQUIRE, 2, this.keys.window, this.keys.pause, this.windowUs, limit, member)) as [number, number];
    return code > 0 ? { kind: 'wait', waitMs: code } : { kind: 'granted', inWindow: n };
  }

  /** Waits (real time: slots free on the Redis clock) until a slot is granted. */
  async take(lane: LimiterLane = 'other'): Promise<void> {
    for (;;) {
      const slot = await this.acquire(lane);
      if (slot.kind === 'granted') {
        const usage = this.keys.usage(new Date().toISOString().slice(0, 10));
        await this.o.redis.multi().incr(usage).expire(usage, USAGE_TTL_SECONDS).exec();
        return;
      }
      // A few ms of jitter so that waiters of several processes do not all ask in the same instant.
      await new Promise((r) => setTimeout(r, slot.waitMs + Math.floor(Math.random() * 5)));
    }
  }

  /** How long every process is still held off after a 429 (0: not held off), on the Redis clock. */
  async pausedForMs(): Promise<number> {
    return (await this.o.redis.eval(PAUSED_FOR, 1, this.keys.pause)) as number;
  }

  /** Holds every process off for `ms` (a 429 says the account, not this process, is over its limit). */
  async pause(ms: number): Promise<void> {
    await this.o.redis.eval(PAUSE, 1, this.keys.pause, Math.max(1, Math.ceil(ms)));
  }
}
