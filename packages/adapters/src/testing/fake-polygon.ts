// A local stand-in for Polygon (Massive) — REST aggregates and news with next_url pagination, the stocks WebSocket
// with auth/subscribe/AM events — plus injectable faults, for tests and benchmarks. Never imported by production code.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { etOffsetMinutes } from '@ai-trader/domain';
import { WebSocketServer, type WebSocket } from 'ws';

/** A bar as in our CSV files or a TBar: decimal strings (numbers are accepted too, e.g. a fractional volume). */
export interface FakeBarRow {
  ts: string; // bar start, ISO UTC
  open: string | number;
  high: string | number;
  low: string | number;
  close: string | number;
  volume: string | number;
}

/** A news article in Polygon's wire shape (see polygon-wire.ts); only tickers and published_utc are used to filter. */
export type FakeNewsItem = Record<string, unknown> & { id: string; tickers: string[]; published_utc: string };

export interface FakePolygonFaults {
  status429Every?: number; // every n-th request (n, 2n, …) answers 429
  retryAfterSeconds?: number; // sent as Retry-After with those 429s
  status5xxEvery?: number; // every n-th request answers 503 with an HTML page
  htmlErrorOnce?: boolean; // the first data request gets an HTML page with status 200 (a proxy / captive-portal page)
  garbageOnce?: boolean; // the first data request gets truncated JSON with status 200
  gapDays?: string[]; // YYYY-MM-DD days whose bars the server leaves out, as if the provider had a hole
}

export interface FakePolygonOptions {
  apiKey: string;
  /** More keys accepted besides apiKey (see setApiKeys to change them while running). */
  extraApiKeys?: string[];
  bars?: Record<string, FakeBarRow[]>;
  news?: FakeNewsItem[];
  pageSize?: number; // results per page (default 5000)
  faults?: FakePolygonFaults;
  rateLimitPerSecond?: number; // more requests than this within one wall-clock second → 429 (no Retry-After)
}

export interface FakeRequest {
  method: string;
  path: string; // path + query, apiKey removed
  keyOk: boolean;
  status: number;
  at: number; // ms since epoch, sub-ms precision
}

export interface FakeWsMessage {
  action: string;
  params?: string; // never the key: auth messages record ok instead
  ok?: boolean;
}

export interface FakePolygon {
  restUrl: string;
  wsUrl: string;
  requests: FakeRequest[];
  wsMessages: FakeWsMessage[];
  wsConnections(): number; // connections accepted so far
  pushMinute(ticker: string, bar: FakeBarRow): number; // AM event to subscribed, authed clients; returns how many got it
  pushRaw(events: unknown[]): void; // any frame, to every authed client
  dropConnections(): void; // the server drops every WebSocket (no close handshake)
  /** The keys accepted from now on, instead of the ones before (REST and new WebSocket auths). */
  setApiKeys(keys: string[]): void;
  close(): Promise<void>;
}

const DAY_MS = 86_400_000;

/** n consecutive one-minute bars from `startIso`, with distinct, exactly-printable prices (test data). */
export function makeMinuteBars(startIso: string, n: number): FakeBarRow[] {
  const start = Date.parse(startIso);
  return Array.from({ length: n }, (_, i) => ({
    ts: new Date(start + i * 60_000).toISOString().replace('.000Z', 'Z'),
    open: `${100 + i}.25`, high: `${101 + i}.5`, low: `${99 + i}.05`, close: `${100 + i}.75`, volume: String(1000 + i),
  }));
}
const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
const unb64 = (s: string): Record<string, unknown> => JSON.parse(Buffer.from(s, 'base64url').toString()) as Record<string, unknown>;

/** "2024-01-02" (start of that UTC day, or its end when `end`) or a millisecond timestamp, as the real API accepts. */
function bound(text: string, end: boolean): number {
  if (/^\d+$/.test(text)) return Number(text);
  const ms = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : text);
  return end && /^\d{4}-\d{2}-\d{2}$/.test(text) ? ms + DAY_MS - 1 : ms;
}

