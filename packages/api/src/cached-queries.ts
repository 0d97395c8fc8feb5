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

export interface Answer {
  status: number;
  contentType: string;
  body: Buffer;
  /** A 200's entity tag (a hash of the body). */
  etag: string | null;
}

// 64 answers: a list of 1,000 orders is ~0.5 MB, so at most ~30 MB even if every one were that large.
const caches = new WeakMap<LiveHub, SnapshotCache>();
/**
 * The safety net's period (CONSOLE_LIST_REFRESH_SECONDS): a kept list is computed again in the background after this
 * long even without an event, in case a change came without one (none is known: every write the lists show publishes
 * one). Not shorter: a computation of 1,000 orders holds the event loop for ~60-170 ms (superjson and JSON of 0.5 MB,
 * the rows' mapping), which every 10 s was more than 1 % of the requests at 200/s — the p99.
 */
export const LIST_REFRESH_MS = 60_000;
const cacheOf = (hub: LiveHub, refreshMs = LIST_REFRESH_MS) => {
  let c = caches.get(hub);
  if (!c) caches.set(hub, (c = new SnapshotCache(hub, { maxEntries: 64, maxAgeMs: refreshMs, keep: (a) => (a as Answer).status === 200 })));
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

export interface CachedQueryOptions {
  /** The tRPC endpoint's path. */
  endpoint?: string;
  /** The safety net's period for this hub's cache (set by its first use; default LIST_REFRESH_MS). */
  refreshMs?: number;
}

/** How `a` goes out to a request with this If-None-Match: status, headers, and whether the body is sent. */
export function answerHead(a: Answer, ifNoneMatch: string | null): { status: number; headers: Record<string, string>; withBody: boolean } {
  if (a.status !== 200) return { status: a.status, headers: { 'content-type': a.contentType }, withBody: true };
  // private: never kept by a shared cache; no-cache: the browser asks again each time (and gets a 304 while unchanged);
  // no-transform: not gzipped on the way out (see the top of this file).
  const headers: Record<string, string> = { 'content-type': a.contentType, 'cache-control': 'private, no-cache, no-transform', etag: a.etag! };
  if (ifNoneMatch && ifNoneMatch.split(',').some((t) => t.trim().replace(/^W\//, '') === a.etag)) return { status: 304, headers, withBody: false };
  return { status: 200, headers, withBody: true };
}

function responseOf(a: Answer, req: Request): Response {
  const head = answerHead(a, req.headers.get('if-none-match'));
  return new Response(head.withBody ? new Uint8Array(a.body) : null, { status: head.status, headers: head.headers });
}

/**
 * Answers `req` from the cache when it is a GET of cached queries only and `actor` (already signed in: the caller
 * checked the session) has the role they require; otherwise — and to fill the cache — `handle` answers it (tRPC).
 * Only successful answers are kept; requests that come while one is computed share it.
 */
export async function cachedQuery(hub: LiveHub, req: Request, actor: TActor | null, handle: () => Promise<Response>, opts: CachedQueryOptions = {}): Promise<Response> {
  const answer = await cachedAnswer(hub, req, actor, handle, opts);
  return answer ? responseOf(answer, req) : handle();
}

/**
 * cachedQuery's answer as kept (its body the cache's own bytes: write them, do not change them), or null when `req`
 * is not one the cache answers — then `handle` has not been called, and the caller answers with it.
 */
export async function cachedAnswer(hub: LiveHub, req: Request, actor: TActor | null, handle: () => Promise<Response>, opts: CachedQueryOptions = {}): Promise<Answer | null> {
  const { endpoint = '/api/trpc', refreshMs } = opts;
  const url = new URL(req.url);
  const procs = proceduresOf(req, url, endpoint);
  const specs = procs?.map((p) => CACHED_QUERIES[p]);
  if (!procs || !specs || specs.some((s) => !s)) return null;
  if (!actor || specs.some((s) => rank(actor.role) < rank(s!.role))) return null; // tRPC says why not (401, 403)
  const kinds = [...new Set(specs.flatMap((s) => s!.kinds))];
  return cacheOf(hub, refreshMs).get(`${procs.join(',')}${url.search}`, kinds, async () => answerOf(await handle()));
}
