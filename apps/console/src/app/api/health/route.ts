// Health for load balancers: 200 when the console can serve (ok or degraded), 503 when Postgres or
// Redis is down. The body says which component is in which state.
import { getConsoleServer } from '@ai-trader/api';
import { checkHealth } from '@ai-trader/core';

export const dynamic = 'force-dynamic';

export async function GET() {
  let server;
  try {
    server = getConsoleServer();
  } catch (e) {
    return Response.json({ status: 'down', detail: (e as Error).message }, { status: 503 });
  }
  const health = await checkHealth(server.runtime.deps);
  return Response.json(health, { status: health.status === 'down' ? 503 : 200, headers: { 'Cache-Control': 'no-store' } });
}
