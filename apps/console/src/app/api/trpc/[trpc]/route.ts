// tRPC over HTTP (queries, mutations) and SSE (subscriptions). Mutations must come from our own origin.
import { actorFromHeaders, appRouter, getConsoleServer } from '@ai-trader/api';
import { fetchRequestHandler } from '@trpc/server/adapters/fetch';

export const dynamic = 'force-dynamic';

function sameOrigin(req: Request): boolean {
  const origin = req.headers.get('origin');
  if (!origin) return false;
  const host = req.headers.get('x-forwarded-host') ?? req.headers.get('host');
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

async function handler(req: Request) {
  if (req.method === 'POST' && !sameOrigin(req))
    return Response.json({ error: 'cross-origin request refused' }, { status: 403 });
  const server = getConsoleServer();
  await server.ready;
  return fetchRequestHandler({
    endpoint: '/api/trpc',
    req,
    router: appRouter,
    createContext: async () => ({ deps: server.runtime.deps, live: server.live, actor: await actorFromHeaders(server.auth, req.headers) }),
    onError: ({ error, path }) => {
      if (error.code === 'INTERNAL_SERVER_ERROR') server.runtime.deps.logger.error({ path, err: error.cause?.message ?? error.message }, 'tRPC error');
    },
  });
}

export { handler as GET, handler as POST };
