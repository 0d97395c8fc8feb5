// The composition root shared by the console, the workers and the tests: real Postgres, Redis, queues,
// event bus and the broker chosen by configuration, wired into the Deps every use-case takes.
import type { TConfig } from '@ai-trader/contracts';
import { createLogger, createLogStore, createQueues, guardLiveBroker, LogFiles, resolveLogDir, createRedis, redisEventBus, systemClock, type BrokerPort, type Clock, type Deps, type Queues } from '@ai-trader/core';
import { createPgPool, createPrisma } from '@ai-trader/db';
import type { Logger } from 'pino';
import type { Redis } from 'ioredis';
import { AlpacaBroker } from './alpaca/alpaca-broker.ts';
import { AlpacaRest } from './alpaca/alpaca-rest.ts';
import { createAlertSinks } from './alerts/alert-sinks.ts';
import { createApiProbe } from './api-probe.ts';
import { SimBroker, simBrokerOptions } from './broker/sim-broker.ts';
import { PolygonHistorySource, ReplayHistorySource } from './history/history-sources.ts';
import { PolygonRest } from './polygon/polygon-rest.ts';
import { createProviderCredentials, type ProviderCredentials } from './provider-credentials.ts';

export interface Runtime {
  deps: Deps;
  queues: Queues;
  /** The provider keys in use (stored active key, else the environment), following rotations. */
  credentials: ProviderCredentials;
  close(): Promise<void>;
}

export class AdapterUnavailableError extends Error {}

function createBroker(config: TConfig, prisma: Deps['prisma'], clock: Clock, redis: Redis, logger: Logger, credentials: ProviderCredentials): BrokerPort {
  if (config.BROKER === 'sim') return new SimBroker(prisma, clock, simBrokerOptions(config));
  const rest = new AlpacaRest({
    baseUrl: config.ALPACA_BASE_URL, credentials: credentials.alpaca, redis, prefix: config.REDIS_PREFIX, logger,
    maxRetries: 2, requestTimeoutMs: 8_000, // keeps a submit inside submitIntent's 30 s transaction
    rateLimit: { requests: config.ALPACA_REQUESTS_PER_MINUTE, windowMs: 60_000, reserved: config.ALPACA_RESERVED_REQUESTS },
  });
  return new AlpacaBroker({ rest, logger });
}

export function createRuntime(config: TConfig, opts: { name: string; logger?: Logger; clock?: Clock; dbPoolSize?: number }): Runtime {
  // The log store's connection comes first, so the first line is kept; a logger passed in (tests) is left alone.
  const logStore = !opts.logger && config.LOG_STORE
    ? createLogStore({ url: config.REDIS_URL, name: opts.name, prefix: config.REDIS_PREFIX, maxEntries: config.LOG_STORE_MAX_ENTRIES })
    : null;
  const logDir = opts.logger ? null : resolveLogDir(config);
  const logFiles = logDir ? new LogFiles({ dir: logDir, format: config.LOG_FILE_FORMAT }) : null;
  const logger = opts.logger ?? createLogger({
    name: opts.name, level: config.LOG_LEVEL, store: logStore ?? undefined, storeLevel: config.LOG_STORE_LEVEL,
    files: logFiles ?? undefined, fileLevel: config.LOG_FILE_LEVEL, format: config.LOG_FORMAT ?? (config.NODE_ENV === 'development' ? 'pretty' : 'json'),
  });
  const clock = opts.clock ?? systemClock;
  const prisma = createPrisma(config.DATABASE_URL, { name: `${opts.name}-prisma`, max: opts.dbPoolSize ?? config.PRISMA_POOL_MAX, acquireTimeoutMs: config.PG_POOL_ACQUIRE_TIMEOUT_MS });
  const redis = createRedis(config.REDIS_URL, { name: `${opts.name}-cmd` });
  // BullMQ producers share one connection that may wait for Redis instead of failing the add.
  const queueRedis = createRedis(config.REDIS_URL, { forBullWorker: true, name: `${opts.name}-queues` });
  // BullMQ listens for errors on this shared connection only while a queue is open: an error that lands as they close
  // (a version check still in flight when a short CLI command ends) would be printed raw by ioredis. Logged instead
  // (debug: while the queues are open BullMQ reports the same errors itself).
  queueRedis.on('error', (e: Error) => logger.debug({ err: e.message }, 'queue connection error'));
  const queues = createQueues(queueRedis, config.REDIS_PREFIX);
  const credentials = createProviderCredentials({ config, prisma, logger, name: opts.name });
  // Pointed at a live Alpaca account, orders go only while readiness has switched broker.account to live (readiness-gate.ts).
  const broker = guardLiveBroker(createBroker(config, prisma, clock, redis, logger, credentials), { prisma, config });
  // The order path (risk 1 + execution 4), COPY and maintenance; sized by PG_POOL_MAX (default 6).
  const pool = createPgPool(config.DATABASE_URL, { name: `${opts.name}-pg`, max: config.PG_POOL_MAX, acquireTimeoutMs: config.PG_POOL_ACQUIRE_TIMEOUT_MS });
  const history =
    config.FEED === 'polygon'
      ? new PolygonHistorySource(new PolygonRest({
          baseUrl: config.POLYGON_BASE_URL, credentials: credentials.polygon, redis, prefix: config.REDIS_PREFIX,
          requestsPerSecond: config.POLYGON_REQUESTS_PER_SECOND, dailyLimit: config.POLYGON_DAILY_LIMIT, logger,
        }))
      : new ReplayHistorySource(config.REPLAY_DATA_DIR);
  const deps: Deps = {
    config, prisma, pool, redis, history, jobs: queues, broker, clock, logger, events: redisEventBus(redis, config.REDIS_PREFIX, clock),
    apiProbe: createApiProbe(config, redis, logger),
    alertSinks: createAlertSinks(config),
  };
  return {
    deps,
    queues,
    credentials,
    async close() {
      await credentials.close();
      await Promise.allSettled(deps.alertSinks.map((s) => s.close?.()));
      await queues.close();
      await Promise.allSettled([redis.quit(), queueRedis.quit()]);
      await prisma.$disconnect();
      await pool.end();
      await logStore?.close(); // last: what was logged while closing is kept too
      await logFiles?.close();
    },
  };
}
