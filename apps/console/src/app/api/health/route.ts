// Liveness, for supervisors and load balancers: 200 while this process serves HTTP. It touches nothing else, so
// an outage of Postgres or Redis never gets a healthy console restarted; /api/health/ready says what is wrong.
export const dynamic = 'force-dynamic';

const started = Date.now();

export function GET() {
  return Response.json(
    { status: 'ok', checkedAt: new Date().toISOString(), uptimeSeconds: Math.round((Date.now() - started) / 1000), ready: '/api/health/ready' },
    { headers: { 'Cache-Control': 'no-store' } },
  );
}
