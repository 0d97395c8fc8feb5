// The fast path for the hot lists (fast-api.ts) over real HTTP, on the real database, Redis and sign-in: it answers
// exactly the GETs of cached procedures — with the same bytes, statuses and headers as the route (handleTrpcRequest)
// — and hands every other request on (to Next in server.mjs; here to a stand-in that marks it).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRuntime, type TestRuntime } from '@ai-trader/adapters/testing';
import { createAuth, type Auth } from './auth.ts';
import { createFastApi, isFastRequest } from './fast-api.ts';
import { handleTrpcRequest } from './http.ts';
import { LiveHub } from './live-hub.ts';
import type { ConsoleServer } from './server.ts';
import { seedSpyPosition } from './test-book.ts';
import { addUser } from './users.ts';

const ORIGIN = 'http://localhost:3000';
const PW = 'fast-api-pw-12345';
const input = (v: unknown) => `?input=${encodeURIComponent(JSON.stringify({ json: v }))}`;

describe('isFastRequest', () => {
  it('takes GETs of cached procedures only, alone or batched', () => {
    const get = (url: string, headers: http.IncomingHttpHeaders = {}) => isFastRequest('GET', url, headers);
    expect(get('/api/trpc/positions.list')).toBe(true);
    expect(get(`/api/trpc/orders.list${input({ limit: 1000 })}`)).toBe(true);
    expect(get('/api/trpc/positions.list,orders.list?batch=1&input=%7B%7D')).toBe(true);
    expect(get('/api/trpc/positions.list%2Corders.list?batch=1')).toBe(true);
    expect(get('/api/trpc/me')).toBe(false);
    expect(get('/api/trpc/positions.list,me?batch=1')).toBe(false); // one uncached procedure: all to Next
    expect(get('/api/trpc/positions.list', { accept: 'text/event-stream' })).toBe(false);
    expect(get('/api/trpc/positions.list', { 'trpc-accept': 'application/jsonl' })).toBe(false);
    expect(get('/api/trpc/%E0%A4%A')).toBe(false); // malformed escapes: Next and tRPC say what is wrong
    expect(get('/api/trpcpositions.list')).toBe(false);
    expect(get('/api/trpc/__proto__')).toBe(false);
    expect(get('/api/trpc/toString')).toBe(false);
    expect(isFastRequest('POST', '/api/trpc/positions.list', {})).toBe(false);
    expect(isFastRequest('HEAD', '/api/trpc/positions.list', {})).toBe(false);
  });
});

