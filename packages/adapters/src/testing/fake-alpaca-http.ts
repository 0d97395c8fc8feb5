// The fake Alpaca's wire: the REST routes over its books, the gate every request passes first (keys, the account's
// rate limit, scripted faults), and the trade_updates WebSocket with its own faults (duplicates, reordering, outages).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { FakeAlpacaBooks } from './fake-alpaca-books.ts';
import { OPEN, type FakeAlpacaOptions, type FakeAlpacaRequest, type FakeAlpacaWsMessage } from './fake-alpaca-model.ts';

/** Whether a key id and secret are ones the fake accepts (REST headers and the stream's auth alike). */
export type KeyCheck = (keyId: unknown, secretKey: unknown) => boolean;

type Answer = { status: number; body?: unknown; html?: string; headers?: Record<string, string>; delayMs?: number } | 'blackhole';

const page = (title: string) => `<html><head><title>${title}</title></head><body><h1>${title}</h1></body></html>`;

/** The trade_updates stream: who is connected and listening, and how order events reach them. */
export function createFakeAlpacaStream(o: FakeAlpacaOptions, wsMessages: FakeAlpacaWsMessage[], keyOk: KeyCheck) {
  const wss = new WebSocketServer({ noServer: true });
  const clients = new Map<WebSocket, { authed: boolean; listening: boolean }>();
  const faults = { duplicate: false, reorder: false, up: true };
  const heldEvents = new Map<string, unknown[]>(); // order id → events held back (reorder fault)
  let connections = 0;
  const sendTo = (ws: WebSocket, msg: unknown) => {
    const text = JSON.stringify(msg);
    if (o.textFrames) ws.send(text);
    else ws.send(Buffer.from(text), { binary: true });
  };
  function broadcast(msgs: unknown[]): void {
    for (const [ws, c] of clients) if (c.authed && c.listening) for (const m of msgs) sendTo(ws, m);
  }
  function emit(orderId: string, events: unknown[], final: boolean): void {
    if (faults.reorder) {
      const held = [...(heldEvents.get(orderId) ?? []), ...events];
      if (!final) return void heldEvents.set(orderId, held);
      heldEvents.delete(orderId);
      events = held.reverse();
    }
    broadcast(faults.duplicate ? events.flatMap((e) => [e, e]) : events);
  }

  wss.on('connection', (ws: WebSocket) => {
    connections++;
    const c = { authed: false, listening: false };
    clients.set(ws, c);
    ws.on('close', () => clients.delete(ws));
    ws.on('message', (data) => {
      let msg: { action?: unknown; key?: unknown; secret?: unknown; data?: { streams?: unknown } };
      try {
        msg = JSON.parse(data.toString()) as typeof msg;
      } catch {
        return sendTo(ws, { action: 'error', data: { error_message: 'invalid syntax' } });
      }
      if (msg.action === 'auth') {
        c.authed = keyOk(msg.key, msg.secret);
        wsMessages.push({ action: 'auth', ok: c.authed });
        sendTo(ws, { stream: 'authorization', data: { status: c.authed ? 'authorized' : 'unauthorized', action: 'authenticate' } });
        if (!c.authed) ws.close(1008, 'unauthorized');
        return;
      }
      if (msg.action === 'listen') {
        const asked = Array.isArray(msg.data?.streams) ? msg.data.streams.filter((s): s is string => typeof s === 'string') : [];
        wsMessages.push({ action: 'listen', streams: asked });
        if (!c.authed) return sendTo(ws, { stream: 'authorization', data: { status: 'unauthorized', action: 'listen' } });
        c.listening = asked.includes('trade_updates');
        return sendTo(ws, { stream: 'listening', data: { streams: c.listening ? ['trade_updates'] : [] } });
      }
      wsMessages.push({ action: String(msg.action) });
      sendTo(ws, { action: 'error', data: { error_message: `unknown action ${String(msg.action)}` } });
    });
  });

  return {
    wss, faults, emit, broadcast,
    connections: () => connections,
    dropAll() {
      for (const ws of clients.keys()) ws.terminate();
    },
    async close() {
      for (const ws of clients.keys()) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

export type FakeAlpacaStream = ReturnType<typeof createFakeAlpacaStream>;

/** REST v2 over the books. */
function route(books: FakeAlpacaBooks, faults: RestFaults, method: string, url: URL, body: unknown, log: FakeAlpacaRequest, answerDelay: () => number): Answer {
  const p = url.pathname;
  const json = (status: number, b?: unknown): Answer => ({ status, body: b });
  const notFound = (what: string) => json(404, { code: 40410000, message: `${what} not found` });
  if (method === 'GET' && p === '/v2/account') return json(200, books.account());
  if (method === 'GET' && p === '/v2/clock') return json(200, books.clockOut());
  if (method === 'GET' && p === '/v2/calendar') return json(200, books.calendar(url));
  const asset = /^\/v2\/assets\/([^/]+)$/.exec(p);
  if (method === 'GET' && asset) {
    const a = books.asset(decodeURIComponent(asset[1]!));
    return a ? json(200, a) : notFound('asset');
  }
  if (p === '/v2/orders' && method === 'POST') {
    if (typeof body !== 'object' || body === null) return json(400, { code: 40010000, message: 'request body format is invalid' });
    const b = body as Record<string, unknown>;
    if (typeof b.client_order_id === 'string') log.clientOrderId = b.client_order_id;
    const r = books.placeOrder(b);
    if (r.order && faults.blackhole > 0) {
      faults.blackhole--;
      return 'blackhole';
    }
    // The order exists (or was refused) now; a client that dies while the answer is held back never learns which.
    return { status: r.status, body: r.body, delayMs: answerDelay() };
  }
  if (p === '/v2/orders' && method === 'GET') return json(200, books.listOrders(url));
  if (p === '/v2/orders' && method === 'DELETE') return json(207, books.cancelAllOpen());
  if (p === '/v2/orders:by_client_order_id' && method === 'GET') {
    const x = books.orderByClientId(url.searchParams.get('client_order_id') ?? '');
    return x ? json(200, x) : notFound('order');
  }
  const one = /^\/v2\/orders\/([^/]+)$/.exec(p);
  if (one) {
    const x = books.order(decodeURIComponent(one[1]!));
    if (!x) return notFound('order');
    if (method === 'GET') return json(200, x);
    if (method === 'DELETE') {
      if (!OPEN.has(x.status)) return json(422, { code: 42210000, message: `order is not cancelable (status ${x.status})` });
      books.cancelOne(x);
      return json(204);
    }
  }
  if (p === '/v2/positions' && method === 'GET') return json(200, books.positionsOut());
  if (p === '/v2/positions' && method === 'DELETE') return json(207, books.closeAll(url));
  if (p === '/v2/account/configurations') {
    if (method === 'PATCH') {
      if (typeof body !== 'object' || body === null) return json(400, { code: 40010000, message: 'request body format is invalid' });
      const b = body as Record<string, unknown>;
      if ('suspend_trade' in b) {
        if (typeof b.suspend_trade !== 'boolean') return json(422, { code: 40010001, message: 'suspend_trade must be a boolean' });
        books.setSuspendTrade(b.suspend_trade);
      }
    }
    if (method === 'GET' || method === 'PATCH') return json(200, books.configurations());
  }
  const acts = /^\/v2\/account\/activities(?:\/([A-Z]+))?$/.exec(p);
  if (acts && method === 'GET') return json(200, books.listActivities(url, acts[1]));
  return json(404, { code: 40410000, message: 'endpoint not found' });
}

export interface RestFaults {
  fail: Array<{ status: number; method?: string; path?: string }>;
  limit: Array<number | undefined>;
  blackhole: number;
}

/** What every request meets before its route: the keys, the account's rate limit, scripted 429s and failures. */
function createGate(o: FakeAlpacaOptions, faults: RestFaults) {
  const rate = o.rateLimit === undefined ? { requests: 200, windowMs: 60_000 } : o.rateLimit;
  const recent: number[] = [];
  return function gate(req: IncomingMessage, url: URL, keyOk: boolean): Answer | null {
    const now = Date.now();
    if (!keyOk) return { status: 401, body: { code: 40110000, message: 'request is not authorized' } };
    const headers: Record<string, string> = {};
    if (rate) {
      while (recent.length && recent[0]! <= now - rate.windowMs) recent.shift();
      const over = recent.length >= rate.requests;
      if (!over) recent.push(now);
      Object.assign(headers, {
        'x-ratelimit-limit': String(rate.requests), 'x-ratelimit-remaining': String(Math.max(0, rate.requests - recent.length)),
        'x-ratelimit-reset': String(Math.ceil(((recent[0] ?? now) + rate.windowMs) / 1000)),
      });
      if (over) return { status: 429, body: { code: 42910000, message: 'rate limit exceeded' }, headers };
    }
    if (faults.limit.length) {
      const retryAfter = faults.limit.shift();
      // A scripted 429 is a short blip: its quota comes back after Retry-After, or in a second.
      const reset = String(Math.ceil(now / 1000) + (retryAfter ?? 1));
      return { status: 429, body: { code: 42910000, message: 'rate limit exceeded' }, headers: { ...headers, 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset, ...(retryAfter !== undefined ? { 'retry-after': String(retryAfter) } : {}) } };
    }
    const f = faults.fail[0];
    if (f && (!f.method || f.method === req.method) && (!f.path || url.pathname.startsWith(f.path))) {
      faults.fail.shift();
      return { status: f.status, html: page(`${f.status} Service Unavailable`), headers };
    }
    return null;
  };
}

/** Listens on a free local port: REST on it, the stream at /stream. */
export async function startFakeAlpacaHttp(o: FakeAlpacaOptions, books: FakeAlpacaBooks, stream: FakeAlpacaStream, requests: FakeAlpacaRequest[], keyOk: KeyCheck) {
  const faults: RestFaults = { fail: [], limit: [], blackhole: 0 };
  const gate = createGate(o, faults);
  let restUrl = '';
  const delayed = new Set<NodeJS.Timeout>(); // answers held back by orderAnswerDelayMs
  const answerDelay = () => {
    const d = o.orderAnswerDelayMs ?? 0;
    return typeof d === 'number' ? d : d[0] + Math.random() * (d[1] - d[0]);
  };

  const server = createServer((req, res: ServerResponse) => {
    const at = performance.timeOrigin + performance.now();
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', restUrl);
      const ok = keyOk(req.headers['apca-api-key-id'], req.headers['apca-api-secret-key']);
      const log: FakeAlpacaRequest = { method: req.method ?? 'GET', path: url.pathname + url.search, keyOk: ok, status: null, at };
      requests.push(log);
      let answer = gate(req, url, ok);
      if (!answer) {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          answer = { status: 400, body: { code: 40010000, message: 'request body format is invalid' } };
        }
        answer ??= route(books, faults, log.method, url, body, log, answerDelay);
      }
      if (answer === 'blackhole') {
        req.socket.destroy(); // the order exists; its answer is lost on the way
        return;
      }
      const a = answer;
      const send = () => {
        log.status = a.status;
        const type = a.html ? 'text/html' : 'application/json';
        res.writeHead(a.status, { 'content-type': type, ...a.headers });
        res.end(a.html ?? (a.body === undefined ? '' : JSON.stringify(a.body)));
      };
      if (!a.delayMs) return send();
      const t = setTimeout(() => {
        delayed.delete(t);
        send();
      }, a.delayMs);
      delayed.add(t);
    });
  });

  server.on('upgrade', (req, socket, head) => {
    if (new URL(req.url ?? '/', 'http://fake').pathname !== '/stream' || !stream.faults.up) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\n');
      return;
    }
    stream.wss.handleUpgrade(req, socket, head, (ws) => stream.wss.emit('connection', ws, req));
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  restUrl = `http://127.0.0.1:${port}`;

  return {
    restUrl,
    wsUrl: `ws://127.0.0.1:${port}/stream`,
    faults,
    async close() {
      for (const t of delayed) clearTimeout(t);
      await stream.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
