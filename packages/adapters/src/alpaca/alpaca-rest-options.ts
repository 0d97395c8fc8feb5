// What AlpacaRest is built with and what its calls take (the client itself is alpaca-rest.ts).
import type { CredentialSource } from '@ai-trader/core';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { TAlpacaTimeInForce } from './alpaca-wire.ts';

export interface AlpacaKeys {
  keyId: string;
  secretKey: string;
}

export interface AlpacaRestOptions {
  baseUrl: string; // ALPACA_BASE_URL, e.g. https://paper-api.alpaca.markets
  /** Fixed keys, or `credentials`. */
  keyId?: string;
  secretKey?: string;
  /** Where the keys in use come from: read per request (cached by the source), so a rotation reaches a running
   *  client; a refusal of the keys re-reads them once and retries when they changed. */
  credentials?: CredentialSource<AlpacaKeys>;
  redis: Redis;
  prefix: string; // REDIS_PREFIX
  /** The account's request limit, shared by every process (default 200 per 60 000 ms); `reserved`: requests per
   *  window new orders leave to everything else (default 0; see alpaca-limiter.ts). */
  rateLimit?: { requests: number; windowMs: number; marginMs?: number; reserved?: number };
  logger: Logger;
  fetchImpl?: typeof fetch;
  maxRetries?: number; // default 5
  sleep?: (ms: number) => Promise<void>; // how backoff waits (tests may record instead of waiting)
  requestTimeoutMs?: number; // per attempt (default 15 000); a timeout is retried like a network error
}

export interface AlpacaOrderRequest {
  symbol: string;
  qty: string;
  side: 'buy' | 'sell';
  type: 'market' | 'limit' | 'stop' | 'trailing_stop';
  time_in_force: TAlpacaTimeInForce;
  limit_price?: string;
  stop_price?: string; // stop orders
  trail_percent?: string; // trailing stops: this or trail_price
  trail_price?: string;
  client_order_id: string;
  extended_hours?: boolean;
}

export interface ListOrdersQuery {
  status?: 'open' | 'closed' | 'all';
  after?: string; // submitted after (exclusive), RFC 3339
  until?: string;
  limit?: number; // ≤ 500
  direction?: 'asc' | 'desc';
  symbols?: string[];
  afterOrderId?: string; // orders submitted after this one (exclusive); not with after/until
}

export interface ActivitiesQuery {
  types?: string[]; // e.g. ['FILL']
  after?: string; // YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (whole seconds), exclusive
  until?: string;
  direction?: 'asc' | 'desc';
}
