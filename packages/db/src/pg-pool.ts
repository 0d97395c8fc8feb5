// A plain node-postgres pool for what Prisma cannot do: COPY streams and partition DDL.
import pg from 'pg';

export function createPgPool(databaseUrl: string, max = 4): pg.Pool {
  const pool = new pg.Pool({ connectionString: databaseUrl, max });
  pool.on('error', () => undefined); // an idle client's error surfaces on its next use
  return pool;
}
export type PgPool = pg.Pool;
export type PgClient = pg.PoolClient;

/**
 * Runs `fn` in one transaction on one pooled connection: COMMIT when it resolves, ROLLBACK when it throws.
 * The hot paths (risk decision, order submission) use it: a few plain statements cost far less than an
 * interactive Prisma transaction.
 */
export async function withTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const out = await fn(client);
    await client.query('COMMIT');
    return out;
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    client.release();
  }
}
