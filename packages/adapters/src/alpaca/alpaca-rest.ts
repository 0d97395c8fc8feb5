// REST client for Alpaca's Trading API v2: every call paced by the shared per-account limiter, 429/5xx/network
// failures retried where repeating is safe, refusals turned into AlpacaError with a cause, and the keys never shown.
import { observeProviderRequest, type CredentialSource, type OrderRequestSlot } from '@ai-trader/core';
import { dec } from '@ai-trader/domain';
import { z } from 'zod';
import { fixedCredentials } from '../net/credentials.ts';
import { backoffMs, parseRetryAfter, realSleep } from '../polygon/polygon-retry.ts';
import { AlpacaLimiter, alpacaKeyHash, type LimiterLane } from './alpaca-limiter.ts';
import type { ActivitiesQuery, AlpacaKeys, AlpacaOrderRequest, AlpacaRestOptions, ListOrdersQuery } from './alpaca-rest-options.ts';
import {
  AlpacaError, classifyRefusal, isDuplicateClientOrderId, scrubSecrets, snippet, ZAlpacaAccount, ZAlpacaAccountConfigurations, ZAlpacaActivity,
  ZAlpacaAsset, ZAlpacaCalendarDay, ZAlpacaCancelResult, ZAlpacaClock, ZAlpacaCloseResult, ZAlpacaErrorBody, ZAlpacaOrder, ZAlpacaPosition,
  type AlpacaErrorKind, type TAlpacaActivity, type TAlpacaOrder,
} from './alpaca-wire.ts';

export type { ActivitiesQuery, AlpacaKeys, AlpacaOrderRequest, AlpacaRestOptions, ListOrdersQuery } from './alpaca-rest-options.ts';

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';
/* Every call is retried on 429, 5xx and network failures: a 429 did nothing; GET, PATCH with the same body and the
 * DELETEs are idempotent; POST /v2/orders is made idempotent by client_order_id (a repeat is refused 422 and looked up). */
interface CallOptions<T> {
  query?: Record<string, string | undefined>;
  body?: unknown;
  schema: z.ZodType<T>;
  nullOn404?: boolean;
  /** The limiter's lane (default 'other'); entry orders go in 'entries', which leaves the reserve to the rest. */
  lane?: LimiterLane;
  /** Room taken ahead for the first attempt (reserveOrderSlot). */
  slot?: OrderRequestSlot;
}

const MAX_RETRY_AFTER_MS = 2 * 60_000; // beyond this a 429 is an outage of the quota, not a blip: fail clearly
const MAX_ORDERS_PAGE = 500; // spec: "Defaults to 50 and max is 500"
const ACTIVITIES_PAGE = 100; // spec: page_size maximum 100
const TICKER = /^[A-Z][A-Z0-9.]{0,9}$/;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

export class AlpacaRest {
  private readonly base: string;
  private readonly credentials: CredentialSource<AlpacaKeys>;
  private readonly limiters = new Map<string, AlpacaLimiter>(); // per key id: the limit and usage counters are per account key
  private readonly secrets = new Set<string>(); // every key this client has used, scrubbed from what it says
  private readonly fetchImpl: typeof fetch;
  private readonly maxRetries: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly timeoutMs: number;

  constructor(private readonly o: AlpacaRestOptions) {
    this.base = o.baseUrl.replace(/\/+$/, '');
    if (o.credentials) this.credentials = o.credentials;
    else if (o.keyId && o.secretKey) this.credentials = fixedCredentials({ keyId: o.keyId, secretKey: o.secretKey });
    else throw new RangeError('AlpacaRest needs keyId and secretKey, or credentials');
    if (o.keyId) this.secrets.add(o.keyId);
    if (o.secretKey) this.secrets.add(o.secretKey);
    this.fetchImpl = o.fetchImpl ?? fetch;
    this.maxRetries = o.maxRetries ?? 5;
    this.sleep = o.sleep ?? realSleep;
    this.timeoutMs = o.requestTimeoutMs ?? 15_000;
  }

  getAccount() {
    return this.call('GET', '/v2/account', { schema: ZAlpacaAccount });
  }

  getClock() {
    return this.call('GET', '/v2/clock', { schema: ZAlpacaClock });
  }

  /** Trading days from `from` to `to` (YYYY-MM-DD, inclusive) with their session times (New York). */
  getCalendar(from: string, to: string) {
    if (!DAY.test(from) || !DAY.test(to)) throw new RangeError(`from and to must be dates like 2025-06-04 (got '${from}', '${to}')`);
    return this.call('GET', '/v2/calendar', { query: { start: from, end: to }, schema: z.array(ZAlpacaCalendarDay) });
  }

