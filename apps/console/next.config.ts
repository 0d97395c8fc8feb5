import path from 'node:path';
import type { NextConfig } from 'next';
import { SECURITY_HEADERS } from './security-headers.mjs';

const config: NextConfig = {
  // Workspace packages are TypeScript sources; Next compiles them.
  transpilePackages: ['@ai-trader/api', '@ai-trader/contracts', '@ai-trader/core', '@ai-trader/db', '@ai-trader/domain', '@ai-trader/adapters'],
  // Node-only libraries stay as runtime requires instead of being bundled.
  serverExternalPackages: ['pg', '@prisma/adapter-pg', '@prisma/client', 'bullmq', 'ioredis', 'pino', 'pino-pretty', 'prom-client'],
  outputFileTracingRoot: path.resolve(import.meta.dirname, '../..'),
  // NEXT_DIST_DIR: a separate build directory (two builds of one checkout side by side, e.g. two e2e runs).
  distDir: process.env.NEXT_DIST_DIR ?? '.next',
  poweredByHeader: false,
  typescript: { ignoreBuildErrors: false },
  async headers() {
    return [
      {
        source: '/:path*',
        headers: SECURITY_HEADERS,
      },
    ];
  },
};

export default config;
