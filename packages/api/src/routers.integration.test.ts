// The tRPC procedures over the real runtime: roles are enforced on the server, HALT/RESUME write audit
// rows with who/what/before/after, and bad input is refused with a message saying what is wrong.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRuntime, type TestRuntime } from '@ai-trader/adapters/testing';
import type { TActor } from '@ai-trader/contracts';
import { dec, decStr, toEt } from '@ai-trader/domain';
import { LiveHub } from './live-hub.ts';
import { appRouter } from './root.ts';
import { hashPassword } from 'better-auth/crypto';
import { createAuth, upsertPasswordUser } from './auth.ts';

const ADMIN_PASSWORD = 'admin-password-for-tests';

describe('tRPC procedures', () => {
  let rt: TestRuntime;
  let live: LiveHub;
  const caller = (actor: TActor | null) => appRouter.createCaller({ deps: rt.deps, live, actor });
  const admin: TActor = { id: 'a1', email: 'admin@example.com', role: 'admin' };
  const trader: TActor = { id: 't1', email: 'trader@example.com', role: 'trader' };
  const viewer: TActor = { id: 'v1', email: 'viewer@example.com', role: 'viewer' };

  beforeAll(async () => {
    rt = await createTestRuntime('api');
    live = new LiveHub(rt.config.REDIS_URL, rt.config.REDIS_PREFIX);
    // The admin exists with a password (resume asks for it again); made in SQL so no audit row is written.
    await rt.deps.prisma.user.create({ data: { id: admin.id, email: admin.email, name: 'Admin', role: 'admin', emailVerified: true } });
    await rt.deps.prisma.account.create({ data: { id: 'acc-a1', userId: admin.id, accountId: admin.id, providerId: 'credential', password: await hashPassword(ADMIN_PASSWORD) } });
  });
  afterAll(async () => {
    await live?.close();
    await rt?.cleanup();
  });

  it('refuses anonymous callers and enforces roles', async () => {
    await expect(caller(null).overview.get()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    await expect(caller(viewer).trading.halt({ reason: 'viewer tries' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(caller(trader).trading.resume({ reason: 'trader tries', password: 'x' })).rejects.toMatchObject({ code: 'FORBIDDEN', message: 'needs the admin role (you are trader)' });
    expect((await caller(viewer).overview.get()).tradingState.state).toBe('ACTIVE');
  });

  it('rejects a reason that is too short, saying so, and changes nothing', async () => {
    await expect(caller(trader).trading.halt({ reason: ' ' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect((await caller(viewer).overview.get()).tradingState.state).toBe('ACTIVE');
    expect(await rt.deps.prisma.auditLog.count()).toBe(0);
  });

  it('halts (trader) and resumes (admin), each audited with before and after', async () => {
    const r = await caller(trader).trading.halt({ reason: 'desk says stop' });
    expect(r).toEqual({ state: 'HALTED', changed: true, canceledOrders: [], stillOpen: [] });
    expect((await caller(viewer).overview.get()).tradingState).toMatchObject({ state: 'HALTED', changedBy: 'trader@example.com', reason: 'desk says stop' });
    await caller(admin).trading.resume({ reason: 'all clear', password: ADMIN_PASSWORD });
    const audit = await caller(viewer).audit.list({ limit: 10 });
    expect(audit.map((a) => [a.action, a.actorEmail, a.reason])).toEqual([
      ['trading.resume', 'admin@example.com', 'all clear'],
      ['orders.cancel-all', 'trader@example.com', 'desk says stop'],
      ['trading.halt', 'trader@example.com', 'desk says stop'],
    ]);
    expect(audit[2]!.before).toMatchObject({ tradingState: { state: 'ACTIVE' } });
    expect(audit[2]!.after).toMatchObject({ tradingState: { state: 'HALTED' } });
    expect(audit[0]!.after).toMatchObject({ tradingState: { state: 'ACTIVE', changedBy: 'admin@example.com' } });
  });

  it('stops entries (trader, audited); never loosens a HALT; viewers cannot', async () => {
    await expect(caller(viewer).trading.stopEntries({ reason: 'viewer tries' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(await caller(trader).trading.stopEntries({ reason: 'earnings at noon' })).toEqual({ state: 'REDUCING', changed: true });
    expect((await caller(viewer).overview.get()).tradingState).toMatchObject({ state: 'REDUCING', changedBy: 'trader@example.com', reason: 'earnings at noon' });
    const [row] = await caller(viewer).audit.list({ limit: 1 });
    expect(row).toMatchObject({ action: 'trading.stop-entries', actorEmail: 'trader@example.com' });
    await caller(trader).trading.halt({ reason: 'now stop everything' });
    await expect(caller(trader).trading.stopEntries({ reason: 'would loosen' })).rejects.toMatchObject({ code: 'FORBIDDEN', message: expect.stringContaining('HALTED') });
    expect((await caller(viewer).overview.get()).tradingState.state).toBe('HALTED');
    await caller(admin).trading.resume({ reason: 'back to normal', password: ADMIN_PASSWORD });
  });

  it('overview: day P&L from the first snapshot of the day, exposure, the equity curve with drawdown, health and freshness', async () => {
    const p = rt.deps.prisma;
    const day = toEt(new Date()).date;
    const at = (minAgo: number) => new Date(Date.now() - minAgo * 60_000);
    // Snapshots as the breakers job writes them: the peak 101 000, then down to 99 990 (1 % under it).
    for (const [m, equity, peak] of [[30, '100000', '100000'], [20, '101000', '101000'], [10, '99990', '101000']] as const)
      await p.equitySnapshot.create({ data: { at: at(m), day, equity, cash: equity, peak, dayStart: '100000' } });
    const o = await caller(viewer).overview.get();
    expect(o.equityCurve.map((x) => [x.equity, x.drawdownPct])).toEqual([['100000', 0], ['101000', 0], ['99990', 1]]);
    expect(o.dayPnl).toBe(decStr(dec(o.equity).minus(100000))); // equity (cash, no positions) less the day's first equity
    expect(o.exposure).toEqual({ gross: '0', net: '0' });
    expect(Object.keys(o.health.components)).toEqual(expect.arrayContaining(['postgres', 'redis', 'worker.execution', 'feed']));
    expect(o.freshness).toMatchObject({ symbols: 0, stale: [], oldestAgeSeconds: null });
  });

  it('signs in the seeded user through better-auth and never stores the password in clear', async () => {
    const auth = createAuth({ prisma: rt.deps.prisma, secret: 'x'.repeat(40), limits: rt.config, baseURL: 'http://localhost:3000' });
    await upsertPasswordUser(rt.deps.prisma, { email: 'Ops@Example.com', name: 'Ops', password: 'correct-horse-battery', role: 'trader' });
    const ok = await auth.api.signInEmail({ body: { email: 'ops@example.com', password: 'correct-horse-battery' }, asResponse: true });
    expect(ok.status).toBe(200);
    const bad = await auth.api.signInEmail({ body: { email: 'ops@example.com', password: 'wrong-password-here' }, asResponse: true });
    expect(bad.status).toBe(401);
    const acct = await rt.deps.prisma.account.findFirstOrThrow({ where: { user: { email: 'ops@example.com' } } });
    expect(acct.password).not.toContain('correct-horse');
    await expect(upsertPasswordUser(rt.deps.prisma, { email: 'x@example.com', name: 'X', password: 'short', role: 'viewer' })).rejects.toThrow(/at least 12/);
  });
});
