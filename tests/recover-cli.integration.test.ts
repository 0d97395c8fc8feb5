// `ai-trader recover system` as a process: refused while trading is ACTIVE (nothing touched); once halted, every
// step runs and reports — the latest-bar cache emptied (queues kept), a session stuck in a transaction ended,
// partitions and books re-established, validate --all — and the run is audited.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRuntime, type TestRuntime } from '@ai-trader/adapters/testing';
import { markFeedActive, recordFreshness } from '@ai-trader/core';
import { runCli } from './helpers/processes.ts';

describe('ai-trader recover system', () => {
  let rt: TestRuntime;
  let env: Record<string, string>;
  let stuck: pg.Client;
  const cacheKey = () => `${rt.config.REDIS_PREFIX}:latest:5m`;

  beforeAll(async () => {
    rt = await createTestRuntime('recovercli', { REPLAY_SYMBOLS: 'SPY' });
    env = { DATABASE_URL: rt.config.DATABASE_URL, REDIS_URL: rt.config.REDIS_URL, REDIS_PREFIX: rt.config.REDIS_PREFIX, REPLAY_DATA_DIR: rt.config.REPLAY_DATA_DIR, REPLAY_SYMBOLS: 'SPY', LOG_LEVEL: 'warn' };
    await rt.deps.redis.hset(cacheKey(), 'SPY', JSON.stringify({ ts: '2025-06-04T19:55:00Z', close: '510.25' }));
    await rt.queues.queues.get('monitor.outbox')!.add('monitor.outbox', {});
    // A feed delivering SPY: the data checks of validate --all have something to judge.
    const now = new Date();
    await markFeedActive(rt.deps, now);
    const m = rt.deps.redis.multi();
    recordFreshness(m, rt.config.REDIS_PREFIX, { symbol: 'SPY', timeframe: '5m', ts: '2025-06-04T13:30:00.000Z', open: '1', high: '1', low: '1', close: '1', volume: '1', source: 'test' }, now);
    await m.exec();
    // A session that opened a transaction and went quiet, holding its locks.
    stuck = new pg.Client({ connectionString: rt.config.DATABASE_URL, application_name: 'stuck-test-session' });
    stuck.on('error', () => undefined); // it is going to be ended
    await stuck.connect();
    await stuck.query('BEGIN');
    await stuck.query('SELECT * FROM trading_state FOR UPDATE');
  });
  afterAll(async () => {
    await stuck?.end().catch(() => undefined);
    await rt?.cleanup();
  });

  it('is refused while trading is ACTIVE, and touches nothing', async () => {
    const r = await runCli(['recover', 'system'], env);
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe('recover system refused: trading is ACTIVE; stop it first (ai-trader shutdown --reason R stops entries, --force halts), then run it again');
    expect(await rt.deps.redis.hget(cacheKey(), 'SPY')).not.toBeNull();
    expect(await rt.deps.prisma.auditLog.count({ where: { action: 'recover.system' } })).toBe(0);
  });

  it('halted: runs every step, prints what it did, ends the stuck session, empties our cache only, validates, audits', async () => {
    // Halting needs the row the stuck session holds: free it by committing nothing and re-taking only a share lock.
    await stuck.query('ROLLBACK');
    await rt.deps.prisma.tradingStateRow.update({ where: { id: 1 }, data: { state: 'HALTED', reason: 'incident 42' } });
    await stuck.query('BEGIN');
    await stuck.query('SELECT * FROM trading_state FOR SHARE');
    await new Promise((r) => setTimeout(r, 1100));

    const r = await runCli(['recover', 'system', '--reason', 'incident 42', '--idle-after', '1s'], env);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const out = r.stdout;
    const headers = [...out.matchAll(/^\[(\d)\/5\] (.+)$/gm)].map((m) => m[2]);
    expect(headers).toEqual(['status --detailed', 'flush caches', 'reset connections', 'reinitialise', 'validate --all']);
    expect(out).toMatch(/^ {6}health degraded\n {6}postgres: ok: query ok\n/m);
    expect(out).toMatch(/^ {6}deleted 1 cache key\(s\) \(latest; refilled from Postgres on the next reads\)$/m);
    // This test's own pools may be idle that long too: they are another process's, and reconnect.
    expect(out).toMatch(/^ {6}ended \d+ Postgres session\(s\) idle longer than 1 s; their pools reconnect on the next query$/m);
    expect(out).toMatch(/^ {6}pid \d+ stuck-test-session: idle in transaction for \d+ s$/m);
    expect(out).toMatch(/^ {6}partitions: created market_data_1m_m\d{4}_\d{2}, /m);
    expect(out).toMatch(/^ {6}credentials: running processes told to re-read their provider keys$/m);
    expect(out).toMatch(/^ {6}ok {4}partitions {4}\d+ partition\(s\) of 5 tables, covering the next 7 days$/m);
    expect(out).toMatch(/^ {6}0 failed, 0 warning\(s\), 8 ok\n {6}✓ done$/m);
    expect(out.trim().split('\n').at(-1)).toBe('recover system: every step done, the system validates');

    // Real effects: the cache is empty, the queue's job is still there, the stuck session is gone.
    expect(await rt.deps.redis.exists(cacheKey())).toBe(0);
    expect(await rt.queues.queues.get('monitor.outbox')!.getWaitingCount()).toBe(1);
    await expect(stuck.query('SELECT 1')).rejects.toThrow();
    const audit = await rt.deps.prisma.auditLog.findFirstOrThrow({ where: { action: 'recover.system' } });
    expect(audit).toMatchObject({ reason: 'incident 42', actorEmail: expect.stringMatching(/^cli:/) });
    expect((audit.after as { ok: boolean; steps: { name: string; status: string }[] }).steps.map((s) => s.status)).toEqual(['done', 'done', 'done', 'done', 'done']);
    expect((await rt.deps.prisma.tradingStateRow.findUniqueOrThrow({ where: { id: 1 } })).state).toBe('HALTED');
  });

  it('usage: a bad duration, or no runbook, exits 2', async () => {
    const [bad, none] = await Promise.all([runCli(['recover', 'system', '--idle-after', 'soon'], env), runCli(['recover'], env)]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^error: option '--idle-after <duration>' argument 'soon' is invalid\. must be a duration like 30s, 10m or 1h$/m);
    expect(none.status).toBe(2);
    expect(none.stderr.trim()).toBe('give a runbook: recover system, or recover --from-backup DATE');
  });
});
