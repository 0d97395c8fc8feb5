// The console's tRPC endpoint as a plain fetch handler (the Next route only calls it): every POST (mutations) must
// come from our own origin AND carry the session's CSRF token in x-csrf-token (the console layout hands it to the
// page in a meta tag); a live stream (SSE) ends as soon as its session does — sign-out, sign-out everywhere,
// expiry, account disabled — checked every STREAM_SESSION_CHECK_MS.
import type { TActor } from '@ai-trader/contracts';
import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { csrfTokenValid, sessionAlive } from './auth.ts';
import { cachedAnswer, cachedQuery, type Answer, type CachedQueryOptions } from './cached-queries.ts';
import { appRouter } from './root.ts';
import type { ConsoleServer } from './server.ts';
import { signedInFromHeaders } from './session-cache.ts';

export const STREAM_SESSION_CHECK_MS = 30_000;
/** The largest tRPC request body (the biggest real one, a settings save or a batch of mutations, is a few KB). */
export const MAX_TRPC_BODY_BYTES = 1024 * 1024;
/** The longest URL (queries carry their input in it); Node's own header limit is 16 KB, so this only matters behind
 *  a server configured with a larger one. */
export const MAX_TRPC_URL_BYTES = 16 * 1024;

/**
 * The request with its body read into memory, or a 413/414 answer when it is too large — decided before anything
 * else runs (no session lookup, no input parsed). A body without Content-Length is counted as it arrives and
 * abandoned at the limit, so a huge upload is never held in memory whole.
 */
async function withinLimits(req: Request): Promise<Request | Response> {
  if (req.url.length > MAX_TRPC_URL_BYTES)
    return Response.json({ error: `request URL too long: ${req.url.length} bytes, at most ${MAX_TRPC_URL_BYTES}` }, { status: 414 });
  if (!req.body) return req;
  const tooLarge = (n: string) => Response.json({ error: `request body too large: ${n} bytes, at most ${MAX_TRPC_BODY_BYTES}` }, { status: 413 });
  const declared = Number(req.headers.get('content-length') ?? NaN);
  if (declared > MAX_TRPC_BODY_BYTES) {
    await req.body.cancel().catch(() => undefined);
    return tooLarge(String(declared));
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = req.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > MAX_TRPC_BODY_BYTES) {
      await reader.cancel().catch(() => undefined);
      return tooLarge(`more than ${MAX_TRPC_BODY_BYTES}`);
    }
    chunks.push(value);
  }
  return new Request(req.url, { method: req.method, headers: req.headers, body: Buffer.concat(chunks), signal: req.signal });
}

function sameOrigin(req: Request): boolean {
  const origin = req.headers.get('origin');
  if (!origin) return false;
  const host = req.headers.get('x-forwarded-host') ?? req.headers.get('host') ?? new URL(req.url).host;
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

/** A copy of the request whose signal also aborts when `alive()` says the session ended. */
function boundToSession(req: Request, alive: () => Promise<boolean>, everyMs: number): Request {
  const ac = new AbortController();
  const timer = setInterval(() => {
    alive().then(
      (ok) => ok || ac.abort(new Error('session ended')),
      () => undefined, // a failed check (database blip) is not a reason to cut the stream; the next one decides
    );
  }, everyMs);
  ac.signal.addEventListener('abort', () => clearInterval(timer), { once: true });
  if (req.signal.aborted) ac.abort();
  else req.signal.addEventListener('abort', () => ac.abort(), { once: true });
  return new Request(req, { signal: ac.signal });
}

export async function handleTrpcRequest(
  server: Pick<ConsoleServer, 'config' | 'runtime' | 'auth' | 'live'>,
  original: Request,
  opts: { streamSessionCheckMs?: number } = {},
): Promise<Response> {
  const prepared = await prepareTrpcRequest(server, original, opts);
  if (prepared instanceof Response) return prepared;
  // The big lists come from a cache of their answer while nothing they show has changed (signed-in callers only).
  return cachedQuery(server.live, prepared.request, prepared.actor, prepared.handle, prepared.cache);
}

/**
 * handleTrpcRequest for the fast path (fast-api.ts): the same checks, and for a cached list its kept answer itself
 * (no Response around a copy of its bytes); any other request's Response.
 */
export async function answerTrpcRequest(server: Pick<ConsoleServer, 'config' | 'runtime' | 'auth' | 'live'>, original: Request): Promise<Answer | Response> {
  const prepared = await prepareTrpcRequest(server, original);
  if (prepared instanceof Response) return prepared;
  return (await cachedAnswer(server.live, prepared.request, prepared.actor, prepared.handle, prepared.cache)) ?? prepared.handle();
}

/** Limits, origin and CSRF, the session; then the request as tRPC will see it, its caller and tRPC's answer to it. */
async function prepareTrpcRequest(
  server: Pick<ConsoleServer, 'config' | 'runtime' | 'auth' | 'live'>,
  original: Request,
  opts: { streamSessionCheckMs?: number } = {},
): Promise<Response | { request: Request; actor: TActor | null; handle: () => Promise<Response>; cache: CachedQueryOptions }> {
  const limited = await withinLimits(original);
  if (limited instanceof Response) return limited;
  const req = limited;
  const signedIn = await signedInFromHeaders(server.auth, server.live, req.headers);
  if (req.method === 'POST') {
    if (!sameOrigin(req)) return Response.json({ error: 'cross-origin request refused' }, { status: 403 });
    if (signedIn && !csrfTokenValid(server.auth.ours.secret, signedIn.sessionId, req.headers.get('x-csrf-token')))
      return Response.json({ error: 'CSRF token missing or invalid: reload the page' }, { status: 403 });
  }
  const isStream = req.method === 'GET' && (req.headers.get('accept') ?? '').includes('text/event-stream');
  const request =
    signedIn && isStream
      ? boundToSession(req, () => sessionAlive(server.runtime.deps.prisma, signedIn.sessionId, server.config), opts.streamSessionCheckMs ?? STREAM_SESSION_CHECK_MS)
      : req;
  const actor = signedIn?.actor ?? null;
  const handle = () => fetchRequestHandler({
    endpoint: '/api/trpc',
    req: request,
    router: appRouter,
    createContext: () => ({ deps: server.runtime.deps, live: server.live, actor }),
    onError: ({ error, path }) => {
      if (error.code === 'INTERNAL_SERVER_ERROR') server.runtime.deps.logger.error({ path, err: error.cause?.message ?? error.message }, 'tRPC error');
    },
  });
  return { request, actor, handle, cache: { refreshMs: server.config.CONSOLE_LIST_REFRESH_SECONDS * 1000 } };
}
