// Readiness: every component with its status and detail (Postgres, Redis, each worker role's heartbeat, the broker
// and its clock, the feed's freshness, the scheduler). 503 when Postgres or Redis is down (the console cannot
// serve), else 200 with status ok or degraded; the same verdicts as `ai-trader status --detailed`.
import { getConsoleServer } from '@ai-trader/api';
import { checkHealth } from '@ai-trader/core';

export const dynamic = 'force-dynamic';

export async function GET() {
  const headers = { 'Cache-Control': 'no-store' };
  let server;
  try {
    server = getConsoleServer();
  } catch (e) {
    const detail = (e as Error).message;
    return Response.json({ status: 'down', code: 503, checkedAt: new Date().toISOString(), components: { console: { status: 'down', detail } } }, { status: 503, headers });
  }
  const health = await checkHealth(server.runtime.deps);
  return Response.json(health, { status: health.code, headers });
}
