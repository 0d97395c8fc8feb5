// A plain node-postgres pool for what Prisma cannot do: COPY streams and partition DDL.
import pg from 'pg';

export function createPgPool(databaseUrl: string, max = 4): pg.Pool {
  const pool = new pg.Pool({ connectionString: databaseUrl, max });
  pool.on('error', () => undefined); // an idle client's error surfaces on its next use
  return pool;
}
export type PgPool = pg.Pool;
export type PgClient = pg.PoolClient;
