// The console's big lists over HTTP, served from their serialised response while no live event of the kinds they show
// has arrived (snapshot-cache.ts): a request then costs its sign-in check and a write of bytes kept in memory, instead
// of the query, the valuation, superjson and gzip (~50 ms for 1,000 positions; bench/README.md).
//
// Sent uncompressed, on purpose: Next 16 drops a route handler's Content-Encoding (so bytes gzipped once cannot be
// sent as such) and its own compression would gzip every answer again (~5 ms of CPU each for 1,000 positions: a whole
// core at 200 requests/s). `no-transform` keeps it from doing that; browsers ask with the ETag and get a 304 without a
// body while the list is unchanged.
import { createHash } from 'node:crypto';
import { ZRole, type TActor, type TRole } from '@ai-trader/contracts';
import type { LiveHub, LiveKind } from './live-hub.ts';
import { SnapshotCache } from './snapshot-cache.ts';

/** What a positions list shows changes with prices (bars), positions, working orders, decisions and the trading state. */
export const POSITION_KINDS = ['bar', 'position', 'order', 'signal', 'trading-state'] as const satisfies readonly LiveKind[];
/** What an orders list shows changes with orders, decisions (signal, order), positions and the trading state. */
export const ORDER_KINDS = ['order', 'signal', 'position', 'trading-state'] as const satisfies readonly LiveKind[];

/**
 * The queries served from the cache: only procedures whose answer is the same for everyone allowed to ask (nothing
 * per user in it), each with the role its router requires — the cache answers only callers the router would — and
 * the kinds of live events that change its answer.
 */
export const CACHED_QUERIES: Readonly<Record<string, { role: TRole; kinds: readonly LiveKind[] }>> = {
  'positions.list': { role: 'viewer', kinds: POSITION_KINDS },
  'orders.list': { role: 'viewer', kinds: ORDER_KINDS },
};

const rank = (r: TRole) => ZRole.options.indexOf(r);

interface Answer {
  status: number;
  contentType: string;
  body: Buffer;
  /** A 200's entity tag (a hash of the body). */
  etag: string | null;
}

// 64 answers: a list of 1,000 orders is ~0.5 MB, so at most ~30 MB even if every one were that large.
const caches = new WeakMap<LiveHub, SnapshotCache>();
const cacheOf = (hub: LiveHub) => {
  let c = caches.get(hub);
  if (!c) caches.set(hub, (c = new SnapshotCache(hub, { maxEntries: 64, maxAgeMs: 10_000, keep: (a) => (a as Answer).status === 200 })));
  return c;
};

/** The procedures a tRPC GET asks for (one, or several batched as "a,b"), or null when it is not a plain query. */
function proceduresOf(req: Request, url: URL, endpoint: string): string[] | null {
  if (req.method !== 'GET' || !url.pathname.startsWith(`${endpoint}/`)) return null;
  // A streamed batch (httpBatchStreamLink) answers in another form; not cached.
  if (req.headers.has('trpc-accept')) return null;
  return decodeURIComponent(url.pathname.slice(endpoint.length + 1)).split(',');
}

async function answerOf(res: Response): Promise<Answer> {
  const body = Buffer.from(await res.arrayBuffer());
  const contentType = res.headers.get('content-type') ?? 'application/json';
  if (res.status !== 200) return { status: res.status, contentType, body, etag: null };
  return { status: 200, contentType, body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 32)}"` };
}

function responseOf(a: Answer, req: Request): Response {
  if (a.status !== 200) return new Response(new Uint8Array(a.body), { status: a.status, headers: { 'content-type': a.contentType } });
  // private: never kept by a shared cache; no-cache: the browser asks again each time (and gets a 304 while unchanged);
  // no-transform: not gzipped on the way out (see the top of this file).
  const headers: Record<string, string> = { 'content-type': a.contentType, 'cache-control': 'private, no-cache, no-transform', etag: a.etag! };
  const ifNoneMatch = req.headers.get('if-none-match');
  if (ifNoneMatch && ifNoneMatch.split(',').some((t) => t.trim().replace(/^W\//, '') === a.etag)) return new Response(null, { status: 304, headers });
  return new Response(new Uint8Array(a.body), { status: 200, headers });
}

/**
 * Answers `req` from the cache when it is a GET of cached queries only and `actor` (already signed in: the caller
 * checked the session) has the role they require; otherwise — and to fill the cache — `handle` answers it (tRPC).
 * Only successful answers are kept; requests that come while one is computed share it.
 */
export async function cachedQuery(hub: LiveHub, req: Request, actor: TActor | null, handle: () => Promise<Response>, endpoint = '/api/trpc'): Promise<Response> {
  const url = new URL(req.url);
  const procs = proceduresOf(req, url, endpoint);
  const specs = procs?.map((p) => CACHED_QUERIES[p]);
  if (!procs || !specs || specs.some((s) => !s)) return handle();
  if (!actor || specs.some((s) => rank(actor.role) < rank(s!.role))) return handle(); // tRPC says why not (401, 403)
  const kinds = [...new Set(specs.flatMap((s) => s!.kinds))];
  const answer = await cacheOf(hub).get(`${procs.join(',')}${url.search}`, kinds, async () => answerOf(await handle()));
  return responseOf(answer, req);
}
