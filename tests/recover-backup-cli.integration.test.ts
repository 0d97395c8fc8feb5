// `ai-trader recover --from-backup DATE` as a process, the data-corruption runbook: a wrong date is a usage error, a
// date without a backup and an ACTIVE system are refused with nothing touched; on a REDUCING system with corrupted books
// it halts, backs up what is there, restores the day's backup (verified), validates, restarts — the books are the
// backup's again, trading is HALTED, the current data is kept in BACKUP_DIR and the run is audited in the restored chain.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRuntime, type TestRuntime } from '@ai-trader/adapters/testing';
import { markFeedActive, recordFreshness, takeBackup } from '@ai-trader/core';
import { ensurePartitionsAhead } from '@ai-trader/db';
import { runCli } from './helpers/processes.ts';

describe('ai-trader recover --from-backup', () => {
  let rt: TestRuntime;
  let env: Record<string, string>;
  let dir: string;
  let original: string;
  const today = new Date().toISOString().slice(0, 10);
  const dumps = async () => (await readdir(dir)).filter((f) => f.endsWith('.dump')).sort();
  const state = async () => (await rt.deps.prisma.tradingStateRow.findUniqueOrThrow({ where: { id: 1 } })).state;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'ait-recover-'));
    rt = await createTestRuntime('recoverbak', { REPLAY_SYMBOLS: 'SPY', BACKUP_DIR: dir });
    env = {
      DATABASE_URL: rt.config.DATABASE_URL, REDIS_URL: rt.config.REDIS_URL, REDIS_PREFIX: rt.config.REDIS_PREFIX, REPLAY_DATA_DIR: rt.config.REPLAY_DATA_DIR,
      REPLAY_SYMBOLS: 'SPY', BACKUP_DIR: dir, LOG_LEVEL: 'warn',
    };
    // A healthy system, backed up: partitions ahead, a position, a feed delivering (validate --all has facts to judge).
    await ensurePartitionsAhead(rt.deps.pool, new Date(), 30);
    await rt.deps.prisma.position.create({ data: { symbol: 'SPY', qty: '10', avgCost: '500' } });
    await rt.deps.prisma.auditLog.create({ data: { actorEmail: 'ops@example.com', action: 'trading.resume', reason: 'morning' } });
    original = (await takeBackup(rt.deps)).path;
    await markFeedActive(rt.deps, new Date());
    const m = rt.deps.redis.multi();
    recordFreshness(m, rt.config.REDIS_PREFIX, { symbol: 'SPY', timeframe: '5m', ts: '2025-06-04T13:30:00.000Z', open: '1', high: '1', low: '1', close: '1', volume: '1', source: 'test' }, new Date());
    await m.exec();
    // Then the books go bad.
    await rt.deps.prisma.portfolioAccount.update({ where: { id: 1 }, data: { cash: '-1' } });
    await rt.deps.prisma.position.update({ where: { symbol: 'SPY' }, data: { qty: '999' } });
  });
  afterAll(async () => {
    await rt?.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  it('a bad date exits 2; no backup that day, or trading ACTIVE, is refused (exit 1) with nothing touched', async () => {
    const [bad, none, active] = await Promise.all([
      runCli(['recover', '--from-backup', 'yesterday'], env),
      runCli(['recover', '--from-backup', '2001-01-01'], env),
      runCli(['recover', '--from-backup', today], env),
    ]);
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim()).toBe('--from-backup yesterday: give a date like 2025-06-04 (UTC, as backups are named) or the path of a .dump file');
    expect(none.status).toBe(1);
    expect(none.stderr.trim()).toBe(`no backup of 2001-01-01 in ${dir} (backups there: ${today})`);
    expect(active.status).toBe(1);
    expect(active.stderr.trim()).toBe('recover --from-backup refused: trading is ACTIVE; stop it first (ai-trader shutdown --reason R stops entries, --force halts), then run it again');
    expect(await dumps()).toEqual([path.basename(original)]);
    expect(await state()).toBe('ACTIVE');
    expect((await rt.deps.prisma.portfolioAccount.findUniqueOrThrow({ where: { id: 1 } })).cash.toFixed()).toBe('-1');
  });

  it('REDUCING: halts, backs up current, restores the day\'s backup, validates, restarts; the books are the backup\'s', async () => {
    await rt.deps.prisma.tradingStateRow.update({ where: { id: 1 }, data: { state: 'REDUCING', reason: 'cash went negative' } });
    const r = await runCli(['recover', '--from-backup', today, '--reason', 'cash went negative'], env);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const out = r.stdout;
    const headers = [...out.matchAll(/^\[(\d)\/5\] (.+)$/gm)].map((m) => m[2]);
    expect(headers).toEqual(['stop (HALT)', 'back up current', `restore ${path.basename(original)}`, 'validate --all', 'restart']);
    expect(out).toMatch(/^ {6}trading HALTED: no order is sent from here\n {6}0 open order\(s\) cancelled at the broker\n {6}✓ done$/m);
    const current = new RegExp(`^ {6}(${dir.replace(/[.]/g, '\\.')}/\\S+\\.dump): \\d+ bytes, \\d+ tables, sha256 [0-9a-f]{12}…$`, 'm').exec(out)?.[1];
    expect(current).toBeTruthy();
    expect(current).not.toBe(original);
    expect(out).toMatch(/^ {6}restored \d+ tables, \d+ rows, identical to the backup \(row counts and checksums\)$/m);
    expect(out).toMatch(/^ {6}trading state in the backup: ACTIVE; set to HALTED$/m);
    expect(out).toMatch(/^ {6}0 failed, 0 warning\(s\), 8 ok\n {6}✓ done$/m);
    expect(out).toMatch(/^ {6}running on the restored database \(as of .+\); trading stays HALTED: resume it once reconciliation is clean$/m);
    expect(out.trim().split('\n').at(-1)).toBe(`recover --from-backup ${today} (${original}): every step done, the system validates`);

    // The backup's books, HALTED, what was there kept (the explicit backup and restore's own copy), the run audited.
    expect((await rt.deps.prisma.portfolioAccount.findUniqueOrThrow({ where: { id: 1 } })).cash.toFixed()).toBe('100000');
    expect((await rt.deps.prisma.position.findUniqueOrThrow({ where: { symbol: 'SPY' } })).qty.toFixed()).toBe('10');
    expect(await state()).toBe('HALTED');
    expect(await dumps()).toHaveLength(3);
    expect(await dumps()).toContain(path.basename(current!));
    const audit = await rt.deps.prisma.auditLog.findFirstOrThrow({ where: { action: 'recover.from-backup' } });
    expect(audit.reason).toBe(`recover --from-backup ${today}: cash went negative`);
    expect(audit.after).toMatchObject({ restored: original, backupOfCurrent: current, tradingStateInBackup: 'ACTIVE', replacedAuditHead: { seq: expect.any(String) } });
    // The chain of the restored database goes on from the backup's rows.
    expect((await rt.deps.prisma.auditLog.findMany({ orderBy: { seq: 'asc' }, select: { action: true } })).map((a) => a.action)).toEqual(['trading.resume', 'trading.halt', 'recover.from-backup']);
  });
});
