// The workers' Prometheus endpoint (WORKERS_METRICS_PORT; 0 = off): Node's own metrics, job durations per queue,
// order latencies, provider requests and the pg pools of this process, labelled with its roles.
import { enableProcessMetrics, startMetricsServer, type MetricsServer } from '@ai-trader/core';
import type { Runtime } from '@ai-trader/adapters';

/** `port` overrides the configuration (tests: 0 = any free port); without it WORKERS_METRICS_PORT=0 means off. */
export async function startWorkersMetrics(rt: Runtime, roles: readonly string[], opts: { port?: number } = {}): Promise<MetricsServer | null> {
  const { config, logger } = rt.deps;
  const registry = enableProcessMetrics([...roles].sort().join(','));
  const port = opts.port ?? config.WORKERS_METRICS_PORT;
  if (opts.port === undefined && port === 0) return null;
  const server = await startMetricsServer({ registry, port, token: config.METRICS_TOKEN, production: config.NODE_ENV === 'production', logger });
  logger.info({ port: server.port, roles }, 'workers metrics on GET /metrics');
  return server;
}
