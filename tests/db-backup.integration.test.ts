// Backup and restore round trip: the restored database has the same rows as the one backed up — row counts and
// checksums of every table compared here with SQL of our own — and restore refuses a database that is not empty
// unless forced (then the old one is backed up first), and a dump that does not match its manifest.
import { randomBytes } from 'node:crypto';
import { copyFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRuntime, type TestRuntime } from '@ai-trader/adapters/testing';
import { ingestBar, keys, raiseAlert, restoreBackup, takeBackup } from '@ai-trader/core';
import { loadBars, userTables, withDatabase } from '@ai-trader/db';
import type { TBar } from '@ai-trader/contracts';
import { runCli } from './helpers/processes.ts';

const bars = (symbol: string, n: number): TBar[] =>
  Array.from({ length: n }, (_, i) => ({ symbol, timeframe: '5m' as const, ts: new Date(Date.parse('2025-06-02T13:30:00Z') + i * 300_000).toISOString(), open: '10.5', high: '11', low: '10', close: `10.${i % 10}`, volume: String(100 + i), source: 'test' }));

/** Per table: rows and md5 of all rows' text in a fixed order — computed in SQL, independent of the product's fingerprint. */
async function contents(url: string): Promise<Record<string, { rows: number; md5: string | null }>> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(`SET TimeZone = 'UTC'`);
    const out: Record<string, { rows: number; md5: string | null }> = {};
    for (const t of await userTables(c)) {
      const q = t.split('.').map((p) => `"${p}"`).join('.');
      const r = await c.query<{ rows: number; md5: string | null }>(`SELECT count(*)::int AS rows, md5(string_agg(x::text, E'\\n' ORDER BY x::text)) AS md5 FROM ${q} x`);
      out[t] = r.rows[0]!;
    }
    return out;
  } finally {
    await c.end();
  }
}

describe('db backup / restore', () => {
  let rt: TestRuntime;
  let dir: string;
  let target: string;
  const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/postgres' });
  let file: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'ait-backup-'));
    rt = await createTestRuntime('dbbackup', { BACKUP_DIR: dir });
    await loadBars(rt.deps.pool, '5m', [[...bars('SPY', 40), ...bars('QQQ', 25)]]);
    await ingestBar(rt.deps, { ...bars('AAPL', 1)[0]!, ts: '2032-01-05T15:00:00Z' }); // waits in DEFAULT
    await raiseAlert(rt.deps, { key: 'test.backup', level: 'info', source: 'test', message: 'a row with jsonb', details: { a: [1, 2], b: 'ü' } });
    await rt.deps.prisma.auditLog.create({ data: { actorEmail: 'test@example.com', action: 'test.backup', reason: 'chained by the trigger', after: { x: 1 } } });
    await admin.connect();
    const name = `aitrader_restore_${randomBytes(5).toString('hex')}`;
    await admin.query(`CREATE DATABASE ${name}`);
    target = withDatabase(rt.config.DATABASE_URL, name);
  });
  afterAll(async () => {
    if (target) await admin.query(`DROP DATABASE IF EXISTS ${new URL(target).pathname.slice(1)} WITH (FORCE)`).catch(() => undefined);
    await admin.end().catch(() => undefined);
    await rt?.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  it('backs up into BACKUP_DIR with a time-stamped name and a manifest, and restores into an empty database identically', async () => {
    const b = await takeBackup(rt.deps);
    file = b.path;
    expect(path.basename(file)).toMatch(/^aitrader_dbbackup_[0-9a-f]+-\d{8}T\d{6}Z\.dump$/);
    expect((await stat(file)).size).toBe(b.bytes);
    const manifest = JSON.parse(await readFile(`${file}.manifest.json`, 'utf8')) as { sha256: string; tables: Record<string, { rows: number }> };
    expect(manifest.sha256).toBe(b.sha256);
    expect(manifest.tables['public.market_data_5m_m2025_06']!.rows).toBe(65);
    expect(manifest.tables['public.market_data_5m_default']!.rows).toBe(1);
    expect(JSON.parse((await rt.deps.redis.get(keys(rt.config.REDIS_PREFIX).dbLastBackup))!)).toMatchObject({ file, sha256: b.sha256 });

    const r = await restoreBackup(rt.deps, { file, databaseUrl: target });
    expect(r).toMatchObject({ verified: true, safetyBackup: null });
    const [source, restored] = await Promise.all([contents(rt.config.DATABASE_URL), contents(target)]);
    expect(Object.keys(restored).length).toBeGreaterThan(30);
    expect(restored).toEqual(source);
    expect(restored['public.audit_log']!.rows).toBe(1);
    expect(r.rows).toBe(Object.values(source).reduce((s, t) => s + t.rows, 0));
  });

  it('refuses a database that is not empty without --force; with it, backs that one up first and replaces it', async () => {
    const env = { DATABASE_URL: target, REDIS_URL: rt.config.REDIS_URL, REDIS_PREFIX: rt.config.REDIS_PREFIX, BACKUP_DIR: dir, LOG_LEVEL: 'warn' };
    const refused = await runCli(['db', 'restore', file], env);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/^error: database aitrader_restore_[0-9a-f]+ is not empty \(\d+ tables, sequences or views\): restore refuses to overwrite it; add --force/);

    const c = new pg.Client({ connectionString: target });
    await c.connect();
    await c.query(`INSERT INTO market_data_5m (symbol, ts, open, high, low, close, volume, source) VALUES ('ZZZ', '2025-06-02T13:30:00Z', 1, 1, 1, 1, 1, 'extra')`);
    await c.end();
    const r = await restoreBackup(rt.deps, { file, databaseUrl: target, force: true });
    expect(r.verified).toBe(true);
    expect(r.safetyBackup).toMatch(/aitrader_restore_[0-9a-f]+-\d{8}T\d{6}Z\.dump$/);
    expect(await contents(target)).toEqual(await contents(rt.config.DATABASE_URL)); // the extra row is gone
  });

  it('refuses a dump that does not match its manifest, before touching the database', async () => {
    const bad = path.join(dir, 'damaged.dump');
    await copyFile(file, bad);
    await copyFile(`${file}.manifest.json`, `${bad}.manifest.json`);
    const bytes = await readFile(bad);
    bytes[bytes.length - 10] = bytes[bytes.length - 10]! ^ 0xff;
    await writeFile(bad, bytes);
    await expect(restoreBackup(rt.deps, { file: bad, databaseUrl: target, force: true })).rejects.toThrow(`${bad} does not match its manifest`);
    await expect(restoreBackup(rt.deps, { file: path.join(dir, 'nope.dump'), databaseUrl: target })).rejects.toThrow('nope.dump: no such file');
  });
});