export async function startFakePolygon(o: FakePolygonOptions): Promise<FakePolygon> {
  const pageSize = o.pageSize ?? 5000;
  const faults = o.faults ?? {};
  const requests: FakeRequest[] = [];
  const wsMessages: FakeWsMessage[] = [];
  const perSecond = new Map<number, number>();
  let count = 0;
  let validKeys = new Set([o.apiKey, ...(o.extraApiKeys ?? [])]);
  const keyOk = (k: unknown) => typeof k === 'string' && validKeys.has(k);
  let htmlPending = faults.htmlErrorOnce ?? false;
  let garbagePending = faults.garbageOnce ?? false;
  let restUrl = '';

  const send = (res: ServerResponse, status: number, body: string, type = 'application/json', headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': type, ...headers }).end(body);
    return status;
  };
  const json = (res: ServerResponse, status: number, body: unknown) => send(res, status, JSON.stringify(body));
  const requestId = () => randomBytes(16).toString('hex');

  // Each ticker's series sorted once by time (a stable sort: bars with equal timestamps keep their given order),
  // so a request costs a binary search plus its page instead of parsing and sorting the whole series. Rebuilt when
  // the caller replaces a series or changes its length; rows whose ts does not parse are left out, as before.
  const sorted = new Map<string, { of: FakeBarRow[]; length: number; rows: Array<{ r: FakeBarRow; t: number }> }>();
  function series(ticker: string): Array<{ r: FakeBarRow; t: number }> {
    const of = o.bars?.[ticker] ?? [];
    const hit = sorted.get(ticker);
    if (hit && hit.of === of && hit.length === of.length) return hit.rows;
    const rows = of.map((r) => ({ r, t: Date.parse(r.ts) })).filter(({ t }) => !Number.isNaN(t)).sort((a, b) => a.t - b.t);
    sorted.set(ticker, { of, length: of.length, rows });
    return rows;
  }
  /** Up to `max` rows of the ticker with lo <= t <= hi that `keep` accepts, oldest first. */
  function inRange(ticker: string, lo: number, hi: number, keep: (r: FakeBarRow) => boolean, max: number): Array<{ r: FakeBarRow; t: number }> {
    const rows = series(ticker);
    let a = 0, b = rows.length; // first index with t >= lo (none when lo is NaN: no bar compares to it)
    if (Number.isNaN(lo)) a = b;
    while (a < b) {
      const mid = (a + b) >> 1;
      if (rows[mid]!.t < lo) a = mid + 1;
      else b = mid;
    }
    const out: Array<{ r: FakeBarRow; t: number }> = [];
    for (let i = a; i < rows.length && out.length < max && rows[i]!.t <= hi; i++) if (keep(rows[i]!.r)) out.push(rows[i]!);
    return out;
  }

  function aggregates(res: ServerResponse, url: URL, m: RegExpExecArray): number {
    const [, ticker = '', , , from = '', to = ''] = m;
    const gaps = new Set(faults.gapDays ?? []);
    // The bars in [from, to] outside gap days, oldest first; only the first page and the bar after it are needed.
    const rows = inRange(ticker, bound(from, false), bound(to, true), (r) => !gaps.has(r.ts.slice(0, 10)), pageSize + 1);
    const page = rows.slice(0, pageSize);
    const results = page.map(({ r, t }) => ({ v: Number(r.volume), vw: Number(r.close), o: Number(r.open), c: Number(r.close), h: Number(r.high), l: Number(r.low), t, n: 1 }));
    const next = rows[pageSize];
    // Like the real one: the next page starts at the next bar's timestamp, the cursor carries the rest, no apiKey.
    const nextUrl = next ? `${restUrl}${url.pathname.replace(/\/[^/]+\/[^/]+$/, `/${next.t}/${to}`)}?cursor=${b64({ limit: pageSize, sort: 'asc' })}` : undefined;
    return json(res, 200, {
      ticker, queryCount: results.length, resultsCount: results.length, adjusted: true, status: 'OK', request_id: requestId(),
      ...(results.length ? { results } : {}), ...(nextUrl ? { next_url: nextUrl } : {}),
    });
  }

  function news(res: ServerResponse, url: URL): number {
    const q = url.searchParams.get('cursor') ? unb64(url.searchParams.get('cursor')!) : {
      offset: 0, ticker: url.searchParams.get('ticker'), gte: url.searchParams.get('published_utc.gte'), lte: url.searchParams.get('published_utc.lte'),
    };
    const offset = Number(q.offset ?? 0);
    const items = (o.news ?? [])
      .filter((n) => (typeof q.ticker !== 'string' || n.tickers.includes(q.ticker)))
      .filter((n) => (typeof q.gte !== 'string' || Date.parse(n.published_utc) >= bound(q.gte, false)))
      .filter((n) => (typeof q.lte !== 'string' || Date.parse(n.published_utc) <= bound(q.lte, true)))
      .sort((a, b) => a.published_utc.localeCompare(b.published_utc));
    const page = items.slice(offset, offset + pageSize);
    const more = offset + pageSize < items.length;
    return json(res, 200, {
      status: 'OK', request_id: requestId(), count: page.length, results: page,
      ...(more ? { next_url: `${restUrl}/v2/reference/news?cursor=${b64({ ...q, offset: offset + pageSize })}` } : {}),
    });
  }

  /** GET /v1/marketstatus/now, in the documented shape; serverTime is New York time with its offset. */
  function marketStatus() {
    const now = Date.now();
    const off = etOffsetMinutes(now);
    const a = Math.abs(off);
    const serverTime = `${new Date(now + off * 60_000).toISOString().slice(0, 19)}${off < 0 ? '-' : '+'}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
    return { market: 'closed', earlyHours: false, afterHours: false, serverTime, exchanges: { nasdaq: 'closed', nyse: 'closed', otc: 'closed' }, currencies: { crypto: 'open', fx: 'open' } };
  }

  function route(req: IncomingMessage, res: ServerResponse): number {
    const url = new URL(req.url ?? '/', restUrl);
    if (!keyOk(url.searchParams.get('apiKey')))
      return json(res, 401, { status: 'ERROR', request_id: requestId(), error: 'Unknown API Key' });
    const second = Math.floor(Date.now() / 1000);
    perSecond.set(second, (perSecond.get(second) ?? 0) + 1);
    if (o.rateLimitPerSecond !== undefined && perSecond.get(second)! > o.rateLimitPerSecond)
      return json(res, 429, { status: 'ERROR', request_id: requestId(), error: "You've exceeded the maximum requests per second." });
    count++;
    if (faults.status429Every && count % faults.status429Every === 0) {
      const headers: Record<string, string> = faults.retryAfterSeconds !== undefined ? { 'retry-after': String(faults.retryAfterSeconds) } : {};
      return send(res, 429, JSON.stringify({ status: 'ERROR', error: 'Too many requests' }), 'application/json', headers);
    }
    // Error pages from proxies echo the URL they were asked for — key included — which the client must not repeat.
    const page = (title: string) => `<html><head><title>${title}</title></head><body><h1>${title}</h1><p>Request: ${req.url}</p></body></html>`;
    if (faults.status5xxEvery && count % faults.status5xxEvery === 0) return send(res, 503, page('503 Service Unavailable'), 'text/html');
    if (htmlPending) {
      htmlPending = false;
      return send(res, 200, page('Service temporarily unavailable'), 'text/html');
    }
    if (garbagePending) {
      garbagePending = false;
      return send(res, 200, '{"ticker":"AAPL","results":[{"o":1.5,"h":');
    }
    const aggs = /^\/v2\/aggs\/ticker\/([^/]+)\/range\/(\d+)\/([a-z]+)\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    if (aggs) return aggregates(res, url, aggs);
    if (url.pathname === '/v2/reference/news') return news(res, url);
    if (url.pathname === '/v1/marketstatus/now') return json(res, 200, marketStatus());
    return json(res, 404, { status: 'NOT_FOUND', request_id: requestId(), message: 'Data not found.' });
  }

  const server = createServer((req, res) => {
    const at = performance.timeOrigin + performance.now();
    const url = new URL(req.url ?? '/', 'http://fake');
    const ok = keyOk(url.searchParams.get('apiKey'));
    url.searchParams.delete('apiKey');
    const status = route(req, res);
    requests.push({ method: req.method ?? 'GET', path: url.pathname + url.search, keyOk: ok, status, at });
  });

  // WebSocket: the stocks cluster at /stocks, speaking the protocol of .massive/websocket.json (see polygon-wire.ts).
  const wss = new WebSocketServer({ server, path: '/stocks' });
  const clients = new Map<WebSocket, { authed: boolean; channels: Set<string> }>();
  let connections = 0;
  const status = (ws: WebSocket, s: string, message: string) => ws.send(JSON.stringify([{ ev: 'status', status: s, message }]));
  wss.on('connection', (ws) => {
    connections++;
    const c = { authed: false, channels: new Set<string>() };
    clients.set(ws, c);
    ws.on('close', () => clients.delete(ws));
    status(ws, 'connected', 'Connected Successfully');
    ws.on('message', (data) => {
      let msg: { action?: unknown; params?: unknown };
      try {
        msg = JSON.parse(data.toString()) as typeof msg;
      } catch {
        return status(ws, 'error', 'invalid JSON');
      }
      const action = String(msg.action);
      const params = typeof msg.params === 'string' ? msg.params : '';
      if (action === 'auth') {
        c.authed = keyOk(params);
        wsMessages.push({ action, ok: c.authed });
        if (c.authed) return status(ws, 'auth_success', 'authenticated');
        status(ws, 'auth_failed', 'authentication failed');
        return ws.close(1008, 'authentication failed');
      }
      wsMessages.push({ action, params });
      if (!c.authed) return status(ws, 'auth_required', 'authentication required');
      for (const ch of params.split(',').filter(Boolean)) {
        if (action === 'subscribe') c.channels.add(ch);
        else if (action === 'unsubscribe') c.channels.delete(ch);
        status(ws, 'success', `${action}d to: ${ch}`);
      }
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  restUrl = `http://127.0.0.1:${port}`;

  return {
    restUrl,
    wsUrl: `ws://127.0.0.1:${port}/stocks`,
    requests,
    wsMessages,
    wsConnections: () => connections,
    pushMinute(ticker, bar) {
      const s = Date.parse(bar.ts);
      const v = Number(bar.volume);
      const o = Number(bar.open);
      const ev = { ev: 'AM', sym: ticker, v, av: v, op: o, vw: Number(bar.close), o, c: Number(bar.close), h: Number(bar.high), l: Number(bar.low), a: o, z: 100, s, e: s + 60_000 };
      let sent = 0;
      for (const [ws, c] of clients)
        if (c.authed && (c.channels.has(`AM.${ticker}`) || c.channels.has('AM.*'))) {
          ws.send(JSON.stringify([ev]));
          sent++;
        }
      return sent;
    },
    pushRaw(events) {
      for (const [ws, c] of clients) if (c.authed) ws.send(JSON.stringify(events));
    },
    dropConnections() {
      for (const ws of clients.keys()) ws.terminate();
    },
    setApiKeys(keys) {
      validKeys = new Set(keys);
    },
    async close() {
      for (const ws of clients.keys()) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
