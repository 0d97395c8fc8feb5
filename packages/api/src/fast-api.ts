// The console's hot reads without Next's request machinery. A cached list (cached-queries.ts) costs its sign-in check
// and a write of bytes kept in memory, ~0.3 ms; through a Next route handler the same answer costs 4-6 ms of CPU
// (Next's routing, the Web Request/Response and stream bridges, AsyncLocalStorage — an empty route handler costs
// as much: bench/README.md), which at 200 requests/s is a whole core and a p99 of 100+ ms on two.
//
// apps/console/server.mjs (the console's Node server: Next's request handler behind a plain http.Server) asks this
// handler first; it answers only GETs of the cached procedures (positions.list, orders.list, alone or batched) and
// says `false` for everything else, which Next then serves as before. What it answers goes through the very same
// checks as the route handler (answerTrpcRequest = handleTrpcRequest's size limits, session, role, cache, tRPC on a
// miss), so the two paths cannot disagree; only the bridge from Node's request, and the write of the cache's bytes
// (or of tRPC's Response) to Node's response, are its own.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { answerHead, CACHED_QUERIES, type Answer } from './cached-queries.ts';
import { answerTrpcRequest } from './http.ts';
import type { ConsoleServer } from './server.ts';

const ENDPOINT = '/api/trpc/';

/** Whether `req` is a GET of cached procedures only (the requests this handler answers). */
export function isFastRequest(method: string | undefined, url: string | undefined, headers: IncomingMessage['headers']): boolean {
  if (method !== 'GET' || !url?.startsWith(ENDPOINT)) return false;
  if (headers['trpc-accept'] !== undefined || (headers.accept ?? '').includes('text/event-stream')) return false;
  const q = url.indexOf('?');
  let path: string;
  try {
    path = decodeURIComponent(url.slice(ENDPOINT.length, q < 0 ? undefined : q));
  } catch {
    return false; // malformed escapes: tRPC (through Next) says what is wrong
  }
  return path.split(',').every((p) => Object.hasOwn(CACHED_QUERIES, p));
}

function webRequestOf(req: IncomingMessage): Request {
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined || k.startsWith(':')) continue;
    headers.set(k, Array.isArray(v) ? v.join(', ') : v);
  }
  // The URL's origin is only used to parse the path and query; the origin checks read the Origin/Host headers.
  return new Request(`http://${req.headers.host ?? 'localhost'}${req.url}`, { method: 'GET', headers });
}

const gzipAsync = promisify(gzip);
/** Each kept answer gzipped once (in libuv's thread pool, off the event loop), for every request that accepts it. */
const gzipped = new WeakMap<Answer, Promise<Buffer>>();
function gzipOf(a: Answer): Promise<Buffer> {
  let p = gzipped.get(a);
  if (!p) gzipped.set(a, (p = gzipAsync(a.body, { level: 6 })));
  return p;
}
const acceptsGzip = (headers: IncomingMessage['headers']) => /(^|,)\s*gzip\s*(;\s*q=(?!0(\.0*)?\s*($|,))[0-9.]+)?\s*($|,)/i.test(headers['accept-encoding'] ?? '');

export type FastApi = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

/**
 * A handler for server.mjs: resolves `true` once it has answered `req`, `false` when `req` is not one of its (the
 * caller then hands it to Next). `getServer` is called on the first request it answers (not at start-up).
 */
export function createFastApi(getServer: () => ConsoleServer): FastApi {
  return async (req, res) => {
    if (!isFastRequest(req.method, req.url, req.headers)) return false;
    let answer: Awaited<ReturnType<typeof answerTrpcRequest>>;
    try {
      const server = getServer();
      await server.ready;
      answer = await answerTrpcRequest(server, webRequestOf(req));
    } catch (e) {
      // What the route handler would give: a 500 that says what failed, without internals (the log has them).
      try {
        getServer().runtime.deps.logger.error({ err: (e as Error).message, url: req.url?.split('?')[0] }, 'console API request failed');
      } catch {
        /* the server itself could not be made: the message below says so */
      }
      res.writeHead(500, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify({ error: 'the console API failed to answer; see the console log' }));
      return true;
    }
    if (!(answer instanceof Response)) {
      // A cached list: its kept bytes go out as they are (no copy: ~0.5 MB a request would be garbage at 200/s), or
      // their gzip, made once per answer (1,000 orders: 465 KiB → ~60 KiB; here the encoding is ours to set, unlike
      // in a Next route handler — cached-queries.ts). The gzipped form has its own entity tag.
      const ifNoneMatch = (req.headers['if-none-match'] as string | undefined) ?? null;
      const zipped = answer.status === 200 && acceptsGzip(req.headers);
      const body = zipped ? await gzipOf(answer) : answer.body;
      const etag = zipped ? answer.etag!.replace(/"$/, '-gzip"') : answer.etag;
      const head = answerHead(zipped ? { ...answer, etag } : answer, ifNoneMatch);
      const headers: Record<string, string | number> = { ...head.headers, vary: 'Accept-Encoding' };
      if (zipped) headers['content-encoding'] = 'gzip';
      if (head.withBody) headers['content-length'] = body.length;
      res.writeHead(head.status, headers);
      res.end(head.withBody ? body : undefined);
      return true;
    }
    res.statusCode = answer.status;
    answer.headers.forEach((v, k) => k !== 'set-cookie' && res.setHeader(k, v));
    const cookies = answer.headers.getSetCookie();
    if (cookies.length) res.setHeader('set-cookie', cookies);
    const body = answer.body ? Buffer.from(await answer.arrayBuffer()) : null;
    if (body) res.setHeader('content-length', body.length);
    res.end(body);
    return true;
  };
}
