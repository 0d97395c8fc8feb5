// Upkeep verbs against the real services: ANALYZE gives the planner row counts (sizes show them), REINDEX rebuilds
// indexes, idle connections are ended (and only those), slow queries say how to enable pg_stat_statements when it is
// not loaded, and the cache flush deletes only cache keys — never queues or state.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRuntime, type TestRuntime } from '@ai-trader/adapters/testing';
import { cacheStats, flushCache, ingestBar, killIdleConnections, latestCloses, listConnections, reindexDatabase, slowQueries, tableSizes, vacuumDatabase } from '@ai-trader/core';
import { loadBars } from '@ai-trader/db';
import type { TBar } from '@ai-trader/contracts';
import { runCli } from './helpers/processes.ts';

const actor = { id: 'test', email: 'ops@example.com' };
const bars = (n: number): TBar[] =>
  Array.from({ length: n }, (_, i) => ({ symbol: 'SPY', timeframe: '5m' as const, ts: new Date(Date.parse('2025-06-02T13:30:00Z') + i * 300_000).toISOString(), open: '500', high: '501', low: '499', close: '500.5', volume: '10', source: 'test' }));

describe('database and cache upkeep', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await createTestRuntime('dbupkeep');
    await loadBars(rt.deps.pool, '5m', [bars(120)]);
  });
  afterAll(async () => rt?.cleanup());

  it('ANALYZE fills the row estimates that db sizes shows; VACUUM and REINDEX run table by table, audited', async () => {
    const part = async () => (await tableSizes(rt.deps.pool)).tables.find((t) => t.name === 'market_data_5m')!;
    expect((await part()).kind).toBe('partitioned');
    expect((await part()).partitions.find((p) => p.name === 'market_data_5m_m2025_06')!.rowsEstimate).toBe(0); // never analysed
    const seen: number[] = [];
    const a = await vacuumDatabase(rt.deps, { analyzeOnly: true, table: 'market_data_5m', actor, reason: 'test', onProgress: (p) => seen.push(p.done) });
    expect(a.command).toBe('ANALYZE');
    expect(a.tables).toContain('market_data_5m_m2025_06');
    expect(seen.at(-1)).toBe(a.tables.length);
    expect((await part()).partitions.find((p) => p.name === 'market_data_5m_m2025_06')!.rowsEstimate).toBe(120);
    expect((await vacuumDatabase(rt.deps, { actor, reason: 'test' })).tables.length).toBeGreaterThan(30);
    await expect(vacuumDatabase(rt.deps, { table: 'nope' })).rejects.toThrow('--table nope: no such table in the public schema');

    const node = async () => (await rt.deps.pool.query<{ f: string }>(`SELECT relfilenode::text AS f FROM pg_class WHERE relname = 'market_data_5m_m2025_06_pkey'`)).rows[0]!.f;
    const before = await node();
    expect((await reindexDatabase(rt.deps, { table: 'market_data_5m_m2025_06', actor, reason: 'test' })).tables).toEqual(['market_data_5m_m2025_06']);
    expect(await node()).not.toBe(before); // rebuilt
    const audit = await rt.deps.prisma.auditLog.findMany({ where: { actorEmail: actor.email }, orderBy: { seq: 'asc' }, select: { action: true } });
    expect(audit.map((x) => x.action)).toEqual(['db.analyze', 'db.vacuum', 'db.reindex']);
  });

  it('ends connections idle longer than the limit, not the others; db connections lists them by application', async () => {
    const idle = new pg.Client({ connectionString: rt.config.DATABASE_URL, application_name: 'idle-test' });
    const fresh = new pg.Client({ connectionString: rt.config.DATABASE_URL, application_name: 'fresh-test' });
    for (const c of [idle, fresh]) c.on('error', () => undefined);
    await idle.connect();
    const pid = (await idle.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    await new Promise((r) => setTimeout(r, 1300));
    await fresh.connect();
    const listed = await listConnections(rt.deps.pool);
    expect(listed.summary.byApplication.map((a) => a.application)).toEqual(expect.arrayContaining(['idle-test', 'fresh-test']));
    expect(listed.connections.find((c) => c.pid === pid)).toMatchObject({ application: 'idle-test', state: 'idle' });

    const r = await killIdleConnections(rt.deps, { idleMs: 1000, actor, reason: 'test' });
    expect(r.killed.map((k) => k.pid)).toContain(pid);
    expect(r.killed.map((k) => k.application)).not.toContain('fresh-test'); // connected a moment ago
    await expect(idle.query('SELECT 1')).rejects.toThrow();
    expect((await fresh.query<{ one: number }>('SELECT 1 AS one')).rows[0]!.one).toBe(1);
    await fresh.end();
    await idle.end().catch(() => undefined);
    expect(await rt.deps.prisma.auditLog.count({ where: { action: 'db.kill-idle' } })).toBe(1);
    // Our own pools lost their idle connections too, and carry on.
    expect((await rt.deps.pool.query<{ one: number }>('SELECT 1 AS one')).rows[0]!.one).toBe(1);

    const env = { DATABASE_URL: rt.config.DATABASE_URL, REDIS_URL: rt.config.REDIS_URL, REDIS_PREFIX: rt.config.REDIS_PREFIX, LOG_LEVEL: 'warn' };
    const cli = await runCli(['db', 'connections', '--json'], env);
    expect(cli.status).toBe(0);
    const out = JSON.parse(cli.stdout) as { summary: { byApplication: Array<{ application: string }> } };
    expect(out.summary.byApplication.map((a) => a.application)).toContain('ai-trader:cli-pg'); // our pools name themselves
  });

  it('slow queries: the statements by mean time, or how to enable pg_stat_statements', async () => {
    const loaded = (await rt.deps.pool.query<{ s: string }>(`SELECT current_setting('shared_preload_libraries') AS s`)).rows[0]!.s.includes('pg_stat_statements');
    const r = await slowQueries(rt.deps.pool, { limit: 5 });
    if (loaded) expect(r.available).toBe(true); // (and the extension created in this database)
    else {
      expect(r.available).toBe(false);
      expect(r.available === false && r.how).toContain("shared_preload_libraries = 'pg_stat_statements'");
    }
  });

  it('cache stats by kind; flush deletes only cache keys, with confirm', async () => {
    await ingestBar(rt.deps, bars(121).at(-1)!); // fills the latest-bars cache, freshness, and queues a scoring job
    await latestCloses(rt.deps, ['SPY', 'QQQ'], '5m'); // one hit, one miss
    const s = await cacheStats(rt.deps);
    const group = (g: string) => s.groups.find((x) => x.group === g);
    expect(group('latest')).toMatchObject({ kind: 'cache', keys: 1 });
    expect(group('scoring.score')).toMatchObject({ kind: 'queue' });
    expect(group('fresh')).toMatchObject({ kind: 'state' });
    expect(group('latest')!.memoryBytes).toBeGreaterThan(0);
    expect(s.latestCache).toEqual({ hits: 1, misses: 1, hitRate: 0.5 });

    const dry = await flushCache(rt.deps, { confirm: false });
    expect(dry).toEqual({ deleted: 0, matched: 1, groups: ['latest'] });
    expect(await rt.deps.redis.exists(`${rt.config.REDIS_PREFIX}:latest:5m`)).toBe(1);
    const queueKeys = s.groups.filter((g) => g.kind !== 'cache').reduce((n, g) => n + g.keys, 0);
    expect(await flushCache(rt.deps, { confirm: true, actor })).toEqual({ deleted: 1, matched: 1, groups: ['latest'] });
    const after = await cacheStats(rt.deps);
    expect(after.groups.find((g) => g.group === 'latest')).toBeUndefined();
    expect(after.groups.reduce((n, g) => n + g.keys, 0)).toBe(queueKeys); // queues and state untouched
    expect(await rt.deps.prisma.auditLog.count({ where: { action: 'cache.flush' } })).toBe(1);
  });
});
