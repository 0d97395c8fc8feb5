// The audit log's hash chain in Postgres: every writer (Prisma, SQL, several connections at once) extends one
// gap-free chain; UPDATE, DELETE and TRUNCATE are refused; the canonical text built in Node equals the trigger's;
// verify finds a changed row, a deleted row, a rewritten or cut tail (with a recorded head) and an unchained row,
// each at the right seq; and the migration chains the rows that existed before it.
import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestRuntime, type TestRuntime } from '@ai-trader/adapters/testing';
import { AUDIT_GENESIS_HASH, AUDIT_PIECES_SQL, auditCanonicalText, auditChainStatus, auditRowHash, verifyAndRecordAuditChain, verifyAuditChain } from '@ai-trader/core';
import { dropDatabase, parseDatabaseUrl, withDatabase } from '../packages/db/src/migrate/database-url.ts';
import { DEFAULT_MIGRATIONS_DIR, migrateDeploy } from '../packages/db/src/migrate/engine.ts';

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** Runs SQL with the triggers off, as an attacker with superuser could (the test connection is one). */
const tamper = (url: string, sql: string, params: unknown[] = []) =>
  withClient(url, async (c) => {
    await c.query('SET session_replication_role = replica');
    await c.query(sql, params);
  });

const insert = (c: pg.Client | pg.Pool, action: string, reason: string | null = null) =>
  c.query(`INSERT INTO audit_log ("actorEmail", action, reason, after) VALUES ('sql@example.com', $1, $2, '{"n": 1}')`, [action, reason]);

