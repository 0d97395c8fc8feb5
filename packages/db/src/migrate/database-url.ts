// Turns a postgres:// DATABASE_URL into discrete pg settings and runs the few admin statements the
// migrator and test databases need (reachability check, CREATE/DROP DATABASE) with one-line errors.
import pg from 'pg';

export interface PgConfig {
  host: string;
  port: number;
  user: string;
  password: string | undefined;
  database: string;
}

/** An expected failure: its message is a complete one-line explanation, no stack trace needed. */
export class MigrateError extends Error {
  override name = 'MigrateError';
  constructor(
    message: string,
    /** Set for failures callers branch on. */
    readonly code?: 'database-missing',
  ) {
    super(message);
  }
}

// Connecting to an unroutable host would otherwise hang for the OS TCP timeout (minutes).
const CONNECT_TIMEOUT_MS = 10_000;

export function parseDatabaseUrl(databaseUrl: string): PgConfig {
  let url: URL;
  try {
    url = new URL(databaseUrl);
  } catch {
    throw new MigrateError('DATABASE_URL is not a valid URL (expected postgresql://user@host:port/database)');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new MigrateError(`DATABASE_URL must start with postgresql:// (got ${url.protocol}//)`);
  }
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!database) throw new MigrateError(`DATABASE_URL has no database name: ${redactUrl(databaseUrl)}`);
  // Prisma's ?schema= would be silently ignored here and everything would land in "public".
  const schema = url.searchParams.get('schema');
  if (schema && schema !== 'public') {
    throw new MigrateError(`DATABASE_URL ?schema=${schema} is not supported by the migrator (only public)`);
  }
  return {
    // libpq-style ?host=/run/postgresql selects a unix socket directory.
    host: url.searchParams.get('host') ?? (url.hostname.replace(/^\[|\]$/g, '') || 'localhost'),
    port: url.port ? Number(url.port) : 5432,
    user: decodeURIComponent(url.username) || 'postgres',
    password: url.password ? decodeURIComponent(url.password) : undefined,
    database,
  };
}

/** The URL without its password, for messages and logs. */
export function redactUrl(databaseUrl: string): string {
  try {
    const url = new URL(databaseUrl);
    url.password = '';
    return url.toString();
  } catch {
    return '<invalid url>';
  }
}

/** Same server and credentials, another database (the pathname is the only thing replaced). */
export function withDatabase(databaseUrl: string, database: string): string {
  const url = new URL(databaseUrl);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}

export function poolConfig(cfg: PgConfig): pg.PoolConfig {
  // Discrete fields only: a connectionString would override `database` for the shadow pool.
  return { ...cfg, connectionTimeoutMillis: CONNECT_TIMEOUT_MS };
}

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function describe(cfg: PgConfig): string {
  const user = cfg.user ? `${encodeURIComponent(cfg.user)}@` : '';
  return `postgresql://${user}${cfg.host}:${cfg.port}/${encodeURIComponent(cfg.database)}`;
}

function pgCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function reason(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? 'unknown error';
}

/** Runs `fn` on a one-off client; connection failures become "cannot reach Postgres at …". */
export async function withClient<T>(cfg: PgConfig, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client(poolConfig(cfg));
  client.on('error', () => {}); // a server-side disconnect must not crash the process
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => {});
    if (pgCode(error) === '3D000') {
      throw new MigrateError(
        `database "${cfg.database}" does not exist on ${cfg.host}:${cfg.port} (run deploy first)`,
        'database-missing',
      );
    }
    throw new MigrateError(`cannot reach Postgres at ${describe(cfg)}: ${reason(error)}`);
  }
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

export async function createDatabase(cfg: PgConfig, name: string): Promise<void> {
  await withClient({ ...cfg, database: 'postgres' }, async (client) => {
    await client.query(`CREATE DATABASE ${quoteIdent(name)}`);
  });
}

export async function dropDatabase(cfg: PgConfig, name: string): Promise<void> {
  await withClient({ ...cfg, database: 'postgres' }, async (client) => {
    await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
  });
}

/**
 * Fails fast with a readable message before the engine gets a chance to produce its own (long)
 * one. With `create`, a missing database is created like `migrate deploy`/`dev` would.
 * Returns true when it created the database.
 */
export async function ensureDatabase(cfg: PgConfig, create: boolean): Promise<boolean> {
  try {
    await withClient(cfg, async () => {});
    return false;
  } catch (error) {
    if (!create || !(error instanceof MigrateError) || error.code !== 'database-missing') throw error;
  }
  try {
    await createDatabase(cfg, cfg.database);
    return true;
  } catch (error) {
    // Another process (a parallel test file) created it between our check and our CREATE.
    if (pgCode(error) === '42P04' || pgCode(error) === '23505') return false;
    if (error instanceof MigrateError) throw error;
    throw new MigrateError(`cannot create database "${cfg.database}": ${reason(error)}`);
  }
}
