// node-postgres pools: the plain one for what Prisma cannot do (COPY streams, partition DDL, the order path) and
// the one under Prisma. Each is named and sized from the configuration, and a caller that cannot get a connection
// within the acquire timeout gets a PoolExhaustedError naming the pool and its size instead of waiting forever.
// poolStats() is the gauge of every pool of this process (the metrics endpoint can export it).
import pg from 'pg';

export interface PoolOptions {
  /** Shown in errors, in pg_stat_activity (application_name `ai-trader:<name>`) and in poolStats(). */
  name?: string;
  max?: number;
  /** How long a caller waits for a free connection (or for a new one to connect) before an error. */
  acquireTimeoutMs?: number;
}

export class PoolExhaustedError extends Error {
  constructor(readonly pool: string, readonly max: number, readonly waitedMs: number, readonly waiting: number) {
    super(
      `pg pool '${pool}' exhausted: all ${max} connection(s) stayed busy for ${waitedMs} ms (${waiting} more caller(s) waiting); ` +
        `raise its size (PG_POOL_MAX / PRISMA_POOL_MAX) or look for slow queries and idle transactions (ai-trader db slow-queries, db connections)`,
    );
    this.name = 'PoolExhaustedError';
  }
}

interface Tracked {
  pool: pg.Pool;
  name: string;
  max: number;
  acquireTimeoutMs: number;
  exhaustedTotal: number;
}
const tracked = new Set<Tracked>();

export interface PoolGauge {
  name: string;
  max: number;
  /** Connections open (busy + idle). */
  total: number;
  idle: number;
  /** Callers queued for a connection right now. */
  waiting: number;
  /** Callers that gave up (PoolExhaustedError) since the process started. */
  exhaustedTotal: number;
  acquireTimeoutMs: number;
}

/** Every open pool of this process, as gauges. */
export function poolStats(): PoolGauge[] {
  return [...tracked].map((t) => ({
    name: t.name, max: t.max, total: t.pool.totalCount, idle: t.pool.idleCount, waiting: t.pool.waitingCount,
    exhaustedTotal: t.exhaustedTotal, acquireTimeoutMs: t.acquireTimeoutMs,
  }));
}

const TIMEOUT = 'timeout exceeded when trying to connect';

/**
 * A pool configured as `opts` says. node-postgres' own `connectionTimeoutMillis` bounds the wait; this wrapper turns
 * its bare "timeout exceeded" into PoolExhaustedError when the pool was full at the time of asking (else the server
 * did not answer in time, and the error says that), and counts it.
 */
export function createNamedPool(config: pg.PoolConfig, opts: PoolOptions = {}): pg.Pool {
  const name = opts.name ?? 'pg';
  const max = opts.max ?? config.max ?? 10;
  const acquireTimeoutMs = opts.acquireTimeoutMs ?? 10_000;
  const pool = new pg.Pool({ application_name: `ai-trader:${name}`, ...config, max, connectionTimeoutMillis: acquireTimeoutMs });
  pool.on('error', () => undefined); // an idle client's error surfaces on its next use
  // pg-pool listens for errors only on idle clients: a checked-out client whose server goes away (a Postgres restart
  // mid-transaction) emits an 'error' nobody handles, which ends the process. Its queries are rejected with the error
  // anyway, and the pool discards it on release (no longer queryable), so a listener here is all that is needed.
  pool.on('connect', (client) => client.on('error', () => undefined));
  const t: Tracked = { pool, name, max, acquireTimeoutMs, exhaustedTotal: 0 };
  tracked.add(t);
  const explain = (err: Error, wasFull: boolean): Error => {
    if (err?.message !== TIMEOUT) return err;
    if (wasFull) {
      t.exhaustedTotal++;
      return new PoolExhaustedError(name, max, acquireTimeoutMs, pool.waitingCount);
    }
    return new Error(`pg pool '${name}': Postgres did not accept a connection within ${acquireTimeoutMs} ms (is it running and reachable?)`, { cause: err });
  };
  const connect = pool.connect.bind(pool) as (cb?: (err: Error | undefined, client?: pg.PoolClient, done?: (release?: unknown) => void) => void) => Promise<pg.PoolClient> | void;
  // pool.query() goes through this.connect(callback), so both paths get the clear error.
  pool.connect = function (cb?: (err: Error | undefined, client?: pg.PoolClient, done?: (release?: unknown) => void) => void) {
    const wasFull = pool.totalCount >= max && pool.idleCount === 0;
    if (cb) return connect((err, client, done) => cb(err ? explain(err, wasFull) : err, client, done));
    return (connect() as Promise<pg.PoolClient>).catch((err: Error) => {
      throw explain(err, wasFull);
    });
  } as typeof pool.connect;
  const end = pool.end.bind(pool);
  pool.end = (() => {
    tracked.delete(t);
    return end();
  }) as typeof pool.end;
  return pool;
}

/** Socket errors of a connection to the server (not of a query). */
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND']);
/** What node-postgres (and our pools) say when a connection is lost or cannot be made. */
const CONNECTION_MESSAGES = [
  /^Connection terminated/, /connection error and is not queryable/, /^Client was closed and is not queryable/, /^timeout exceeded when trying to connect/,
  /did not accept a connection within/,
];

/**
 * Whether the error (or one it wraps) says the connection to Postgres failed, rather than a statement: a socket
 * error, a connection node-postgres lost or could not make, SQLSTATE class 08 (connection exception) or 57P01–57P03
 * (the server shutting down or starting up).
 */
export function isConnectionError(e: unknown): boolean {
  for (let x = e, depth = 0; x && typeof x === 'object' && depth < 5; x = (x as { cause?: unknown }).cause, depth++) {
    const { code, message } = x as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && (CONNECTION_CODES.has(code) || /^08[0-9A-Z]{3}$/.test(code) || /^57P0[123]$/.test(code))) return true;
    if (typeof message === 'string' && CONNECTION_MESSAGES.some((r) => r.test(message))) return true;
  }
  return false;
}

/** Whether Postgres answers `SELECT 1` through this pool within `timeoutMs` (connecting included). */
export async function databaseAnswers(pool: pg.Pool, timeoutMs = 2000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([pool.query('SELECT 1').then(() => true as const, () => false as const), late]);
  } finally {
    clearTimeout(timer);
  }
}

export function createPgPool(databaseUrl: string, opts: PoolOptions | number = {}): pg.Pool {
  const o = typeof opts === 'number' ? { max: opts } : opts;
  return createNamedPool({ connectionString: databaseUrl }, { name: 'pg', max: 4, ...o });
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
