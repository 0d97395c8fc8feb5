// Prometheus metrics of the console process and of the shared state (orders, positions, P&L, queues, freshness, Redis),
// in the text exposition format. No session: a bearer token (METRICS_TOKEN), or loopback outside production.
import { getConsoleServer } from '@ai-trader/api';
import { consoleMetricsResponse } from '@ai-trader/core';

export const dynamic = 'force-dynamic';

export async function GET(req: Request) {
  let server;
  try {
    server = getConsoleServer();
  } catch (e) {
    return new Response(`console not configured: ${(e as Error).message}\n`, { status: 503, headers: { 'content-type': 'text/plain' } });
  }
  return consoleMetricsResponse(req, server.runtime.deps);
}