describe('the fast path over HTTP', () => {
  let rt: TestRuntime;
  let live: LiveHub;
  let auth: Auth;
  let server: ConsoleServer;
  let http1: http.Server;
  let base: string;
  let broken = false;
  let viaNext = 0;

  beforeAll(async () => {
    // A 1 s safety net (CONSOLE_LIST_REFRESH_SECONDS), so the last test can see it at work.
    rt = await createTestRuntime('fastapi', { CONSOLE_LIST_REFRESH_SECONDS: '1' });
    rt.deps.clock = { now: () => new Date('2025-06-04T15:00:00.000Z') };
    live = new LiveHub(rt.config.REDIS_URL, rt.config.REDIS_PREFIX);
    const events = live.telling(rt.deps.events);
    auth = createAuth({ prisma: rt.deps.prisma, secret: 'f'.repeat(40), limits: rt.config, baseURL: ORIGIN, trustedOrigins: [ORIGIN], onSessionsEnded: () => events.publish('session') });
    server = { config: rt.config, runtime: { ...rt, deps: { ...rt.deps, events } }, auth, live, ready: Promise.resolve() } as unknown as ConsoleServer;
    await addUser(rt.deps.prisma, { email: 'viewer@example.com', name: 'viewer', role: 'viewer', password: PW }, { id: null, email: 'system:test' });
    await seedSpyPosition(rt.deps);
    for (let i = 0; live.stamp(['bar', 'session']) === null; i++) {
      if (i > 200) throw new Error('the hub did not subscribe');
      await new Promise((r) => setTimeout(r, 25));
    }
    const fast = createFastApi(() => {
      if (broken) throw new Error('DATABASE_URL is not set');
      return server;
    });
    http1 = http.createServer((req, res) => {
      void fast(req, res).then((answered) => {
        if (answered) return;
        viaNext++;
        res.writeHead(299, { 'content-type': 'text/plain' }).end('next');
      });
    });
    await new Promise<void>((r) => http1.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(http1.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((r) => http1?.close(r));
    await live?.close();
    await rt?.cleanup();
  });

  const signIn = async () => {
    const res = await auth.handler(new Request(`${ORIGIN}/api/auth/sign-in/email`, { method: 'POST', headers: { 'content-type': 'application/json', origin: ORIGIN }, body: JSON.stringify({ email: 'viewer@example.com', password: PW }) }));
    expect(res.status).toBe(200);
    return res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  };
  /** A GET as sent, the body as received (fetch would decompress it). */
  const getRaw = (path: string, headers: Record<string, string>) =>
    new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
      http.get(`${base}${path}`, { headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      }).on('error', reject);
    });
  /** What the route handler answers for the same request. */
  const route = (path: string, cookie: string) => handleTrpcRequest(server, new Request(`${ORIGIN}/api/trpc/${path}`, { headers: { cookie, host: 'localhost:3000' } }));

  it('answers a signed-in GET of a cached list with the route’s bytes, its caching headers and a length; 304 while unchanged', async () => {
    const cookie = await signIn();
    for (const path of ['positions.list', `orders.list${input({ filter: { view: 'all' }, limit: 1000 })}`, `positions.list,orders.list?batch=1&input=${encodeURIComponent(JSON.stringify({ 1: { json: { limit: 5 } } }))}`]) {
      const n = viaNext;
      const want = await route(path, cookie);
      const wantBody = await want.text();
      // Asked for as is (identity): the route's bytes, its entity tag.
      const raw = await getRaw(`/api/trpc/${path}`, { cookie, 'accept-encoding': 'identity' });
      expect(viaNext).toBe(n);
      expect(raw.status).toBe(200);
      expect(raw.body.toString()).toBe(wantBody);
      expect(raw.headers.etag).toBe(want.headers.get('etag'));
      expect(raw.headers['cache-control']).toBe('private, no-cache, no-transform');
      expect(raw.headers.vary).toBe('Accept-Encoding');
      expect(raw.headers['content-encoding']).toBeUndefined();
      expect(Number(raw.headers['content-length'])).toBe(raw.body.length);
      // As a browser asks (gzip accepted): the same bytes gzipped, under their own entity tag.
      const zipped = await getRaw(`/api/trpc/${path}`, { cookie, 'accept-encoding': 'gzip, deflate, br, zstd' });
      expect(zipped.headers['content-encoding']).toBe('gzip');
      expect(Number(zipped.headers['content-length'])).toBe(zipped.body.length);
      expect(gunzipSync(zipped.body).toString()).toBe(wantBody);
      expect(zipped.headers.etag).toBe(want.headers.get('etag')!.replace(/"$/, '-gzip"'));
      // Unchanged: 304 without a body, for either form.
      for (const [enc, etag] of [['identity', raw.headers.etag], ['gzip', zipped.headers.etag]]) {
        const again = await getRaw(`/api/trpc/${path}`, { cookie, 'accept-encoding': enc!, 'if-none-match': etag! });
        expect(again.status).toBe(304);
        expect(again.body.length).toBe(0);
      }
    }
    const list = JSON.parse(await (await fetch(`${base}/api/trpc/positions.list`, { headers: { cookie } })).text()) as { result: { data: { json: { positions: { symbol: string }[] } } } };
    expect(list.result.data.json.positions.map((p) => p.symbol)).toEqual(['SPY']);
  });

  it('refuses callers who are not signed in as tRPC does (401), and never from the cache', async () => {
    const res = await fetch(`${base}/api/trpc/positions.list`);
    expect(res.status).toBe(401);
    expect(await res.text()).toBe(await (await route('positions.list', '')).text());
    expect((await fetch(`${base}/api/trpc/positions.list`, { headers: { cookie: 'better-auth.session_token=forged.value' } })).status).toBe(401);
  });

  it('hands everything else on: other procedures, mutations, event streams', async () => {
    const cookie = await signIn();
    const n = viaNext;
    expect((await fetch(`${base}/api/trpc/me`, { headers: { cookie } })).status).toBe(299);
    expect((await fetch(`${base}/api/trpc/positions.list,me?batch=1`, { headers: { cookie } })).status).toBe(299);
    expect((await fetch(`${base}/api/trpc/positions.list`, { method: 'POST', headers: { cookie }, body: '{}' })).status).toBe(299);
    expect((await fetch(`${base}/api/trpc/positions.list`, { headers: { cookie, accept: 'text/event-stream' } })).status).toBe(299);
    expect((await fetch(`${base}/login`)).status).toBe(299);
    expect(viaNext - n).toBe(5);
  });

  it('a console that cannot start answers 500 with what to do, and keeps serving', async () => {
    const cookie = await signIn();
    broken = true;
    try {
      const res = await fetch(`${base}/api/trpc/positions.list`, { headers: { cookie } });
      expect(res.status).toBe(500);
      expect(await res.json()).toEqual({ error: 'the console API failed to answer; see the console log' });
    } finally {
      broken = false;
    }
    expect((await fetch(`${base}/api/trpc/positions.list`, { headers: { cookie } })).status).toBe(200);
  });

  it('a change that came without its event shows after CONSOLE_LIST_REFRESH_SECONDS (the safety net)', async () => {
    const cookie = await signIn();
    const qty = async () => {
      const res = await fetch(`${base}/api/trpc/positions.list`, { headers: { cookie } });
      expect(res.status).toBe(200);
      return ((await res.json()) as { result: { data: { json: { positions: { qty: string }[] } } } }).result.data.json.positions[0]!.qty;
    };
    const before = await qty();
    // Written straight in the database: no live event, so only the safety net can notice.
    await rt.deps.pool.query(`UPDATE positions SET qty = qty + 1 WHERE symbol = 'SPY'`);
    await expect.poll(qty, { timeout: 5000, interval: 100 }).toBe(String(Number(before) + 1));
  });
});
