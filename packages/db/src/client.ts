// The Prisma client of every process, on node-postgres through the driver adapter (no native engine), over a
// named pool (see pg-pool.ts: sized from the configuration, a clear error when exhausted).
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from './generated/prisma/client.ts';
import { createNamedPool } from './pg-pool.ts';

export type Db = PrismaClient;

export function createPrisma(databaseUrl: string, opts: { max?: number; acquireTimeoutMs?: number; name?: string } = {}): PrismaClient {
  const pool = createNamedPool({ connectionString: databaseUrl }, { name: opts.name ?? 'prisma', max: opts.max ?? 10, acquireTimeoutMs: opts.acquireTimeoutMs });
  // The pool is ours: $disconnect() ends it too (disposeExternalPool).
  const adapter = new PrismaPg(pool, { disposeExternalPool: true });
  return new PrismaClient({ adapter });
}
