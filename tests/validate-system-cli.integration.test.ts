// `ai-trader validate --component X | --all` as a process against real Postgres and Redis: each component's check
// finds what is really wrong (no dated partitions, no data yet, a tampered audit row, an edited migration) and
// passes once it is put right; a failure exits 1, a clean run 0.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRuntime, type TestRuntime } from '@ai-trader/adapters/testing';
import { markFeedActive, recordFreshness } from '@ai-trader/core';
import { ensurePartitionsAhead } from '@ai-trader/db';
import { runCli } from './helpers/processes.ts';

interface Check { component: string; status: 'ok' | 'warn' | 'fail'; summary: string; lines: string[] }

describe('ai-trader validate (components)', () => {
  let rt: TestRuntime;
  let env: Record<string, string>;
  const cli = (...args: string[]) => runCli(['validate', ...args], env);

  beforeAll(async () => {
    rt = await createTestRuntime('validatesys', { REPLAY_SYMBOLS: 'SPY' });
    env = { DATABASE_URL: rt.config.DATABASE_URL, REDIS_URL: rt.config.REDIS_URL, REDIS_PREFIX: rt.config.REDIS_PREFIX, REPLAY_DATA_DIR: rt.config.REPLAY_DATA_DIR, REPLAY_SYMBOLS: 'SPY', LOG_LEVEL: 'warn' };
  });
  afterAll(async () => {
    await rt?.cleanup();
  });

  it('--all on a fresh install: what works passes, missing partitions and the absent data fail (exit 1)', async () => {
    const r = await cli('--all', '--json');
    expect(r.status, r.stderr).toBe(1);
    const v = JSON.parse(r.stdout) as { ok: boolean; checks: Check[] };
    const by = Object.fromEntries(v.checks.map((c) => [c.component, c]));
    expect(v.ok).toBe(false);
    expect(v.checks.map((c) => c.component)).toEqual(['config', 'database', 'redis', 'broker', 'feed', 'partitions', 'audit-chain', 'data_pipeline']);
    expect(by.config).toMatchObject({ status: 'ok', summary: 'BROKER=sim, FEED=replay, WORKER_ROLES=all' });
    expect(by.database!.status).toBe('ok');
    expect(by.database!.summary).toMatch(/^Postgres [\d.]+.*, database aitrader_validatesys_\w+, \d+ ms; \d+ migration\(s\) applied$/);
    expect(by.redis).toMatchObject({ status: 'ok' });
    expect(by.redis!.summary).toMatch(/maxmemory-policy noeviction$/);
    expect(by.broker).toMatchObject({ status: 'ok', summary: 'sim: reachable', lines: ['cash 100000, buying power 100000; 0 open order(s)'] });
    expect(by.feed).toMatchObject({ status: 'warn', summary: 'replay: no feed running: nothing to judge' });
    expect(by.partitions!.status).toBe('fail');
    expect(by.partitions!.summary).toMatch(/missing for the next 7 days: market_data_1m_m\d{4}_\d{2}, .*news_y\d{4}.* \(ai-trader db partitions --days-ahead 30\)$/);
    expect(by['audit-chain']).toMatchObject({ status: 'ok', summary: 'intact: 0 rows, every hash recomputed; no rows yet' });
    expect(by.data_pipeline).toMatchObject({ status: 'fail', summary: 'no bar has arrived yet' });
  });

  it('each check follows the facts: put right → ok (exit 0); a tampered audit row or an edited migration → FAIL (exit 1)', async () => {
    await ensurePartitionsAhead(rt.deps.pool, new Date(), 30);
    const now = new Date();
    await markFeedActive(rt.deps, new Date(now.getTime() - 60_000));
    const m = rt.deps.redis.multi();
    recordFreshness(m, rt.config.REDIS_PREFIX, { symbol: 'SPY', timeframe: '5m', ts: '2025-06-04T13:30:00.000Z', open: '1', high: '1', low: '1', close: '1', volume: '1', source: 'test' }, now);
    await m.exec();
    const good = await cli('--component', 'partitions,feed,data_pipeline');
    expect(good.status, good.stdout + good.stderr).toBe(0);
    expect(good.stdout).toMatch(/^validate partitions, feed, data_pipeline$/m);
    expect(good.stdout).toMatch(/^ {2}ok {4}partitions {4}\d+ partition\(s\) of 5 tables, covering the next 7 days$/m);
    expect(good.stdout).toMatch(/^ {2}ok {4}feed {10}replay: running, last bar \d+ s ago$/m);
    expect(good.stdout).toMatch(/^ {2}ok {4}data_pipeline {1}1 series with data, 0 stale, 0 failed backfill\(s\) in 24 h$/m);
    expect(good.stdout).toMatch(/^valid: 0 failed, 0 warning\(s\), 3 ok$/m);
    expect(good.stdout).not.toContain('\u001b['); // piped: no colour codes

    await rt.deps.prisma.auditLog.create({ data: { actorEmail: 'ops@example.com', action: 'trading.halt', reason: 'test' } });
    await rt.deps.prisma.auditLog.create({ data: { actorEmail: 'ops@example.com', action: 'trading.resume', reason: 'test' } });
    const c = new pg.Client({ connectionString: rt.config.DATABASE_URL });
    await c.connect();
    try {
      await c.query('SET session_replication_role = replica');
      await c.query(`UPDATE audit_log SET reason = 'rewritten' WHERE seq = 1`);
      await c.query(`UPDATE _prisma_migrations SET checksum = repeat('0', 64) WHERE migration_name = (SELECT min(migration_name) FROM _prisma_migrations)`);
    } finally {
      await c.end();
    }
    const bad = await cli('--component', 'audit-chain,database');
    expect(bad.status, bad.stderr).toBe(1);
    expect(bad.stdout).toMatch(/^ {2}FAIL {2}audit-chain {3}1 break\(s\) in 2 rows \(ai-trader audit verify for the list\)$/m);
    expect(bad.stdout).toMatch(/^ {8} {13} seq 1: hash_mismatch: /m);
    expect(bad.stdout).toMatch(/^ {2}FAIL {2}database {6}Postgres .*; 1 problem\(s\)$/m);
    expect(bad.stdout).toMatch(/migration \d+_init was changed after it was applied$/m);
    expect(bad.stdout).toMatch(/^NOT valid: 2 failed, 0 warning\(s\), 0 ok$/m);
  });

  it('usage: an unknown component, or --component with --all, exits 2 with one line', async () => {
    const [unknown, both] = await Promise.all([cli('--component', 'databse'), cli('--component', 'redis', '--all')]);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr.trim()).toBe('--component databse: known components: config, database, redis, broker, feed, partitions, audit-chain, data_pipeline');
    expect(both.status).toBe(2);
    expect(both.stderr.trim()).toBe('give --component or --all, not both');
  });
});
