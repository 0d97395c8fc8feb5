// What Polygon (now "Massive") sends on the wire, as zod schemas, and its conversion into our TBar:
// prices become decimal strings exactly as the JSON numbers print (no float arithmetic), volume a whole number.
import { toEt } from '@ai-trader/domain';
import { ZBar, type TBar, type TTimeframe } from '@ai-trader/contracts';
import { z } from 'zod';
import { PolygonError } from './polygon-error.ts';

/*
 * REST aggregates — massive-com/client-js, src/openapi.json (commit ac59b97), path
 * "/v2/aggs/ticker/{stocksTicker}/range/{multiplier}/{timespan}/{from}/{to}" (operationId GetStocksAggregates):
 *   query: adjusted (boolean, "By default, results are adjusted"), sort (enum asc|desc), limit ("Limits the
 *   number of base aggregates queried to create the aggregate results. Max 50000 and Default 5000.")
 *   security: components.securitySchemes.apiKey = { "in": "query", "name": "apiKey", "type": "apiKey" }
 *   200 body: required status, adjusted, queryCount, resultsCount, request_id, ticker; optional next_url
 *   ("If present, this value can be used to fetch the next page of data."); results[] items require
 *   o, h, l, c, v, t — "t": "The Unix millisecond timestamp for the start of the aggregate window.",
 *   "v": {"format": "double", "type": "number"}, optional vw, n, otc.
 *   example next_url: "https://api.massive.com/v2/aggs/ticker/AAPL/range/1/day/1578114000000/2020-01-10?cursor=bGltaXQ9MiZzb3J0PWFzYw"
 *   (no apiKey in it: we add ours). With no bars the real API leaves `results` out, so it is optional here.
 * We require only what we use; the other metadata fields may be absent without failing a page.
 */
const price = z.number().finite();
export const ZPolygonAgg = z.object({ o: price, h: price, l: price, c: price, v: z.number().finite().nonnegative(), t: z.number().int(), vw: z.number().optional(), n: z.number().optional() });
export const ZPolygonAggsPage = z.object({
  status: z.string(),
  ticker: z.string().optional(),
  resultsCount: z.number().int().optional(),
  request_id: z.string().optional(),
  results: z.array(ZPolygonAgg).optional(),
  next_url: z.string().optional(),
});
export type TPolygonAgg = z.infer<typeof ZPolygonAgg>;

/*
 * REST news — same file, path "/v2/reference/news": query ticker, published_utc.gte / .lte, order (asc|desc),
 * limit ("default is 10 and max is 1000"), sort (enum ["published_utc"]). results[] items require
 * id, publisher {name, logo_url, homepage_url}, title, author, published_utc ("RFC3339 … YYYY-MM-DDTHH:MM:SSZ"),
 * article_url, tickers[]; optional description, keywords[], amp_url, image_url, insights[]. next_url as above.
 * author and description are optional here: an article without a byline is still news.
 */
export const ZPolygonNewsItem = z.object({
  id: z.string().min(1),
  publisher: z.object({ name: z.string() }),
  title: z.string(),
  author: z.string().optional(),
  published_utc: z.string(),
  article_url: z.string(),
  tickers: z.array(z.string()),
  description: z.string().optional(),
  keywords: z.array(z.string()).optional(),
});
/** GET /v1/marketstatus/now (docs: "Market Status"): e.g. {"market":"extended-hours","serverTime":"2020-11-10T17:37:37-05:00",
 *  "earlyHours":false,"afterHours":true,"exchanges":{…},"currencies":{…}}; only what we read is checked. */
export const ZPolygonMarketStatus = z.object({ market: z.string(), serverTime: z.string().optional() });

export const ZPolygonNewsPage = z.object({ status: z.string().optional(), results: z.array(ZPolygonNewsItem).optional(), next_url: z.string().optional() });

/** A news article as the rest of the system sees it (candidate for packages/contracts as ZNewsArticle). */
export interface TNewsArticle {
  id: string;
  tickers: string[];
  title: string;
  publisher: string;
  author: string | null;
  publishedUtc: string;
  url: string;
  description: string | null;
  keywords: string[];
}

export function toNewsArticle(n: z.infer<typeof ZPolygonNewsItem>): TNewsArticle {
  return {
    id: n.id, tickers: n.tickers, title: n.title, publisher: n.publisher.name, author: n.author ?? null,
    publishedUtc: n.published_utc, url: n.article_url, description: n.description ?? null, keywords: n.keywords ?? [],
  };
}