  /** The asset, or null when Alpaca does not know the symbol. */
  getAsset(symbol: string) {
    if (!TICKER.test(symbol)) throw new RangeError(`symbol must be an upper-case ticker like SPY (got '${symbol}')`);
    return this.call('GET', `/v2/assets/${encodeURIComponent(symbol)}`, { schema: ZAlpacaAsset, nullOn404: true });
  }

  /**
   * Places an order, exactly once per client_order_id: a retry after a lost answer (or a second call for the same id)
   * is refused by Alpaca with 422 "client_order_id must be unique"; then the existing order is looked up and returned.
   */
  async submitOrder(req: AlpacaOrderRequest, o: { slot?: OrderRequestSlot; lane?: LimiterLane } = {}): Promise<TAlpacaOrder> {
    if (!req.client_order_id || req.client_order_id.length > 128) throw new RangeError(`client_order_id must be 1–128 characters (got ${req.client_order_id.length})`);
    if (!/^\d+(\.\d+)?$/.test(req.qty) || dec(req.qty).lte(0)) throw new RangeError(`qty must be a positive decimal string (got '${req.qty}')`);
    if ((req.type === 'limit') !== (req.limit_price !== undefined)) throw new RangeError('limit_price is required for limit orders and only for them');
    if ((req.type === 'stop') !== (req.stop_price !== undefined)) throw new RangeError('stop_price is required for stop orders and only for them');
    if (req.type === 'trailing_stop' ? (req.trail_percent === undefined) === (req.trail_price === undefined) : req.trail_percent !== undefined || req.trail_price !== undefined)
      throw new RangeError('a trailing_stop order takes exactly one of trail_percent and trail_price, other orders neither');
    for (const [k, v] of [['limit_price', req.limit_price], ['stop_price', req.stop_price], ['trail_percent', req.trail_percent], ['trail_price', req.trail_price]] as const)
      if (v !== undefined && (!/^\d+(\.\d+)?$/.test(v) || dec(v).lte(0))) throw new RangeError(`${k} must be a positive decimal string (got '${v}')`);
    // Spec: qty "can be fractionable for only market and day order types".
    if (!dec(req.qty).isInteger() && (req.type !== 'market' || req.time_in_force !== 'day')) throw new RangeError(`a fractional qty (${req.qty}) is only for market day orders`);
    try {
      return await this.call('POST', '/v2/orders', { body: req, schema: ZAlpacaOrder, lane: o.lane ?? 'entries', slot: o.slot });
    } catch (e) {
      if (!(e instanceof AlpacaError) || !isDuplicateClientOrderId(e.detail.status ?? 0, e.detail.brokerMessage ?? '')) throw e;
      const existing = await this.existingOrder(req.client_order_id);
      // The id is derived from our intent id, so a different order behind it is a bug of ours, not a repeat.
      if (existing.symbol !== req.symbol || existing.side !== req.side || existing.qty == null || !dec(existing.qty).eq(req.qty))
        throw new AlpacaError('rejected', `client_order_id ${req.client_order_id} is already used at Alpaca by a different order (${existing.side} ${existing.qty ?? '?'} ${existing.symbol}, id ${existing.id}); not sending ${req.side} ${req.qty} ${req.symbol}`, { status: 422 });
      this.o.logger.info({ clientOrderId: req.client_order_id, brokerOrderId: existing.id, status: existing.status }, 'Alpaca already has this order (client_order_id reused); using it');
      return existing;
    }
  }

  /**
   * Waits until the account's limit has room for a new order in the lane (default: an entry) and takes it, for the
   * submitOrder given the slot. Used within the limiter's margin (about a second) it pays for that request; later it is dropped
   * and the request waits for room itself (sent long after its grant, it could land in a window already full at
   * Alpaca).
   */
  async reserveOrderSlot(lane: LimiterLane = 'entries'): Promise<OrderRequestSlot> {
    const keys = await this.keys();
    await this.limiter(keys.keyId).take(lane);
    return { account: alpacaKeyHash(keys.keyId), takenAt: performance.now(), used: false };
  }

  /** The order with this client_order_id, or null. */
  getOrderByClientId(clientOrderId: string) {
    return this.call('GET', '/v2/orders:by_client_order_id', { query: { client_order_id: clientOrderId }, schema: ZAlpacaOrder, nullOn404: true });
  }

  /** The order with this Alpaca id, or null. */
  getOrder(orderId: string) {
    return this.call('GET', `/v2/orders/${encodeURIComponent(orderId)}`, { schema: ZAlpacaOrder, nullOn404: true });
  }

