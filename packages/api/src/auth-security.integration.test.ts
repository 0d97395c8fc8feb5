// Account security through the real handlers (better-auth's router, our tRPC endpoint) on the real database:
// lockout after N failures, per-IP throttling, disabled accounts, idle and absolute session limits, CSRF on
// every mutation, live streams ending with their session, re-authentication and two-person approval.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRuntime, type TestRuntime } from '@ai-trader/adapters/testing';
import type { TActor } from '@ai-trader/contracts';
import { createAuth, sessionFromHeaders, type Auth } from './auth.ts';
import { handleTrpcRequest } from './http.ts';
import { LiveHub } from './live-hub.ts';
import { appRouter } from './root.ts';
import { addUser, disableUser, setRole, unlockUser } from './users.ts';

const ORIGIN = 'http://localhost:3000';
const PW = { admin: 'admin-password-123', admin2: 'second-admin-pw-456', trader: 'trader-password-789' };

describe('account security', () => {
  let rt: TestRuntime;
  let live: LiveHub;
  let auth: Auth;
  const ids: Record<string, string> = {};
  const seed = { id: null, email: 'system:test' };

  /** POST to better-auth's own handler, as the login page does. */
  const signIn = (email: string, password: string, ip = '198.51.100.1', a: Auth = auth) =>
    a.handler(
      new Request(`${ORIGIN}/api/auth/sign-in/email`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: ORIGIN, 'x-forwarded-for': ip },
        body: JSON.stringify({ email, password }),
      }),
    );
  const cookieOf = (res: Response) => res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const actor = (who: 'admin' | 'admin2' | 'trader'): TActor => ({ id: ids[who]!, email: `${who}@example.com`, role: who === 'trader' ? 'trader' : 'admin' });
  const caller = (a: TActor) => appRouter.createCaller({ deps: rt.deps, live, actor: a });
  const server = () => ({ config: rt.config, runtime: rt, auth, live });
  const trpcPost = (path: string, input: unknown, headers: Record<string, string>) =>
    handleTrpcRequest(server(), new Request(`${ORIGIN}/api/trpc/${path}`, { method: 'POST', headers: { 'content-type': 'application/json', host: 'localhost:3000', ...headers }, body: JSON.stringify({ json: input }) }));
  const actions = async (prefix: string) => (await rt.deps.prisma.auditLog.findMany({ where: { action: { startsWith: prefix } }, orderBy: { seq: 'asc' } })).map((r) => r.action);

  beforeAll(async () => {
    rt = await createTestRuntime('authsec', { AUTH_LOCKOUT_THRESHOLD: '3', AUTH_LOCKOUT_MINUTES: '15', AUTH_IP_SIGN_INS_PER_MINUTE: '20' });
    live = new LiveHub(rt.config.REDIS_URL, rt.config.REDIS_PREFIX);
    auth = createAuth({ prisma: rt.deps.prisma, secret: 'k'.repeat(40), limits: rt.config, baseURL: ORIGIN, trustedOrigins: [ORIGIN] });
    for (const who of ['admin', 'admin2', 'trader'] as const)
      ids[who] = (await addUser(rt.deps.prisma, { email: `${who}@example.com`, name: who, role: who === 'trader' ? 'trader' : 'admin', password: PW[who] }, seed)).id;
  });
  afterAll(async () => {
    await live?.close();
    await rt?.cleanup();
  });

  it('locks an account after the threshold of failures in a row, audits the lockout once, and an admin can unlock it', async () => {
    for (let i = 0; i < 3; i++) expect((await signIn('trader@example.com', `wrong-password-${i}`)).status).toBe(401);
    const locked = await signIn('trader@example.com', PW.trader); // the right password no longer helps
    expect(locked.status).toBe(403);
    expect(await locked.json()).toMatchObject({ code: 'ACCOUNT_LOCKED' });
    expect(await actions('auth.lockout')).toEqual(['auth.lockout']);
    const u = await rt.deps.prisma.user.findUniqueOrThrow({ where: { id: ids.trader } });
    expect(u.lockedUntil!.getTime() - Date.now()).toBeGreaterThan(14 * 60_000);

    await unlockUser(rt.deps.prisma, 'trader@example.com', actor('admin'), 'called the desk, it was them');
    expect((await signIn('trader@example.com', PW.trader)).status).toBe(200);
    // Success resets the count: two more failures do not lock.
    for (let i = 0; i < 2; i++) expect((await signIn('trader@example.com', 'wrong-again-123')).status).toBe(401);
    expect((await signIn('trader@example.com', PW.trader)).status).toBe(200);
    expect(await actions('auth.lockout')).toEqual(['auth.lockout']);
    expect(await actions('user.unlock')).toEqual(['user.unlock']);
  });

  it('throttles sign-in attempts per client IP (429), other IPs unaffected', async () => {
    const strict = createAuth({ prisma: rt.deps.prisma, secret: 'k'.repeat(40), limits: { ...rt.config, AUTH_IP_SIGN_INS_PER_MINUTE: 3 }, baseURL: ORIGIN, trustedOrigins: [ORIGIN] });
    const codes = [];
    for (let i = 0; i < 4; i++) codes.push((await signIn('nobody@example.com', 'whatever-pass-1', '192.0.2.50', strict)).status);
    expect(codes).toEqual([401, 401, 401, 429]);
    expect((await signIn('nobody@example.com', 'whatever-pass-1', '192.0.2.51', strict)).status).toBe(401);
  });

  it('sessions: idle expiry slides with use, the absolute limit ends them, disabled users are refused', async () => {
    const res = await signIn('admin2@example.com', PW.admin2);
    const headers = new Headers({ cookie: cookieOf(res) });
    const s = await sessionFromHeaders(auth, headers);
    expect(s?.actor.email).toBe('admin2@example.com');
    const row = await rt.deps.prisma.session.findUniqueOrThrow({ where: { id: s!.sessionId } });
    const idleMs = row.expiresAt.getTime() - Date.now();
    expect(idleMs).toBeGreaterThan(14 * 60_000); // 15 min idle, not the 8 h maximum
    expect(idleMs).toBeLessThanOrEqual(15 * 60_000);

    // Unused for 15 min: expired.
    await rt.deps.prisma.session.update({ where: { id: s!.sessionId }, data: { expiresAt: new Date(Date.now() - 1000) } });
    expect(await sessionFromHeaders(auth, headers)).toBeNull();

    // Used all day: ends 8 h after sign-in anyway, audited.
    const res2 = await signIn('admin2@example.com', PW.admin2);
    const h2 = new Headers({ cookie: cookieOf(res2) });
    const s2 = await sessionFromHeaders(auth, h2);
    await rt.deps.prisma.session.update({ where: { id: s2!.sessionId }, data: { createdAt: new Date(Date.now() - 8 * 3_600_000 - 1000) } });
    expect(await sessionFromHeaders(auth, h2)).toBeNull();
    expect(await rt.deps.prisma.session.count({ where: { id: s2!.sessionId } })).toBe(0);
    expect(await actions('auth.session-expired')).toEqual(['auth.session-expired']);

    // Disabled: open sessions end, sign-in is refused with a reason.
    const res3 = await signIn('admin2@example.com', PW.admin2);
    const h3 = new Headers({ cookie: cookieOf(res3) });
    expect(await sessionFromHeaders(auth, h3)).not.toBeNull();
    expect(await disableUser(rt.deps.prisma, 'admin2@example.com', actor('admin'), 'left the desk')).toMatchObject({ changed: true, sessionsEnded: 1 });
    expect(await sessionFromHeaders(auth, h3)).toBeNull();
    const refused = await signIn('admin2@example.com', PW.admin2);
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ code: 'ACCOUNT_DISABLED' });
    await rt.deps.prisma.user.update({ where: { id: ids.admin2 }, data: { disabledAt: null } });
  });

  it('refuses a mutation without the CSRF token, with a wrong one, or from another origin; accepts the session token', async () => {
    const res = await signIn('trader@example.com', PW.trader);
    const cookie = cookieOf(res);
    const { csrfToken } = (await sessionFromHeaders(auth, new Headers({ cookie })))!;
    const halt = { reason: 'csrf test' };
    const none = await trpcPost('trading.halt', halt, { cookie, origin: ORIGIN });
    expect(none.status).toBe(403);
    expect(await none.json()).toEqual({ error: 'CSRF token missing or invalid: reload the page' });
    expect((await trpcPost('trading.halt', halt, { cookie, origin: ORIGIN, 'x-csrf-token': csrfToken.slice(1) + 'A' })).status).toBe(403);
    expect((await trpcPost('trading.halt', halt, { cookie, origin: 'http://evil.example', 'x-csrf-token': csrfToken })).status).toBe(403);
    expect((await rt.deps.prisma.tradingStateRow.findUnique({ where: { id: 1 } }))?.state ?? 'ACTIVE').toBe('ACTIVE');
    const ok = await trpcPost('trading.halt', halt, { cookie, origin: ORIGIN, 'x-csrf-token': csrfToken });
    expect(ok.status).toBe(200);
    expect((await rt.deps.prisma.tradingStateRow.findUniqueOrThrow({ where: { id: 1 } })).state).toBe('HALTED');
    // Another session's token is no good here.
    const other = (await sessionFromHeaders(auth, new Headers({ cookie: cookieOf(await signIn('admin@example.com', PW.admin)) })))!;
    expect((await trpcPost('trading.stopEntries', halt, { cookie, origin: ORIGIN, 'x-csrf-token': other.csrfToken })).status).toBe(403);
  });

  it('ends a live stream when its session is signed out', async () => {
    const cookie = cookieOf(await signIn('admin@example.com', PW.admin));
    const s = (await sessionFromHeaders(auth, new Headers({ cookie })))!;
    const res = await handleTrpcRequest(server(), new Request(`${ORIGIN}/api/trpc/trading.stateLive`, { headers: { cookie, accept: 'text/event-stream', host: 'localhost:3000' } }), { streamSessionCheckMs: 100 });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    let got = '';
    while (!got.includes('"state"')) got += new TextDecoder().decode((await reader.read()).value);
    expect(got).toMatch(/"state":"(ACTIVE|HALTED)"/);
    await rt.deps.prisma.session.delete({ where: { id: s.sessionId } });
    const t0 = Date.now();
    for (;;) if ((await reader.read()).done) break;
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('asks for the password again to resume; a wrong one is refused, audited and counts toward the lockout', async () => {
    await expect(caller(actor('admin')).trading.resume({ reason: 'all clear', password: 'not-my-password' })).rejects.toMatchObject({ code: 'UNAUTHORIZED', message: 'wrong password' });
    expect(await actions('auth.reauth-failed')).toEqual(['auth.reauth-failed']);
    expect((await rt.deps.prisma.user.findUniqueOrThrow({ where: { id: ids.admin } })).failedSignIns).toBe(1);
    expect((await rt.deps.prisma.tradingStateRow.findUniqueOrThrow({ where: { id: 1 } })).state).toBe('HALTED');
    const r = await caller(actor('admin')).trading.resume({ reason: 'all clear', password: PW.admin });
    expect(r).toMatchObject({ state: 'ACTIVE', changed: true, pendingApproval: null });
  });

  it('two-person approval: the resume waits for a different admin, runs once, and everything is audited', async () => {
    const a = caller(actor('admin'));
    const b = caller(actor('admin2'));
    await a.trading.halt({ reason: 'approval drill' });
    await a.settings.setTwoPersonApproval({ enabled: true, reason: 'policy for live money', password: PW.admin });
    const asked = await a.trading.resume({ reason: 'drill over', password: PW.admin });
    expect(asked.pendingApproval).not.toBeNull();
    expect((await rt.deps.prisma.tradingStateRow.findUniqueOrThrow({ where: { id: 1 } })).state).toBe('HALTED');
    const id = asked.pendingApproval!.approvalId;
    await expect(a.approvals.decide({ id, approve: true, password: PW.admin })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(caller(actor('trader')).approvals.decide({ id, approve: true, password: PW.trader })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    const [first, second] = await Promise.allSettled([b.approvals.decide({ id, approve: true, password: PW.admin2 }), b.approvals.decide({ id, approve: true, password: PW.admin2 })]);
    const results = [first, second].map((x) => (x.status === 'fulfilled' ? x.value.status : (x.reason as { code: string }).code));
    expect(results.sort()).toEqual(['CONFLICT', 'executed']);
    const state = await rt.deps.prisma.tradingStateRow.findUniqueOrThrow({ where: { id: 1 } });
    expect(state).toMatchObject({ state: 'ACTIVE', changedByEmail: 'admin2@example.com' });
    expect(state.reason).toContain('requested by admin@example.com, approved by admin2@example.com');
    expect(await actions('approval.')).toEqual(['approval.request', 'approval.approve']);
    expect(await actions('settings.')).toEqual(['settings.change']);
    await a.settings.setTwoPersonApproval({ enabled: false, reason: 'drill done', password: PW.admin });
  });

  it('users: no duplicate, nobody changes their own role, the last admin stays', async () => {
    await expect(caller(actor('admin')).users.add({ email: 'TRADER@example.com', name: 'x', role: 'viewer', password: 'long-enough-pass', adminPassword: PW.admin })).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(setRole(rt.deps.prisma, 'admin@example.com', 'viewer', actor('admin'))).rejects.toThrow(/your own role/);
    await setRole(rt.deps.prisma, 'admin2@example.com', 'trader', actor('admin'));
    await expect(setRole(rt.deps.prisma, 'admin@example.com', 'viewer', actor('admin2'))).rejects.toThrow(/last enabled admin/);
    await expect(disableUser(rt.deps.prisma, 'admin@example.com', actor('admin2'), 'try it')).rejects.toThrow(/last enabled admin/);
    const list = await caller(actor('admin')).users.list();
    expect(list.map((u) => [u.email, u.role])).toEqual([['admin2@example.com', 'trader'], ['admin@example.com', 'admin'], ['trader@example.com', 'trader']]);
    const audit = JSON.stringify(await rt.deps.prisma.auditLog.findMany({ select: { actorEmail: true, action: true, reason: true, before: true, after: true } }));
    for (const pw of Object.values(PW)) expect(audit).not.toContain(pw);
  });
});