/*
 * WebSocket — massive-com/client-python, .massive/websocket.json (commit 481e5c2): servers
 * wss://socket.massive.com (real-time) and wss://delayed.massive.com; path "/stocks/AM", "Aggregates (Per Minute)",
 * schema StockMinuteAggregateEvent: ev (enum ["AM"]), sym, v ("The tick volume", integer), av, op, vw, o, c, h, l,
 * a, z, s ("The start timestamp of this aggregate window in Unix Milliseconds"), e (end), otc.
 * example: {"ev":"AM","sym":"GTE","v":4110,"av":9470157,"op":0.4372,"vw":0.4488,"o":0.4488,"c":0.4486,
 *           "h":0.4489,"l":0.4486,"a":0.4352,"z":685,"s":1610144640000,"e":1610144700000}
 * Status events (schema Event): {"ev":"status","status":…,"message":…}; AuthEvent status enum
 * ["auth_success","auth_timeout","auth_failed"]; ConnectEvent example {"ev":"status","status":"success",
 * "message":"Connected Successfully"} (the live service says "connected"); DisconnectEvent status enum
 * ["max_connections","force_disconnect","slow_consumer"]. Frames are JSON arrays of events (client-python
 * massive/websocket/__init__.py iterates `for m in msgJson`).
 */
export const ZPolygonStatusEvent = z.object({ ev: z.literal('status'), status: z.string(), message: z.string().optional() });
export const ZPolygonMinuteEvent = z.object({ ev: z.literal('AM'), sym: z.string(), o: price, h: price, l: price, c: price, v: z.number().finite().nonnegative(), s: z.number().int(), e: z.number().int().optional() });

/** Our timeframe for an aggregate size; Polygon offers many more sizes than TBar can carry. */
export function timeframeOf(multiplier: number, timespan: string): TTimeframe {
  const key = `${multiplier}/${timespan}`;
  const map: Record<string, TTimeframe> = { '1/minute': '1m', '5/minute': '5m', '1/hour': '1h', '1/day': '1d' };
  const tf = map[key];
  if (!tf) throw new RangeError(`Polygon aggregates of ${multiplier} ${timespan} have no TBar timeframe; use 1 minute, 5 minute, 1 hour or 1 day`);
  return tf;
}

/** The decimal text of a JSON number: JS prints the shortest digits that round-trip, i.e. the server's digits;
 *  only exponent notation (1e-7, 1e+21) has to be spelled out, which is done on the digits, not with arithmetic. */
export function decimalText(n: number): string {
  const s = String(n);
  const m = /^(-?)(\d+)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
  if (!m) return s;
  const [, sign, ip = '', fp = '', expText = '0'] = m;
  const digits = ip + fp;
  const point = ip.length + Number(expText);
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${'0'.repeat(point - digits.length)}`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/** Bar start as ISO UTC, without ".000" when the milliseconds are zero — the style of our bar files. */
export function isoFromMs(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

interface RawBar { o: number; h: number; l: number; c: number; v: number; startMs: number }

/** A Polygon aggregate as a TBar; a fractional volume is refused rather than rounded (shares are whole). */
export function toBar(symbol: string, timeframe: TTimeframe, raw: RawBar): TBar {
  // Daily bars start at New York midnight on Polygon; this project stamps a daily bar with its trading
  // date at 00:00Z (as the Tiingo files in shared/data do), so both sources line up.
  const ts = timeframe === '1d' ? `${toEt(new Date(raw.startMs)).date}T00:00:00Z` : isoFromMs(raw.startMs);
  if (!Number.isInteger(raw.v))
    throw new PolygonError('bad_response', `Polygon aggregate for ${symbol} at ${ts} (t=${raw.startMs}) has a fractional volume ${decimalText(raw.v)}; refusing to round it`);
  const candidate = {
    symbol, timeframe, ts,
    open: decimalText(raw.o), high: decimalText(raw.h), low: decimalText(raw.l), close: decimalText(raw.c),
    volume: decimalText(raw.v), source: 'polygon',
  };
  const parsed = ZBar.safeParse(candidate);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new PolygonError('bad_response', `Polygon aggregate for ${symbol} at ${ts} (t=${raw.startMs}): ${String(issue.path[0])} ${issue.message}`);
  }
  return parsed.data;
}
