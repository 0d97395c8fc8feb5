// Throwaway, fully migrated Postgres databases for integration tests: one per caller, so test
// files can run in parallel without sharing state. Always call drop() (e.g. in afterAll).
import { randomBytes } from 'node:crypto';
import { MigrateError, dropDatabase, parseDatabaseUrl, withClient, withDatabase, quoteIdent } from '../migrate/database-url.ts';
import { migrateDeploy } from '../migrate/engine.ts';

export interface TestDatabase {
  /** Connection URL of the new database (same server and credentials as the base URL). */
  url: string;
  /** DROP DATABASE … WITH (FORCE): also kicks out connections a test forgot to close. */
  drop(): Promise<void>;
}

const DEFAULT_BASE_URL = 'postgresql://postgres@127.0.0.1:5432/postgres';

export async function createTestDatabase(prefix = 'test'): Promise<TestDatabase> {
  const baseUrl = process.env.TEST_DATABASE_URL || DEFAULT_BASE_URL;
  // Identifiers are capped at 63 bytes; keep the prefix short and unquoted-identifier safe.
  const safePrefix = prefix.toLowerCase().replace(/[^a-z0-9_]/g, '_').slice(0, 30);
  const name = `aitrader_${safePrefix}_${randomBytes(6).toString('hex')}`;
  const cfg = parseDatabaseUrl(baseUrl);
  const url = withDatabase(baseUrl, name);

  // Created here rather than by migrateDeploy so a name clash fails loudly instead of reusing a db.
  await withClient({ ...cfg, database: 'postgres' }, async (client) => {
    await client.query(`CREATE DATABASE ${quoteIdent(name)}`);
  });
  let dropped = false;
  const drop = async (): Promise<void> => {
    if (dropped) return;
    dropped = true;
    await dropDatabase(cfg, name);
  };
  try {
    await migrateDeploy({ databaseUrl: url });
  } catch (error) {
    await drop().catch(() => {});
    throw error instanceof MigrateError ? new MigrateError(`test database ${name}: ${error.message}`) : error;
  }
  return { url, drop };
}
