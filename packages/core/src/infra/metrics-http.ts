// Who may read the metrics, and the workers' small HTTP endpoint for them. Prometheus scrapes without a session:
// with METRICS_TOKEN set, a request must carry `Authorization: Bearer <token>`; without it, only loopback is served —
// and never in production, where the address a console sees comes from a header a client can set.
import { timingSafeEqual, createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';

export interface MetricsAccessInput {
  authorization: string | null;
  /** The caller's address as known: the socket's (workers), or the first x-forwarded-for entry (console). */
  address: string | null;
  token: string | undefined;
  production: boolean;
}
export type MetricsAccess = { ok: true } | { ok: false; status: 401 | 403; message: string };

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+|localhost)$/;
const digest = (s: string) => createHash('sha256').update(s).digest();

export function metricsAccess(i: MetricsAccessInput): MetricsAccess {
  if (i.token) {
    const m = /^Bearer\s+(.+)$/i.exec(i.authorization ?? '');
    // Equal-length digests: the comparison takes the same time whatever was sent.
    if (m && timingSafeEqual(digest(m[1]!.trim()), digest(i.token))) return { ok: true };
    return { ok: false, status: 401, message: 'metrics need Authorization: Bearer <METRICS_TOKEN>' };
  }
  if (i.production) return { ok: false, status: 403, message: 'metrics are off: set METRICS_TOKEN (production serves them only with a bearer token)' };
  if (i.address === null || LOOPBACK.test(i.address)) return { ok: true };
  return { ok: false, status: 403, message: 'metrics without METRICS_TOKEN are served to loopback only' };
}

/** The caller's address as a Next.js route sees it: Next sets x-forwarded-for from the socket when the client sent none. */
export function forwardedAddress(headers: Headers): string | null {
  return headers.get('x-forwarded-for')?.split(',')[0]?.trim() || null;
}

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

/** Serves `registry` on GET /metrics (and /) at `port` (0: any free port — tests). */
export async function startMetricsServer(opts: { registry: Registry; port: number; host?: string; token: string | undefined; production: boolean; logger: Logger }): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' || (path !== '/metrics' && path !== '/')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: GET /metrics\n');
      return;
    }
    const access = metricsAccess({ authorization: req.headers.authorization ?? null, address: req.socket.remoteAddress ?? null, token: opts.token, production: opts.production });
    if (!access.ok) {
      res.writeHead(access.status, { 'content-type': 'text/plain' }).end(`${access.message}\n`);
      return;
    }
    opts.registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': opts.registry.contentType, 'cache-control': 'no-store' }).end(text),
      (e: unknown) => {
        opts.logger.warn({ err: (e as Error).message }, 'metrics scrape failed');
        res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics failed\n');
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(e.code === 'EADDRINUSE' ? new Error(`metrics port ${opts.port} is already in use (another workers process on this host? give each its own WORKERS_METRICS_PORT)`) : e));
    server.listen(opts.port, opts.host ?? '0.0.0.0', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