describe('audit chain', () => {
  let rt: TestRuntime;
  let url: string;

  beforeAll(async () => {
    rt = await createTestRuntime('auditchain');
    url = rt.config.DATABASE_URL;
  });
  afterAll(async () => {
    await rt?.cleanup();
  });
  // Each test starts from an empty, intact chain: the table is append-only, so emptying it needs the triggers off.
  afterEach(async () => {
    await withClient(url, async (c) => {
      await c.query('SET session_replication_role = replica');
      await c.query('DELETE FROM audit_log');
    });
  });

  it('chains rows from Prisma (unchanged create calls) and SQL, ignoring the values a writer passes for the chain', async () => {
    const a = await rt.deps.prisma.auditLog.create({ data: { actorId: 'u1', actorEmail: 'ops@example.com', action: 'trading.halt', reason: 'desk', before: { s: 'ACTIVE' }, after: { s: 'HALTED' } } });
    await rt.deps.pool.query(`INSERT INTO audit_log ("actorEmail", action, seq, "prevHash", hash) VALUES ('x@example.com', 'forged', 99, 'f', 'f')`);
    const rows = (await rt.deps.pool.query<{ seq: string; prevHash: string; hash: string; action: string }>('SELECT seq::text, "prevHash", hash, action FROM audit_log ORDER BY audit_log.seq')).rows;
    expect(a.seq).toBe(1n);
    expect(a.prevHash).toBe(AUDIT_GENESIS_HASH);
    expect(a.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(rows.map((r) => [r.seq, r.action])).toEqual([['1', 'trading.halt'], ['2', 'forged']]);
    expect(rows[1]!.prevHash).toBe(rows[0]!.hash);
    expect(rows[1]!.hash).not.toBe('f');
    const v = await verifyAuditChain(rt.deps);
    expect(v).toMatchObject({ rows: 2, intact: true, firstBreak: null, breakCount: 0, head: { seq: '2', hash: rows[1]!.hash } });
  });

  it('builds the same canonical text in Node as the trigger in Postgres (unicode, NULL vs empty, nested JSON)', async () => {
    const tricky = [
      { actorId: null, actorEmail: 'élodie@exemple.fr', action: 'strategy.update', reason: '', before: null, after: { 'z': [1, 2.50, 'ü'], 'a': { 'b': null } } },
      { actorId: '', actorEmail: 'a|3:b', action: 'x', reason: 'line\nbreak\t"quoted" \\ back', before: { k: 'v' }, after: null },
      { actorId: 'u', actorEmail: '日本@example.jp', action: 'model.activate', reason: '🚀 emoji', before: [], after: 'just a string' },
    ];
    for (const t of tricky) await rt.deps.prisma.auditLog.create({ data: { ...t, before: t.before ?? undefined, after: t.after ?? undefined } as never });
    await rt.deps.pool.query(`INSERT INTO audit_log (at, "actorEmail", action) VALUES ('2025-06-04 10:00:00.123456-04', 'us@example.com', 'micro')`);
    const { rows } = await rt.deps.pool.query<string[]>({
      text: `SELECT ${AUDIT_PIECES_SQL}, audit_log_canonical("prevHash", seq, at, "actorId", "actorEmail", action, reason, before, after) FROM audit_log ORDER BY audit_log.seq`,
      rowMode: 'array',
    });
    expect(rows).toHaveLength(4);
    for (const r of rows) {
      const pieces = { prevHash: r[3]!, seq: r[0]!, atMs: r[2]!, actorId: r[5] ?? null, actorEmail: r[6]!, action: r[7]!, reason: r[8] ?? null, before: r[9] ?? null, after: r[10] ?? null };
      expect(auditCanonicalText(pieces)).toBe(r[11]);
      expect(auditRowHash(pieces)).toBe(r[4]);
    }
    // NULL and '' are different rows: the same content with reason '' instead of NULL has another hash.
    const base = { prevHash: AUDIT_GENESIS_HASH, seq: '1', atMs: '0', actorId: null, actorEmail: 'e', action: 'a', before: null, after: null };
    expect(auditRowHash({ ...base, reason: null })).not.toBe(auditRowHash({ ...base, reason: '' }));
    expect((await verifyAuditChain(rt.deps)).intact).toBe(true);
  });

  it('forms one gap-free chain from concurrent writers on several connections, and a rolled-back insert leaves no gap', async () => {
    const writers = 6, each = 40;
    const clients = await Promise.all(Array.from({ length: writers }, async () => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      return c;
    }));
    try {
      await Promise.all([
        ...clients.map(async (c, w) => {
          for (let i = 0; i < each; i++) {
            if (i % 10 === 3) {
              // A transaction that writes and then rolls back must not consume a seq.
              await c.query('BEGIN');
              await insert(c, `rolled-back.${w}`);
              await c.query('ROLLBACK');
            } else await insert(c, `writer.${w}`, String(i));
          }
        }),
        (async () => {
          for (let i = 0; i < each; i++) await rt.deps.prisma.auditLog.create({ data: { actorEmail: 'prisma@example.com', action: 'writer.prisma', reason: String(i) } });
        })(),
      ]);
    } finally {
      await Promise.all(clients.map((c) => c.end()));
    }
    const expected = writers * (each - each / 10) + each;
    const { rows } = await rt.deps.pool.query<{ n: string; min: string; max: string; rb: string }>(
      `SELECT count(*)::text AS n, min(seq)::text AS min, max(seq)::text AS max, count(*) FILTER (WHERE action LIKE 'rolled-back.%')::text AS rb FROM audit_log`);
    expect(rows[0]).toEqual({ n: String(expected), min: '1', max: String(expected), rb: '0' });
    const v = await verifyAuditChain(rt.deps);
    expect(v).toMatchObject({ rows: expected, intact: true, breakCount: 0, head: { seq: String(expected) } });
  });

  it('refuses UPDATE, DELETE and TRUNCATE, even for the owner and even when no row matches', async () => {
    await insert(rt.deps.pool, 'trading.halt', 'original');
    for (const sql of ["UPDATE audit_log SET reason = 'changed'", 'DELETE FROM audit_log', 'DELETE FROM audit_log WHERE id < 0', 'TRUNCATE audit_log']) {
      await expect(rt.deps.pool.query(sql), sql).rejects.toThrow(/audit_log is append-only: (UPDATE|DELETE|TRUNCATE) refused/);
    }
    await expect(rt.deps.prisma.auditLog.update({ where: { seq: 1n }, data: { reason: 'changed' } })).rejects.toThrow(/append-only/);
    await expect(rt.deps.prisma.auditLog.deleteMany({})).rejects.toThrow(/append-only/);
    expect((await rt.deps.pool.query('SELECT reason FROM audit_log')).rows).toEqual([{ reason: 'original' }]);
    const grants = await rt.deps.pool.query<{ privilege_type: string }>(
      `SELECT privilege_type FROM information_schema.role_table_grants WHERE table_name = 'audit_log' AND grantee = 'PUBLIC'`);
    expect(grants.rows).toEqual([]);
  });

  it('the app role of ARCHITECTURE.md inserts (and so chains) but may not change rows or switch the triggers off', async () => {
    const role = `aitrader_app_${randomBytes(4).toString('hex')}`;
    await withClient(url, async (c) => {
      await c.query(`CREATE ROLE ${role} NOLOGIN`);
      try {
        await c.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${role}`);
        await c.query(`GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO ${role}`);
        await c.query(`REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM ${role}`);
        await c.query(`SET ROLE ${role}`);
        await insert(c, 'as.app', 'one');
        await insert(c, 'as.app', 'two');
        await expect(c.query(`UPDATE audit_log SET reason = 'x'`)).rejects.toThrow('permission denied for table audit_log');
        await expect(c.query('DELETE FROM audit_log')).rejects.toThrow('permission denied for table audit_log');
        await expect(c.query('SET session_replication_role = replica')).rejects.toThrow(/permission denied to set parameter/);
        await expect(c.query('ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only')).rejects.toThrow(/must be owner/);
        await c.query(`UPDATE positions SET qty = qty WHERE false`); // other tables keep their rights
      } finally {
        await c.query('RESET ROLE');
        await c.query(`DROP OWNED BY ${role}`);
        await c.query(`DROP ROLE ${role}`);
      }
    });
    expect(await verifyAuditChain(rt.deps)).toMatchObject({ rows: 2, intact: true });
  });

  it('finds a changed row as hash_mismatch at its seq, and keeps the result for the console', async () => {
    for (let i = 1; i <= 10; i++) await insert(rt.deps.pool, 'trading.halt', `reason ${i}`);
    expect((await verifyAuditChain(rt.deps)).intact).toBe(true);
    const id = (await rt.deps.pool.query<{ id: string }>('SELECT id::text FROM audit_log WHERE seq = 6')).rows[0]!.id;
    await tamper(url, `UPDATE audit_log SET reason = 'nothing to see' WHERE seq = 6`);
    const v = await verifyAndRecordAuditChain(rt.deps, { verifiedBy: 'test' });
    expect(v.intact).toBe(false);
    expect(v.breakCount).toBe(1);
    expect(v.firstBreak).toMatchObject({ seq: '6', id, kind: 'hash_mismatch' });
    expect(v.firstBreak!.detail).toContain(`row id ${id} (trading.halt) no longer matches its hash`);
    const status = await auditChainStatus(rt.deps);
    expect(status).toMatchObject({ last: { intact: false, firstBreak: { seq: '6' }, verifiedBy: 'test' }, headSeq: '10', rowsSinceVerified: 0 });
    await insert(rt.deps.pool, 'later');
    expect((await auditChainStatus(rt.deps)).rowsSinceVerified).toBe(1);
  });

  it('finds a deleted row as a gap at its seq, and a deletion with the later rows renumbered as prev_mismatch', async () => {
    for (let i = 1; i <= 8; i++) await insert(rt.deps.pool, 'order.cancel', `r${i}`);
    await tamper(url, 'DELETE FROM audit_log WHERE seq = 4');
    let v = await verifyAuditChain(rt.deps);
    expect(v).toMatchObject({ rows: 7, intact: false, breakCount: 1, firstBreak: { seq: '4', id: null, kind: 'gap' } });
    expect(v.firstBreak!.detail).toMatch(/^seq 4 is missing: deleted; the next row is seq 5 \(id \d+\)$/);
    // Covering the hole by renumbering: the link from the row after it no longer holds.
    await tamper(url, 'UPDATE audit_log SET seq = seq - 1 WHERE seq > 4');
    v = await verifyAuditChain(rt.deps);
    expect(v.firstBreak).toMatchObject({ seq: '4', kind: 'prev_mismatch' });
    expect(v.breakCount).toBe(5); // seq 4's link, and the content of the 4 renumbered rows (seq is hashed)
  });

  it('needs a recorded head to see a rewritten or cut tail; finds rows written with the triggers off', async () => {
    for (let i = 1; i <= 5; i++) await insert(rt.deps.pool, 'strategy.update', `v${i}`);
    const head = (await verifyAuditChain(rt.deps)).head!;
    expect(head.seq).toBe('5');
    // The attacker rewrites the last row AND its hash, consistently: the chain alone cannot tell.
    const last = (await rt.deps.pool.query<string[]>({ text: `SELECT ${AUDIT_PIECES_SQL} FROM audit_log WHERE seq = 5`, rowMode: 'array' })).rows[0]!;
    const forged = auditRowHash({ prevHash: last[3]!, seq: '5', atMs: last[2]!, actorId: null, actorEmail: last[6]!, action: last[7]!, reason: 'forged', before: null, after: last[10]! });
    await tamper(url, `UPDATE audit_log SET reason = 'forged', hash = $1 WHERE seq = 5`, [forged]);
    expect((await verifyAuditChain(rt.deps)).intact).toBe(true);
    const v = await verifyAuditChain(rt.deps, { head });
    expect(v).toMatchObject({ intact: false, firstBreak: { seq: '5', kind: 'head_mismatch' } });
    // Cutting the tail instead.
    await tamper(url, 'DELETE FROM audit_log WHERE seq >= 4');
    const cut = await verifyAuditChain(rt.deps, { head });
    expect(cut.firstBreak).toMatchObject({ seq: '5', kind: 'head_mismatch' });
    expect(cut.firstBreak!.detail).toContain('it ends at seq 3');
    // A row slipped in with the triggers off has no chain position.
    await tamper(url, `INSERT INTO audit_log ("actorEmail", action) VALUES ('x@example.com', 'slipped.in')`);
    const u = await verifyAuditChain(rt.deps);
    expect(u.firstBreak).toMatchObject({ seq: '0', kind: 'unchained' });
  });
});

describe('audit chain migration', () => {
  const base = process.env.TEST_DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/postgres';
  const name = `aitrader_auditmig_${randomBytes(6).toString('hex')}`;
  const oldUrl = withDatabase(base, name);
  let dir: string | null = null;
  afterAll(async () => {
    await dropDatabase(parseDatabaseUrl(base), name);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('chains the rows that existed before it, in id order', async () => {
    // A database with only the migrations before audit_chain, rows written the old way, then the rest.
    dir = mkdtempSync(path.join(os.tmpdir(), 'aitrader-audit-mig-'));
    const names = readdirSync(DEFAULT_MIGRATIONS_DIR).filter((n) => /^\d{14}_/.test(n)).sort();
    const chain = names.findIndex((n) => n.endsWith('_audit_chain'));
    expect(chain).toBeGreaterThan(0);
    for (const n of names.slice(0, chain)) cpSync(path.join(DEFAULT_MIGRATIONS_DIR, n), path.join(dir, n), { recursive: true });
    cpSync(path.join(DEFAULT_MIGRATIONS_DIR, 'migration_lock.toml'), path.join(dir, 'migration_lock.toml'));
    await migrateDeploy({ databaseUrl: oldUrl, migrationsDir: dir });
    await withClient(oldUrl, async (c) => {
      for (let i = 1; i <= 5; i++)
        await c.query(`INSERT INTO audit_log (at, "actorEmail", action, reason, before) VALUES (now() - $1::interval, 'old@example.com', 'trading.halt', $2, '{"x": 1}')`, [`${10 - i} minutes`, `old ${i}`]);
      await c.query(`UPDATE audit_log SET reason = 'still editable before the upgrade' WHERE id = 5`);
    });
    await migrateDeploy({ databaseUrl: oldUrl });
    const rows = await withClient(oldUrl, (c) => c.query<{ id: string; seq: string; reason: string }>('SELECT id::text, seq::text, reason FROM audit_log ORDER BY audit_log.seq').then((r) => r.rows));
    expect(rows.map((r) => [r.id, r.seq])).toEqual([1, 2, 3, 4, 5].map((i) => [String(i), String(i)]));
    const pool = new pg.Pool({ connectionString: oldUrl });
    try {
      await insert(pool, 'after.upgrade');
      const v = await verifyAuditChain({ pool, clock: { now: () => new Date() } as never });
      expect(v).toMatchObject({ rows: 6, intact: true, head: { seq: '6' } });
      await expect(pool.query(`UPDATE audit_log SET reason = 'x' WHERE id = 1`)).rejects.toThrow(/append-only/);
    } finally {
      await pool.end();
    }
  });
});
