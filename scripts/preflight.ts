// Checks that Postgres and Redis answer (~3 s each, in parallel) before anything is migrated or started.
// On failure: one line per service naming its (password-redacted) URL and how to start it; exit 1, no stack.
import fs from 'node:fs';
import pg from 'pg';
import { Redis } from 'ioredis';
// Relative import: the root package does not depend on the workspace packages; contracts holds the
// defaults and URL validation, so the preflight checks exactly what the services will use.
import { ConfigError, parseConfig, redactUrl } from '../packages/contracts/src/config.ts';

const TIMEOUT_MS = 3_000;

/** The error's own words, one line; AggregateError (IPv4+IPv6 attempts) carries them in `errors`. */
function reason(error: unknown): string {
  if (error instanceof AggregateError && !error.message) {
    return [...new Set(error.errors.map((e) => reason(e)))].join('; ');
  }
  const text = error instanceof Error ? error.message || (error as { code?: string }).code || error.name : String(error);
  return text.split('\n')[0] ?? 'unknown error';
}

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${TIMEOUT_MS / 1000} s`)), TIMEOUT_MS + 500);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function postgresVersion(): string {
  // Debian's clusters are named by major version; fall back to the version docker-compose.yml uses.
  try {
    return fs.readdirSync('/etc/postgresql').find((v) => /^\d+$/.test(v)) ?? '15';
  } catch {
    return '15';
  }
}

async function checkPostgres(databaseUrl: string): Promise<string | null> {
  // The app database may not exist before the first migrate, so talk to the server's `postgres` database.
  const serverUrl = new URL(databaseUrl);
  serverUrl.pathname = '/postgres';
  const client = new pg.Client({ connectionString: serverUrl.toString(), connectionTimeoutMillis: TIMEOUT_MS });
  client.on('error', () => {}); // a dropped connection after the check must not crash the process
  const shown = redactUrl(databaseUrl);
  try {
    await withTimeout(client.connect().then(() => client.query('select 1')), 'Postgres');
    return null;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === '3D000') return null; // no `postgres` database, but the server answered
    if (code === '28P01' || code === '28000') {
      return `Postgres at ${shown} refused the login (${reason(error)}). Check the user and password in DATABASE_URL.`;
    }
    return (
      `Postgres is not reachable at ${shown} (${reason(error)}).\n` +
      `  Start it with \`docker compose up -d postgres\`, or on Debian \`pg_ctlcluster ${postgresVersion()} main start\`.`
    );
  } finally {
    void client.end().catch(() => {});
  }
}

async function checkRedis(redisUrl: string): Promise<string | null> {
  let lastError: unknown;
  // One attempt, no reconnects and no offline queue: the preflight wants an answer, not resilience.
  const redis = new Redis(redisUrl, {
    lazyConnect: true,
    connectTimeout: TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  redis.on('error', (error) => (lastError = error));
  const shown = redactUrl(redisUrl);
  try {
    await withTimeout(redis.connect().then(() => redis.ping()), 'Redis');
    return null;
  } catch (error) {
    const why = reason(lastError ?? error);
    if (/NOAUTH|WRONGPASS|invalid password/i.test(why)) {
      return `Redis at ${shown} refused the login (${why}). Check the password in REDIS_URL.`;
    }
    return (
      `Redis is not reachable at ${shown} (${why}).\n` +
      '  Start it with `docker compose up -d redis`, or on Debian `redis-server --daemonize yes`.'
    );
  } finally {
    redis.disconnect();
  }
}

async function main(): Promise<number> {
  let config;
  try {
    config = parseConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      // ConfigError quotes the bad value; a URL that failed to parse may still hold a password.
      console.error(error.message.replace(/(\/\/[^:/@\s]*:)[^@\s']*@/g, '$1***@'));
      return 1;
    }
    throw error;
  }
  const problems = (await Promise.all([checkPostgres(config.DATABASE_URL), checkRedis(config.REDIS_URL)])).filter(
    (p): p is string => p !== null,
  );
  for (const problem of problems) console.error(problem);
  if (problems.length) return 1;
  console.log(`Postgres answers at ${redactUrl(config.DATABASE_URL)}; Redis answers at ${redactUrl(config.REDIS_URL)}`);
  return 0;
}

// Explicit exit: pg/ioredis sockets being torn down must not keep the process alive or decide its code.
main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`preflight failed: ${reason(error)}`);
    process.exit(1);
  },
);
