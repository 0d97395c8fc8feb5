// The audit trail through tRPC and better-auth: filtered pages and paging by seq, the CSV export, the chain status
// (viewers read the last verification, only admins start one) and the auth events (sign-in, failure, sign-out and
// account changes) written as chained audit rows without the password.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRuntime, type TestRuntime } from '@ai-trader/adapters/testing';
import type { TActor } from '@ai-trader/contracts';
import { auditCsv, verifyAuditChain } from '@ai-trader/core';
import { createAuth, upsertPasswordUser } from '../auth.ts';
import { LiveHub } from '../live-hub.ts';
import { appRouter } from '../root.ts';

describe('audit router and auth events', () => {
  let rt: TestRuntime;
  let live: LiveHub;
  const caller = (actor: TActor | null) => appRouter.createCaller({ deps: rt.deps, live, actor });
  const admin: TActor = { id: 'a1', email: 'admin@example.com', role: 'admin' };
  const viewer: TActor = { id: 'v1', email: 'viewer@example.com', role: 'viewer' };
  const at = (iso: string) => new Date(iso);

  beforeAll(async () => {
    rt = await createTestRuntime('auditapi');
    live = new LiveHub(rt.config.REDIS_URL, rt.config.REDIS_PREFIX);
    const rows = [
      { at: at('2025-06-03T15:00:00Z'), actorEmail: 'ops@example.com', action: 'trading.halt', reason: 'desk says stop', before: { s: 'ACTIVE' }, after: { s: 'HALTED' } },
      { at: at('2025-06-04T14:00:00Z'), actorEmail: 'ops@example.com', action: 'trading.resume', reason: 'all clear, "quoted", and a comma' },
      { at: at('2025-06-04T20:00:00Z'), actorEmail: 'cli:root@host', action: 'strategy.update', reason: '=HYPERLINK("http://x")' },
      { at: at('2025-06-05T03:30:00Z'), actorEmail: 'Risk@Example.com', action: 'order.cancel', reason: 'late evening (New York: June 4th)' },
    ];
    for (const r of rows) await rt.deps.prisma.auditLog.create({ data: r });
  });
  afterAll(async () => {
    await live?.close();
    await rt?.cleanup();
  });

  it('filters by actor (prefix, any case), action prefix and New York dates, newest first, paged by seq', async () => {
    const page = (filter: object, limit = 50, cursor?: string) => caller(viewer).audit.page({ filter, limit, cursor });
    expect((await page({})).rows.map((r) => r.seq)).toEqual(['4', '3', '2', '1']);
    expect((await page({ actor: 'OPS@' })).rows.map((r) => r.action)).toEqual(['trading.resume', 'trading.halt']);
    expect((await page({ actor: 'risk@' })).rows.map((r) => r.actorEmail)).toEqual(['Risk@Example.com']);
    expect((await page({ actionPrefix: 'trading.' })).rows.map((r) => r.seq)).toEqual(['2', '1']);
    expect((await page({ actionPrefix: 'trading.r' })).rows.map((r) => r.action)).toEqual(['trading.resume']);
    // 2025-06-04 in New York is 04:00Z on the 4th to 04:00Z on the 5th: the 03:30Z row belongs to the 4th.
    expect((await page({ from: '2025-06-04', to: '2025-06-04' })).rows.map((r) => r.seq)).toEqual(['4', '3', '2']);
    expect((await page({ from: '2025-06-05' })).rows).toEqual([]);
    const first = await page({}, 3);
    expect(first.rows.map((r) => r.seq)).toEqual(['4', '3', '2']);
    expect(first.nextCursor).toBe('2');
    const second = await page({}, 3, first.nextCursor!);
    expect(second).toMatchObject({ rows: [{ seq: '1', reason: 'desk says stop', before: { s: 'ACTIVE' }, after: { s: 'HALTED' } }], nextCursor: null });
    expect(second.rows[0]!.hash).toMatch(/^[0-9a-f]{64}$/);
    await expect(page({ from: '2025-06-05', to: '2025-06-04' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(caller(null).audit.page({})).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });

  it('exports the filtered rows as CSV: quoted where needed, formulas defused, jsonb as stored, truncation said', async () => {
    const r = await caller(viewer).audit.exportCsv({ filter: { actionPrefix: 'trading.' } });
    const lines = r.csv.trimEnd().split('\r\n');
    expect(r).toMatchObject({ rows: 2, truncated: false });
    expect(lines[0]).toBe('seq,id,at_utc,actor_id,actor_email,action,reason,before,after,prev_hash,hash');
    expect(lines[1]).toMatch(/^2,\d+,2025-06-04T14:00:00\.000Z,,ops@example\.com,trading\.resume,"all clear, ""quoted"", and a comma",,,[0-9a-f]{64},[0-9a-f]{64}$/);
    expect(lines[2]).toContain(',desk says stop,"{""s"": ""ACTIVE""}","{""s"": ""HALTED""}",');
    const formula = await caller(viewer).audit.exportCsv({ filter: { actionPrefix: 'strategy.' } });
    expect(formula.csv).toContain(`,"'=HYPERLINK(""http://x"")",`);
    const cut = await auditCsv(rt.deps, {}, 3);
    expect(cut).toMatchObject({ rows: 3, truncated: true });
    expect(cut.csv.trimEnd().split('\r\n')).toHaveLength(4);
  });

  it('shows the last verification to viewers; only admins verify; a broken chain says where', async () => {
    expect(await caller(viewer).audit.status()).toEqual({ last: null, headSeq: '4', rowsSinceVerified: null });
    await expect(caller(viewer).audit.verify()).rejects.toMatchObject({ code: 'FORBIDDEN' });
    const ok = await caller(admin).audit.verify();
    expect(ok).toMatchObject({ rows: 4, intact: true, head: { seq: '4' }, verifiedBy: 'admin@example.com' });
    expect(await caller(viewer).audit.status()).toMatchObject({ last: { intact: true, verifiedBy: 'admin@example.com' }, rowsSinceVerified: 0 });

    const c = new pg.Client({ connectionString: rt.config.DATABASE_URL });
    await c.connect();
    try {
      await c.query('SET session_replication_role = replica');
      await c.query(`UPDATE audit_log SET reason = 'nothing happened' WHERE seq = 2`);
    } finally {
      await c.end();
    }
    const broken = await caller(admin).audit.verify();
    expect(broken).toMatchObject({ intact: false, firstBreak: { seq: '2', kind: 'hash_mismatch' } });
    expect(await caller(viewer).audit.status()).toMatchObject({ last: { intact: false, firstBreak: { seq: '2' } } });
    // Put the row back as it was, so the chain is intact again for the tests after this one.
    const c2 = new pg.Client({ connectionString: rt.config.DATABASE_URL });
    await c2.connect();
    try {
      await c2.query('SET session_replication_role = replica');
      await c2.query(`UPDATE audit_log SET reason = 'all clear, "quoted", and a comma' WHERE seq = 2`);
    } finally {
      await c2.end();
    }
    expect((await verifyAuditChain(rt.deps)).intact).toBe(true);
  });

  it('audits sign-in, failed sign-in and sign-out through better-auth, and account changes, never the password', async () => {
    const password = 'correct-horse-battery-staple';
    const auth = createAuth({ prisma: rt.deps.prisma, secret: 'x'.repeat(40), limits: rt.config, baseURL: 'http://localhost:3000' });
    const { id } = await upsertPasswordUser(rt.deps.prisma, { email: 'Trader@Example.com', name: 'T', password, role: 'trader' });
    await upsertPasswordUser(rt.deps.prisma, { email: 'trader@example.com', name: 'T', password, role: 'admin' }, { id: 'a1', email: 'admin@example.com' });
    const headers = { 'user-agent': 'vitest', 'x-forwarded-for': '203.0.113.7, 10.0.0.1' };
    const bad = await auth.api.signInEmail({ body: { email: 'TRADER@example.com', password: 'wrong-password-123' }, headers, asResponse: true });
    expect(bad.status).toBe(401);
    const ok = await auth.api.signInEmail({ body: { email: 'trader@example.com', password }, headers, asResponse: true });
    expect(ok.status).toBe(200);
    const cookie = ok.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    const out = await auth.api.signOut({ headers: { ...headers, cookie }, asResponse: true });
    expect(out.status).toBe(200);

    const page = await caller(viewer).audit.page({ filter: { actionPrefix: 'auth.' } });
    expect(page.rows.map((r) => [r.action, r.actorId, r.actorEmail, r.reason])).toEqual([
      ['auth.sign-out', id, 'trader@example.com', null],
      ['auth.sign-in', id, 'trader@example.com', null],
      ['auth.sign-in-failed', null, 'trader@example.com', '401 INVALID_EMAIL_OR_PASSWORD'],
    ]);
    expect(page.rows[1]!.after).toEqual({ ip: '203.0.113.7', userAgent: 'vitest' });
    const users = await caller(viewer).audit.page({ filter: { actionPrefix: 'user.' } });
    expect(users.rows.map((r) => [r.action, r.actorEmail, (r.before as { role?: string } | null)?.role ?? null, (r.after as { role: string }).role])).toEqual([
      ['user.update', 'admin@example.com', 'trader', 'admin'],
      ['user.create', 'system:seed', null, 'trader'],
    ]);
    const all = JSON.stringify((await caller(viewer).audit.page({ limit: 200 })).rows);
    expect(all).not.toContain(password);
    expect(all).not.toContain('wrong-password-123');
    expect((await verifyAuditChain(rt.deps)).intact).toBe(true);
  });
});