  /** One page of orders (see ListOrdersQuery; `after` filters on SUBMISSION time, not on when an order changed). */
  listOrders(q: ListOrdersQuery = {}) {
    const limit = q.limit ?? MAX_ORDERS_PAGE;
    if (!(Number.isInteger(limit) && limit >= 1 && limit <= MAX_ORDERS_PAGE)) throw new RangeError(`limit must be 1–${MAX_ORDERS_PAGE} (got ${limit})`);
    return this.call('GET', '/v2/orders', {
      query: {
        status: q.status ?? 'open', limit: String(limit), after: q.after, until: q.until, direction: q.direction,
        symbols: q.symbols?.join(','), after_order_id: q.afterOrderId,
      },
      schema: z.array(ZAlpacaOrder),
    });
  }

  /** Every order of a status, oldest first, following after_order_id from page to page. */
  async listAllOrders(status: 'open' | 'closed' | 'all'): Promise<TAlpacaOrder[]> {
    const all: TAlpacaOrder[] = [];
    for (let afterOrderId: string | undefined; ;) {
      const page = await this.listOrders({ status, direction: 'asc', limit: MAX_ORDERS_PAGE, afterOrderId });
      all.push(...page);
      if (page.length < MAX_ORDERS_PAGE) return all;
      afterOrderId = page[page.length - 1]!.id;
    }
  }

  /**
   * Asks Alpaca to cancel one order: 'requested' (204; it passes through pending_cancel to canceled — or fills first),
   * 'not_cancelable' (422: filled or otherwise done), 'not_found' (404).
   */
  async cancelOrder(orderId: string): Promise<'requested' | 'not_cancelable' | 'not_found'> {
    try {
      const r = await this.call('DELETE', `/v2/orders/${encodeURIComponent(orderId)}`, { schema: z.unknown(), nullOn404: true });
      return r === null ? 'not_found' : 'requested';
    } catch (e) {
      if (e instanceof AlpacaError && e.detail.status === 422) return 'not_cancelable';
      throw e;
    }
  }

  /** Asks Alpaca to cancel every open order; per order, the HTTP status of its cancel request. */
  cancelAllOrders() {
    return this.call('DELETE', '/v2/orders', { schema: z.array(ZAlpacaCancelResult) });
  }

  listPositions() {
    return this.call('GET', '/v2/positions', { schema: z.array(ZAlpacaPosition) });
  }

  /**
   * Liquidates every position (cancelling open orders first when asked). Repeating it is safe: with cancel_orders the
   * second call cancels the first call's closing orders and places the same ones again.
   */
  closeAllPositions(cancelOrders = true) {
    return this.call('DELETE', '/v2/positions', { query: { cancel_orders: String(cancelOrders) }, schema: z.array(ZAlpacaCloseResult) });
  }

  getAccountConfigurations() {
    return this.call('GET', '/v2/account/configurations', { schema: ZAlpacaAccountConfigurations });
  }

  /** suspend_trade: while true Alpaca blocks new orders on the account (our HALT at the broker). */
  async setSuspendTrade(suspend: boolean): Promise<boolean> {
    const cfg = await this.call('PATCH', '/v2/account/configurations', { body: { suspend_trade: suspend }, schema: ZAlpacaAccountConfigurations });
    if (cfg.suspend_trade !== suspend) throw new AlpacaError('bad_response', `Alpaca answered PATCH /v2/account/configurations with suspend_trade=${cfg.suspend_trade}, not ${suspend}`);
    return cfg.suspend_trade;
  }

  /** Account activities of the given types, every page (page_token = the last id of the previous page). */
  async listActivities(q: ActivitiesQuery = {}): Promise<TAlpacaActivity[]> {
    const all: TAlpacaActivity[] = [];
    const seen = new Set<string>();
    for (let pageToken: string | undefined; ;) {
      const page = await this.call('GET', '/v2/account/activities', {
        query: {
          activity_types: q.types?.join(','), after: q.after, until: q.until, direction: q.direction ?? 'asc',
          page_size: String(ACTIVITIES_PAGE), page_token: pageToken,
        },
        schema: z.array(ZAlpacaActivity),
      });
      all.push(...page);
      if (page.length < ACTIVITIES_PAGE) return all;
      pageToken = page[page.length - 1]!.id;
      if (seen.has(pageToken)) throw this.error('bad_response', `Alpaca repeated the activities page after ${pageToken}; stopping instead of looping`);
      seen.add(pageToken);
    }
  }

