// tRPC over HTTP (queries, mutations) and SSE (subscriptions); origin, CSRF and session checks in handleTrpcRequest.
import { getConsoleServer, handleTrpcRequest } from '@ai-trader/api';

export const dynamic = 'force-dynamic';

async function handler(req: Request) {
  const server = getConsoleServer();
  await server.ready;
  return handleTrpcRequest(server, req);
}

export { handler as GET, handler as POST };
