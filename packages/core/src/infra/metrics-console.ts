// The console's GET /api/metrics answer: this process's metrics (role "console") followed by the business metrics
// read from Postgres, Redis and BullMQ at scrape time. Access as metricsAccess() decides.
import { createBusinessMetrics, type BusinessMetrics } from './metrics-business.ts';
import { forwardedAddress, metricsAccess } from './metrics-http.ts';
import { enableProcessMetrics } from './metrics.ts';
import type { SnapshotDeps } from './metrics-snapshot.ts';

const business = new WeakMap<object, BusinessMetrics>();

/** The business metrics of one runtime's deps (made once: their collectors hold the deps). */
export function businessMetricsFor(deps: SnapshotDeps, opts: { timeoutMs?: number } = {}): BusinessMetrics {
  let b = business.get(deps);
  if (!b) business.set(deps, (b = createBusinessMetrics(deps, opts)));
  return b;
}

export async function consoleMetricsResponse(req: Request, deps: SnapshotDeps): Promise<Response> {
  const access = metricsAccess({
    authorization: req.headers.get('authorization'), address: forwardedAddress(req.headers),
    token: deps.config.METRICS_TOKEN, production: deps.config.NODE_ENV === 'production',
  });
  if (!access.ok) return new Response(`${access.message}\n`, { status: access.status, headers: { 'content-type': 'text/plain' } });
  const own = enableProcessMetrics('console');
  const biz = businessMetricsFor(deps, { timeoutMs: deps.config.METRICS_SCRAPE_TIMEOUT_MS });
  // Two registries, one text: the process's metrics carry its role label, the shared state's do not.
  const text = `${await own.metrics()}\n${await biz.registry.metrics()}`;
  return new Response(text, { status: 200, headers: { 'content-type': own.contentType, 'cache-control': 'no-store' } });
}
