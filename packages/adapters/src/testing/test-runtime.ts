// Integration-test wiring: a fresh migrated database, a unique Redis prefix, and the real runtime
// (Postgres, Redis, BullMQ, simulated broker). cleanup() removes the database and every Redis key.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { parseConfig, type TConfig } from '@ai-trader/contracts';
import { bootstrapBooks, createLogger, createRedis } from '@ai-trader/core';
import { createTestDatabase } from '@ai-trader/db/testing';
import { createRuntime, type Runtime } from '../runtime.ts';

export const SHARED_DATA_DIR = path.resolve(import.meta.dirname, '../../../../../shared/data');

/** The walking skeleton's strategy (SMA 5/20 cross, 10 000 per entry) as tests seed it. */
export const maCrossStrategy = (symbols: string[]) => ({
  name: 'ma-cross-5-20', kind: 'ma-cross', enabled: true, symbols, timeframe: '5m', params: { fast: 5, slow: 20 }, sizing: { mode: 'fixed_notional', notional: '10000' },
});

export interface TestRuntime extends Runtime {
  config: TConfig;
  cleanup(): Promise<void>;
}

export async function createTestRuntime(name: string, env: Record<string, string> = {}): Promise<TestRuntime> {
  const prefix = `t-${name.toLowerCase().replace(/[^a-z0-9]/g, '')}-${randomBytes(4).toString('hex')}`.slice(0, 40);
  // The environment is checked before the database exists: a bad setting must not leave one behind.
  const config = parseConfig({
    DATABASE_URL: 'postgresql://checked-before-use@127.0.0.1/x',
    REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
    REDIS_PREFIX: prefix,
    REPLAY_DATA_DIR: SHARED_DATA_DIR,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    // No log files from tests (a test's createRuntime(config) would write to the repo's logs/); a test may set LOG_DIR.
    LOG_DIR: 'off',
    ...env,
  });
  const db = await createTestDatabase(name);
  config.DATABASE_URL = db.url;
  const rt = createRuntime(config, { name, logger: createLogger({ name, level: config.LOG_LEVEL }), dbPoolSize: 8 });
  await bootstrapBooks(rt.deps);
  let closed = false;
  return {
    ...rt,
    config,
    async close() {
      if (closed) return;
      closed = true;
      await rt.close();
    },
    async cleanup() {
      if (!closed) {
        closed = true;
        await rt.close();
      }
      const r = createRedis(config.REDIS_URL, { name: 'cleanup' });
      try {
        let cursor = '0';
        do {
          const [next, found] = await r.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
          if (found.length) await r.del(...found);
          cursor = next;
        } while (cursor !== '0');
      } finally {
        await r.quit();
      }
      await db.drop();
    },
  };
}
