#!/usr/bin/env node
// The console's production server: `node server.mjs [--port N] [--hostname H]` (PORT / HOSTNAME otherwise; port 3000
// and every interface by default), in place of `next start`. Next's own request handler serves everything, except
// the hot cached lists, which the fast path answers first without Next's per-request machinery
// (packages/api/src/fast-api.ts; installed by src/instrumentation.ts when Next prepares). Serves the build in
// NEXT_DIST_DIR (default .next): run `next build` first.
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import next from 'next';
import { SECURITY_HEADERS } from './security-headers.mjs';

const { values: args } = parseArgs({ options: { port: { type: 'string', short: 'p' }, hostname: { type: 'string', short: 'H' } } });
const port = Number(args.port ?? process.env.PORT ?? 3000);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`server.mjs: --port / PORT must be a port number (0-65535), got "${args.port ?? process.env.PORT}"`);
  process.exit(2);
}
const hostname = args.hostname ?? process.env.HOSTNAME; // undefined: every interface, like next start
process.env.NODE_ENV = 'production';

const app = next({ dev: false, dir: path.dirname(fileURLToPath(import.meta.url)), hostname: hostname ?? 'localhost', port });
const handle = app.getRequestHandler();
await app.prepare();

// Installed by src/instrumentation.ts when Next loads its server, which a custom server's Next does on the first
// request: until then (and if it never is), Next serves everything.
/** @returns {((req: http.IncomingMessage, res: http.ServerResponse) => Promise<boolean>) | undefined} */
const fastPath = () => /** @type {any} */ (globalThis).__aiTraderFastApi;

const server = http.createServer((req, res) => {
  const fast = fastPath();
  const viaNext = () => {
    handle(req, res).catch((e) => {
      console.error('server.mjs: request failed', req.method, req.url?.split('?')[0], e);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('Internal Server Error');
    });
  };
  if (!fast) return viaNext();
  for (const h of SECURITY_HEADERS) res.setHeader(h.key, h.value);
  fast(req, res).then((answered) => answered || viaNext(), (e) => {
    console.error('server.mjs: fast path failed', req.url?.split('?')[0], e);
    if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
    res.end('Internal Server Error');
  });
});
// Longer than a load balancer's idle timeout (typically 60 s), so it never reuses a connection we just closed.
server.keepAliveTimeout = 65_000;
server.listen(port, hostname, () => {
  const a = server.address();
  const shown = typeof a === 'object' && a ? a.port : port;
  console.log(`▲ console ready on http://${hostname && hostname !== '0.0.0.0' && hostname !== '::' ? hostname : 'localhost'}:${shown}`);
});
server.on('error', (e) => {
  console.error(`server.mjs: cannot listen on ${hostname ?? '*'}:${port}: ${e.message}`);
  process.exit(1);
});

let stopping = false;
for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => {
    if (stopping) return;
    stopping = true;
    // Stop accepting, let the requests in flight finish (open event streams are cut after 5 s), then leave.
    server.close(() => process.exit(0));
    server.closeIdleConnections();
    setTimeout(() => {
      server.closeAllConnections();
      process.exit(0);
    }, 5000).unref();
  });
}