  /** After a 422 "must be unique" the order exists; it can take a moment to be readable, so ask a few times. */
  private async existingOrder(clientOrderId: string): Promise<TAlpacaOrder> {
    for (let attempt = 0; attempt < 4; attempt++) {
      const found = await this.getOrderByClientId(clientOrderId);
      if (found) return found;
      await this.sleep(backoffMs(attempt + 1, 200, 2000));
    }
    throw this.error('broker_down', `Alpaca says client_order_id ${clientOrderId} is taken but has no order under it; try again later`);
  }

  /** The keys in use now (remembered for scrubbing). */
  private async keys(refresh = false): Promise<AlpacaKeys> {
    const k = await (refresh ? this.credentials.refresh() : this.credentials.get());
    this.secrets.add(k.keyId).add(k.secretKey);
    return k;
  }

  private limiter(keyId: string): AlpacaLimiter {
    let l = this.limiters.get(keyId);
    if (!l) {
      const o = this.o;
      l = new AlpacaLimiter({ redis: o.redis, prefix: o.prefix, keyId, limit: o.rateLimit?.requests, windowMs: o.rateLimit?.windowMs, marginMs: o.rateLimit?.marginMs, reserved: o.rateLimit?.reserved });
      this.limiters.set(keyId, l);
    }
    return l;
  }

