// REST client for Polygon (now "Massive"): aggregates as pages of TBar and news as pages of articles, paced and
// counted per API key across processes (polygon-budget.ts), retrying 429/5xx/network failures, never showing the key.
import type { TBar } from '@ai-trader/contracts';
import { observeProviderRequest, type CredentialSource } from '@ai-trader/core';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { fixedCredentials } from '../net/credentials.ts';
import { PolygonBudget, type Usage } from './polygon-budget.ts';
import { PolygonError, scrub, shownPath, snippet, type PolygonErrorKind } from './polygon-error.ts';
import { backoffMs, parseRetryAfter, realSleep } from './polygon-retry.ts';
import { timeframeOf, toBar, toNewsArticle, ZPolygonAggsPage, ZPolygonMarketStatus, ZPolygonNewsPage, type TNewsArticle } from './polygon-wire.ts';

export interface PolygonRestOptions {
  baseUrl: string;
  /** A fixed key, or `credentials`. */
  apiKey?: string;
  /** Where the key in use comes from: read per request (cached by the source), so a rotation reaches a running
   *  client; a refusal of the key re-reads it once and retries when it changed. */
  credentials?: CredentialSource<PolygonKey>;
  redis: Redis;
  prefix: string;
  requestsPerSecond: number;
  dailyLimit?: number | undefined;
  logger: Logger;
  fetchImpl?: typeof fetch;
  maxRetries?: number;
  sleep?: (ms: number) => Promise<void>; // how retry backoff / Retry-After waits (tests record instead of waiting)
  requestTimeoutMs?: number; // per attempt; a timeout is retried like a network error
}

export interface AggregatesQuery {
  ticker: string;
  multiplier: number;
  timespan: 'minute' | 'hour' | 'day';
  from: string; // YYYY-MM-DD
  to: string; // YYYY-MM-DD, inclusive
  adjusted?: boolean;
}

export interface NewsQuery {
  ticker: string;
  from: string; // YYYY-MM-DD or RFC 3339, inclusive
  to: string;
}

// next_url comes from the server and we add our key to it, so it may only point at the provider: our base URL
// or either of its names (after the rebrand, api.polygon.io can hand out api.massive.com cursors).
const PROVIDER_ORIGINS = ['https://api.polygon.io', 'https://api.massive.com'];
// Beyond this a Retry-After is a quota reset, not a blip: better to fail with a clear error than hang a worker.
const MAX_RETRY_AFTER_MS = 5 * 60_000;
// Aggregates: the spec's maximum ("Max 50000 and Default 5000"), fewest requests per range. News: max 1000.
const AGGS_LIMIT = 50_000;
const NEWS_LIMIT = 1000;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const TICKER = /^[A-Z][A-Z0-9.]{0,9}$/;

export interface PolygonKey {
  apiKey: string;
}

export class PolygonRest {
  private readonly base: string;
  private readonly credentials: CredentialSource<PolygonKey>;
  private readonly budgets = new Map<string, PolygonBudget>(); // per key: the provider paces and counts per key
  private readonly keys = new Set<string>(); // every key used, scrubbed from what this client says
  private readonly requestsPerSecond: number;
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly logger: Logger;
  private readonly fetchImpl: typeof fetch;
  private readonly maxRetries: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly timeoutMs: number;
  private readonly dailyLimit: number | undefined;
  private readonly trustedOrigins: Set<string>;
  private readonly warned = new Set<string>();

  constructor(o: PolygonRestOptions) {
    this.base = o.baseUrl.replace(/\/+$/, '');
    if (o.credentials) this.credentials = o.credentials;
    else if (o.apiKey) this.credentials = fixedCredentials({ apiKey: o.apiKey });
    else throw new RangeError('PolygonRest needs apiKey or credentials');
    if (o.apiKey) this.keys.add(o.apiKey);
    this.redis = o.redis;
    this.prefix = o.prefix;
    this.requestsPerSecond = o.requestsPerSecond;
    this.logger = o.logger;
    this.fetchImpl = o.fetchImpl ?? fetch;
    this.maxRetries = o.maxRetries ?? 6;
    this.sleep = o.sleep ?? realSleep;
    this.timeoutMs = o.requestTimeoutMs ?? 30_000;
    this.dailyLimit = o.dailyLimit;
    this.trustedOrigins = new Set([new URL(this.base).origin, ...PROVIDER_ORIGINS]);
  }

  /** Bars of one ticker, oldest first, one page per server response (empty pages are skipped). */
  async *aggregates(q: AggregatesQuery): AsyncGenerator<TBar[]> {
    const timeframe = timeframeOf(q.multiplier, q.timespan);
    if (!TICKER.test(q.ticker)) throw new RangeError(`ticker must be an upper-case symbol like SPY (got '${q.ticker}')`);
    if (!DATE.test(q.from) || !DATE.test(q.to)) throw new RangeError(`from and to must be dates like 2025-06-04 (got '${q.from}', '${q.to}')`);
    const url = new URL(`${this.base}/v2/aggs/ticker/${encodeURIComponent(q.ticker)}/range/${q.multiplier}/${q.timespan}/${q.from}/${q.to}`);
    url.searchParams.set('adjusted', String(q.adjusted ?? true));
    url.searchParams.set('sort', 'asc');
    url.searchParams.set('limit', String(AGGS_LIMIT));
    let lastT = Number.NEGATIVE_INFINITY;
    for await (const page of this.pages(url, ZPolygonAggsPage)) {
      const bars: TBar[] = [];
      for (const r of page.results ?? []) {
        // sort=asc is what makes "each bar once, in order" true across pages; a server that breaks it is a bad response.
        if (r.t <= lastT) throw new PolygonError('bad_response', `Polygon aggregates for ${q.ticker} are not in ascending order: t=${r.t} after t=${lastT}`);
        lastT = r.t;
        bars.push(toBar(q.ticker, timeframe, { o: r.o, h: r.h, l: r.l, c: r.c, v: r.v, startMs: r.t }));
      }
      if (bars.length) yield bars;
    }
  }

  /** News articles mentioning a ticker, oldest first, one page per server response. */
  async *news(q: NewsQuery): AsyncGenerator<TNewsArticle[]> {
    if (!TICKER.test(q.ticker)) throw new RangeError(`ticker must be an upper-case symbol like SPY (got '${q.ticker}')`);
    const url = new URL(`${this.base}/v2/reference/news`);
    url.searchParams.set('ticker', q.ticker);
    url.searchParams.set('published_utc.gte', q.from);
    url.searchParams.set('published_utc.lte', q.to);
    url.searchParams.set('order', 'asc');
    url.searchParams.set('sort', 'published_utc');
    url.searchParams.set('limit', String(NEWS_LIMIT));
    for await (const page of this.pages(url, ZPolygonNewsPage)) {
      const items = (page.results ?? []).map(toNewsArticle);
      if (items.length) yield items;
    }
  }

  /** Requests made today (UTC) with the key in use, by every process. */
  async usage(): Promise<Usage> {
    return this.budget(await this.key()).usage();
  }

  /** The market's status now (GET /v1/marketstatus/now): one cheap request, e.g. to try a key. `serverTime` is the
   *  provider's clock (RFC 3339 with offset). */
  async marketStatus(): Promise<{ market: string; serverTime: string | null }> {
    const r = await this.getJson(new URL(`${this.base}/v1/marketstatus/now`), ZPolygonMarketStatus);
    return { market: r.market, serverTime: r.serverTime ?? null };
  }

  private async key(refresh = false): Promise<string> {
    const { apiKey } = await (refresh ? this.credentials.refresh() : this.credentials.get());
    this.keys.add(apiKey);
    return apiKey;
  }

  private budget(apiKey: string): PolygonBudget {
    let b = this.budgets.get(apiKey);
    if (!b) {
      b = new PolygonBudget(this.redis, this.prefix, apiKey, this.requestsPerSecond, this.dailyLimit);
      this.budgets.set(apiKey, b);
    }
    return b;
  }

  private async *pages<T extends { next_url?: string | undefined }>(first: URL, schema: z.ZodType<T>): AsyncGenerator<T> {
    const seen = new Set<string>();
    let url: URL | undefined = first;
    while (url) {
      seen.add(url.toString());
      const page: T = await this.getJson(url, schema);
      yield page;
      url = page.next_url ? this.followable(page.next_url, url, seen) : undefined;
    }
  }

  private followable(next: string, current: URL, seen: Set<string>): URL {
    const from = this.clean(shownPath(current, ''));
    let u: URL;
    try {
      u = new URL(next, current);
    } catch {
      throw this.error('bad_response', `Polygon sent an unreadable next_url after GET ${from}`);
    }
    if (!this.trustedOrigins.has(u.origin))
      throw this.error('bad_response', `Polygon next_url after GET ${from} points at ${u.origin}, not the Polygon API; not sending the key there`);
    // Servers leave the key out of next_url (spec example above); drop any stray one so ours is the only one.
    u.searchParams.delete('apiKey');
    if (seen.has(u.toString())) throw this.error('bad_response', `Polygon next_url after GET ${from} repeats an earlier page; stopping instead of looping`);
    return u;
  }