  /** One request with the keys, paced by the shared limiter, retried on 429/5xx/network failures, parsed with `schema`. */
  private async call<T>(method: Method, path: string, c: CallOptions<T> & { nullOn404: true }): Promise<T | null>;
  private async call<T>(method: Method, path: string, c: CallOptions<T>): Promise<T>;
  private async call<T>(method: Method, path: string, c: CallOptions<T>): Promise<T | null> {
    const url = new URL(this.base + path);
    for (const [k, v] of Object.entries(c.query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
    const shown = `${method} ${url.pathname}${url.search}`;
    let keys = await this.keys();
    let reread = false;
    for (let attempt = 0; ; attempt++) {
      const headers: Record<string, string> = { 'APCA-API-KEY-ID': keys.keyId, 'APCA-API-SECRET-KEY': keys.secretKey, accept: 'application/json' };
      if (c.body !== undefined) headers['content-type'] = 'application/json';
      const limiter = this.limiter(keys.keyId);
      // Room taken ahead pays for the first attempt while fresh, of this account, and no 429 pause came in between.
      const slot = c.slot;
      const fresh = attempt === 0 && slot && !slot.used && slot.account === alpacaKeyHash(keys.keyId) && performance.now() - slot.takenAt <= limiter.slotFreshMs;
      if (fresh && (await limiter.pausedForMs()) === 0) slot.used = true;
      else await limiter.take(c.lane);
      let status: number;
      let text = '', network = '';
      let res: Response | undefined;
      const t0 = performance.now();
      try {
        res = await this.fetchImpl(url, { method, headers, body: c.body === undefined ? undefined : JSON.stringify(c.body), signal: AbortSignal.timeout(this.timeoutMs) });
        status = res.status;
        text = await res.text();
      } catch (e) {
        status = 0; // also when the body breaks off after the status line: the answer is lost either way
        network = describeNetworkError(e, this.timeoutMs);
      }
      observeProviderRequest('alpaca', status, t0);
      if (status >= 200 && status < 300) return this.parse(text, c.schema, shown, status);
      if (status === 404 && c.nullOn404) return null;
      if (status !== 0 && status !== 408 && status !== 429 && status < 500) {
        const refusal = this.refusal(status, text, method, url.pathname, shown);
        // Keys refused: perhaps rotated a moment ago. Re-read once; retry only if they are other keys now.
        if (refusal.kind === 'auth' && !reread) {
          reread = true;
          const fresh = await this.keys(true).catch(() => keys);
          if (fresh.keyId !== keys.keyId || fresh.secretKey !== keys.secretKey) {
            this.o.logger.warn({ method, path: url.pathname }, `Alpaca refused the keys on ${shown}; the keys changed meanwhile, retrying with the new ones`);
            keys = fresh;
            attempt--;
            continue;
          }
        }
        throw refusal;
      }

      const what = status === 0 ? `network error (${network})` : `HTTP ${status}`;
      const kind: AlpacaErrorKind = status === 429 ? 'rate_limited' : 'broker_down';
      const asked = status === 429 && res ? waitAskedFor(res.headers) : undefined;
      if (asked !== undefined && asked > MAX_RETRY_AFTER_MS)
        throw this.error('rate_limited', `Alpaca asks us to wait ${Math.round(asked / 1000)} s before ${shown}; that is longer than ${MAX_RETRY_AFTER_MS / 1000} s, so giving up`, { status, method, path: url.pathname });
      if (attempt >= this.maxRetries)
        throw this.error(kind, `${shown} failed after ${attempt + 1} attempts; last: ${what}${text ? `: "${this.quote(text)}"` : ''}`, { status: status || undefined, method, path: url.pathname });
      const delayMs = asked ?? backoffMs(attempt);
      // The 429 is about the account: every process holds off, not only this one.
      if (status === 429) await limiter.pause(delayMs);
      this.o.logger.warn({ method, path: url.pathname, attempt: attempt + 1, maxRetries: this.maxRetries, status, delayMs }, this.clean(`Alpaca ${what} on ${shown}; retry ${attempt + 1}/${this.maxRetries} in ${delayMs} ms`));
      await this.sleep(delayMs);
    }
  }

  private parse<T>(text: string, schema: z.ZodType<T>, shown: string, status: number): T {
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      throw this.error('bad_response', `Alpaca answered ${shown} (HTTP ${status}) with a body that is not JSON: "${this.quote(text)}"`, { status });
    }
    const r = schema.safeParse(json);
    if (!r.success) {
      const issue = r.error.issues[0]!;
      const where = issue.path.join('.') || '(top level)';
      throw this.error('bad_response', `Alpaca answered ${shown} (HTTP ${status}) with an unexpected shape at ${where}: ${issue.message}; body starts "${this.quote(text)}"`, { status });
    }
    return r.data;
  }

  /** A 4xx answer as an AlpacaError whose kind says why (buying power, not tradable, …) and whose message says what. */
  private refusal(status: number, text: string, method: Method, path: string, shown: string): AlpacaError {
    let body: z.infer<typeof ZAlpacaErrorBody> | undefined;
    try {
      const r = ZAlpacaErrorBody.safeParse(JSON.parse(text));
      if (r.success) body = r.data;
    } catch {
      // not JSON: an HTML page from a proxy, or nothing
    }
    const message = this.clean(body?.message ?? snippet(text));
    const kind = classifyRefusal(status, message);
    const code = body?.code;
    const detail = { status, code, brokerMessage: message, method, path };
    const said = `(HTTP ${status}${code ? `, code ${code}` : ''}): ${message || 'no message'}`;
    if (kind === 'auth')
      return this.error('auth', `Alpaca refused the API keys for ${shown} ${said}; check ALPACA_KEY_ID / ALPACA_SECRET_KEY and that ALPACA_BASE_URL is the environment of those keys (paper keys work only with paper-api.alpaca.markets)`, detail);
    if (kind === 'not_found') return this.error('not_found', `Alpaca has nothing at ${shown} ${said}`, detail);
    const extra = kind === 'insufficient_buying_power' && body && typeof body.buying_power === 'string' ? ` (buying power ${body.buying_power}${typeof body.cost_basis === 'string' ? `, order costs ${body.cost_basis}` : ''})` : '';
    return this.error(kind, `Alpaca refused ${shown} ${said}${extra}`, detail);
  }

  /** The start of a body for a message: scrubbed BEFORE cutting, so a half-cut secret cannot slip through. */
  private quote(text: string): string {
    return snippet(this.clean(text));
  }

  private clean(text: string): string {
    return scrubSecrets(text, [...this.secrets].sort((a, b) => b.length - a.length)); // longest first: a key inside another
  }

  private error(kind: AlpacaErrorKind, message: string, detail: AlpacaError['detail'] = {}): AlpacaError {
    return new AlpacaError(kind, this.clean(message), detail);
  }
}

/** How long a 429 asks us to wait: Retry-After if sent, else until X-RateLimit-Reset (epoch seconds) when nothing remains. */
export function waitAskedFor(headers: Headers, nowMs = Date.now()): number | undefined {
  const retryAfter = parseRetryAfter(headers.get('retry-after'), nowMs);
  if (retryAfter !== undefined) return retryAfter;
  const reset = Number(headers.get('x-ratelimit-reset'));
  const remaining = headers.get('x-ratelimit-remaining');
  if (!Number.isFinite(reset) || reset <= 0 || (remaining !== null && Number(remaining) > 0)) return undefined;
  return Math.max(0, Math.ceil(reset * 1000 - nowMs));
}

function describeNetworkError(e: unknown, timeoutMs: number): string {
  if (!(e instanceof Error)) return String(e);
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return `no answer within ${timeoutMs} ms`;
  const cause = (e as Error & { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? e.message;
}