  /** One GET with the key added, retried on 429/5xx/network failures; the body parsed with the page schema. */
  private async getJson<T>(url: URL, schema: z.ZodType<T>): Promise<T> {
    let apiKey = await this.key();
    let reread = false;
    const path = this.clean(shownPath(url, apiKey));
    for (let attempt = 0; ; attempt++) {
      const withKey = new URL(url.toString());
      withKey.searchParams.set('apiKey', apiKey);
      const budget = this.budget(apiKey);
      await this.takeSlot(budget);
      let status: number;
      let text = '';
      let retryAfter: string | null = null;
      let network = '';
      const t0 = performance.now();
      try {
        const res = await this.fetchImpl(withKey, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(this.timeoutMs) });
        status = res.status;
        retryAfter = res.headers.get('retry-after');
        text = await res.text();
      } catch (e) {
        status = 0;
        network = describeNetworkError(e, this.timeoutMs);
      }
      observeProviderRequest('polygon', status, t0);
      if (status >= 200 && status < 300) return this.parse(text, schema, path, status);
      const body = text ? `: "${this.quote(text)}"` : '';
      if ((status === 401 || status === 403) && !reread) {
        // Perhaps rotated a moment ago: re-read once, retry only if it is another key now.
        reread = true;
        const fresh = await this.key(true).catch(() => apiKey);
        if (fresh !== apiKey) {
          this.logger.warn({ path }, `Polygon refused the API key on GET ${path}; the key changed meanwhile, retrying with the new one`);
          apiKey = fresh;
          attempt--;
          continue;
        }
      }
      if (status === 401 || status === 403)
        throw this.error('auth', `Polygon refused the API key (HTTP ${status}) for GET ${path}${body}; check POLYGON_API_KEY and its plan`, status, path);
      if (status === 404) throw this.error('not_found', `Polygon has nothing at GET ${path} (HTTP 404)${body}`, status, path);
      if (status !== 0 && status !== 408 && status !== 429 && status < 500)
        throw this.error('bad_request', `Polygon rejected GET ${path} (HTTP ${status})${body}`, status, path);

      const what = status === 0 ? `network error (${network})` : `HTTP ${status}`;
      const kind: PolygonErrorKind = status === 429 ? 'rate_limited' : 'server';
      const asked = status === 429 ? parseRetryAfter(retryAfter) : undefined;
      if (asked !== undefined && asked > MAX_RETRY_AFTER_MS)
        throw this.error('rate_limited', `Polygon asks us to wait ${Math.round(asked / 1000)} s (Retry-After) before GET ${path}; that is longer than ${MAX_RETRY_AFTER_MS / 1000} s, so giving up`, status, path);
      if (attempt >= this.maxRetries)
        throw this.error(kind, `GET ${path} failed after ${attempt + 1} attempts; last: ${what}${body}`, status || undefined, path);
      const delayMs = asked ?? backoffMs(attempt);
      if (asked !== undefined) await budget.pause(asked);
      this.logger.warn({ path, attempt: attempt + 1, maxRetries: this.maxRetries, status, delayMs }, this.clean(`Polygon ${what} on GET ${path}; retry ${attempt + 1}/${this.maxRetries} in ${delayMs} ms`));
      await this.sleep(delayMs);
    }
  }

  private parse<T>(text: string, schema: z.ZodType<T>, path: string, status: number): T {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw this.error('bad_response', `Polygon answered GET ${path} (HTTP ${status}) with a body that is not JSON: "${this.quote(text)}"`, status, path);
    }
    if (isObject(json) && json.status === 'ERROR')
      throw this.error('bad_response', `Polygon answered GET ${path} (HTTP ${status}) with status ERROR: "${this.quote(text)}"`, status, path);
    const r = schema.safeParse(json);
    if (!r.success) {
      const issue = r.error.issues[0]!;
      const where = issue.path.join('.') || '(top level)';
      throw this.error('bad_response', `Polygon answered GET ${path} (HTTP ${status}) with an unexpected shape at ${where}: ${issue.message}; body starts "${this.quote(text)}"`, status, path);
    }
    return r.data;
  }

  /** Waits for a request slot of this key (shared by all processes), or throws if today's quota is spent. */
  private async takeSlot(budget: PolygonBudget): Promise<void> {
    for (;;) {
      const slot = await budget.acquire();
      if (slot.kind === 'granted') return this.warnNearLimit(slot.day, slot.count);
      // Real time must pass here (the slot frees on the Redis clock), whatever sleep the retries use.
      if (slot.kind === 'wait') await realSleep(slot.waitMs);
      else
        throw new PolygonError('quota_exhausted', `Polygon daily limit reached: ${slot.count}/${this.dailyLimit} requests used on ${slot.day} (UTC); nothing sent. Raise POLYGON_DAILY_LIMIT or wait for the next UTC day`);
    }
  }

  /** From 95 % of the daily limit on, one warning per whole percent per day (per process). */
  private warnNearLimit(day: string, count: number): void {
    const limit = this.dailyLimit;
    if (!limit || count * 100 < limit * 95) return;
    const step = `${day}:${Math.floor((count * 100) / limit)}`;
    if (this.warned.has(step)) return;
    if (!this.warned.has(day)) this.warned.clear();
    this.warned.add(day).add(step);
    this.logger.warn({ day, count, limit }, `Rate limit approaching: ${count}/${limit} requests`);
  }

  /** The start of a body for a message: scrubbed BEFORE cutting, so a key cut in half cannot slip through. */
  private quote(text: string): string {
    return snippet(this.clean(text));
  }

  private clean(text: string): string {
    let out = text;
    for (const k of this.keys) out = scrub(out, k);
    return out;
  }

  private error(kind: PolygonErrorKind, message: string, status?: number, path?: string): PolygonError {
    return new PolygonError(kind, this.clean(message), status, path === undefined ? undefined : this.clean(path));
  }
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null;
}

function describeNetworkError(e: unknown, timeoutMs: number): string {
  if (!(e instanceof Error)) return String(e);
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return `no answer within ${timeoutMs} ms`;
  const cause = (e as Error & { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? e.message;
}
