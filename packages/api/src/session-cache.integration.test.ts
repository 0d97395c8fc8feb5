// The remembered signed-in check (session-cache.ts) through the real handlers on the real database and Redis: a
// request within a few seconds of the last one needs no session lookup, and every way a session ends or changes
// — sign-out, sign-out everywhere, an admin's role change or disable in this console or in another process (the CLI,
// another console) — is seen by the very next request, not SESSION_CACHE_MS later.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRuntime, type TestRuntime } from '@ai-trader/adapters/testing';
import { createAuth, type Auth } from './auth.ts';
import { handleTrpcRequest } from './http.ts';
import { LiveHub } from './live-hub.ts';
import { appRouter } from './root.ts';
import { SESSION_CACHE_MS, signedInFromHeaders } from './session-cache.ts';
import { addUser, disableUser, setRole } from './users.ts';

const ORIGIN = 'http://localhost:3000';
const PW = 'session-cache-pw-123';

describe('remembered signed-in checks', () => {
  let rt: TestRuntime;
  let live: LiveHub;
  let other: LiveHub; // another console process (or the CLI) on the same Redis
  let auth: Auth;
  let adminId: string;
  const seed = { id: null, email: 'system:test' };

  const server = () => ({ config: rt.config, runtime: { ...rt, deps: { ...rt.deps, events: live.telling(rt.deps.events) } }, auth, live });
  const signIn = async (email: string) => {
    const res = await auth.handler(new Request(`${ORIGIN}/api/auth/sign-in/email`, { method: 'POST', headers: { 'content-type': 'application/json', origin: ORIGIN }, body: JSON.stringify({ email, password: PW }) }));
    expect(res.status).toBe(200);
    return res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  };
  const me = async (cookie: string) => {
    const res = await handleTrpcRequest(server(), new Request(`${ORIGIN}/api/trpc/me`, { headers: { cookie, host: 'localhost:3000' } }));
    return res.status === 200 ? ((await res.json()) as { result: { data: { json: { email: string; role: string } } } }).result.data.json : res.status;
  };
  const listening = async (hub: LiveHub) => {
    for (let i = 0; i < 200 && hub.stamp(['session']) === null; i++) await new Promise((r) => setTimeout(r, 10));
    expect(hub.stamp(['session'])).not.toBeNull();
  };

  beforeAll(async () => {
    rt = await createTestRuntime('sesscache');
    live = new LiveHub(rt.config.REDIS_URL, rt.config.REDIS_PREFIX);
    other = new LiveHub(rt.config.REDIS_URL, rt.config.REDIS_PREFIX);
    const events = live.telling(rt.deps.events);
    auth = createAuth({ prisma: rt.deps.prisma, secret: 's'.repeat(40), limits: rt.config, baseURL: ORIGIN, trustedOrigins: [ORIGIN], onSessionsEnded: () => events.publish('session') });
    adminId = (await addUser(rt.deps.prisma, { email: 'admin@example.com', name: 'admin', role: 'admin', password: PW }, seed)).id;
    for (const who of ['alice', 'bob', 'carol', 'dave']) await addUser(rt.deps.prisma, { email: `${who}@example.com`, name: who, role: 'trader', password: PW }, seed);
    await Promise.all([listening(live), listening(other)]);
  });
  afterAll(async () => {
    await live?.close();
    await other?.close();
    await rt?.cleanup();
  });

  it('answers from memory for a few seconds (a row deleted by hand is honoured until then), never past that', async () => {
    const cookie = await signIn('alice@example.com');
    expect(await me(cookie)).toMatchObject({ email: 'alice@example.com', role: 'trader' });
    await rt.deps.prisma.session.deleteMany({ where: { user: { email: 'alice@example.com' } } });
    expect(await me(cookie)).toMatchObject({ email: 'alice@example.com' }); // no lookup: remembered
    const later = Date.now() + SESSION_CACHE_MS + 1;
    expect(await signedInFromHeaders(auth, live, new Headers({ cookie }), later)).toBeNull();
    expect(await me(cookie)).toBe(401); // forgotten once it was looked up again and found gone
  });

  it('sign-out and sign-out everywhere end it at once', async () => {
    const cookie = await signIn('bob@example.com');
    const second = await signIn('bob@example.com');
    expect(await me(cookie)).toMatchObject({ email: 'bob@example.com' });
    expect(await me(second)).toMatchObject({ email: 'bob@example.com' });
    const out = await auth.handler(new Request(`${ORIGIN}/api/auth/sign-out`, { method: 'POST', headers: { cookie, origin: ORIGIN } }));
    expect(out.status).toBe(200);
    expect(await me(cookie)).toBe(401);
    expect(await me(second)).toMatchObject({ email: 'bob@example.com' }); // only that session ended
    const everywhere = await auth.handler(new Request(`${ORIGIN}/api/auth/revoke-sessions`, { method: 'POST', headers: { cookie: second, origin: ORIGIN, 'content-type': 'application/json' }, body: '{}' }));
    expect(everywhere.status).toBe(200);
    expect(await me(second)).toBe(401);
  });

  it('an admin\'s role change or disable through the console is seen by the next request', async () => {
    const cookie = await signIn('carol@example.com');
    expect(await me(cookie)).toMatchObject({ role: 'trader' });
    const admin = appRouter.createCaller({ deps: server().runtime.deps, live, actor: { id: adminId, email: 'admin@example.com', role: 'admin' } });
    await admin.users.setRole({ email: 'carol@example.com', role: 'viewer', reason: 'desk move', password: PW });
    expect(await me(cookie)).toMatchObject({ role: 'viewer' });
    await admin.users.disable({ email: 'carol@example.com', reason: 'left the firm', password: PW });
    expect(await me(cookie)).toBe(401);
  });

  it('a change made in another process (the CLI: setRole + a session event on Redis) reaches this console well before the cache would expire', async () => {
    const cookie = await signIn('dave@example.com');
    expect(await me(cookie)).toMatchObject({ role: 'trader' });
    await setRole(rt.deps.prisma, 'dave@example.com', 'viewer', { id: adminId, email: 'admin@example.com' });
    const t0 = Date.now();
    await other.telling(rt.deps.events).publish('session');
    let seen: unknown;
    while ((seen = await me(cookie)) && (seen as { role?: string }).role !== 'viewer' && Date.now() - t0 < SESSION_CACHE_MS) await new Promise((r) => setTimeout(r, 5));
    expect(seen).toMatchObject({ role: 'viewer' });
    expect(Date.now() - t0).toBeLessThan(SESSION_CACHE_MS - 1000);
    await disableUser(rt.deps.prisma, 'dave@example.com', { id: adminId, email: 'admin@example.com' }, 'gone');
    await other.telling(rt.deps.events).publish('session');
    const t1 = Date.now();
    while ((seen = await me(cookie)) !== 401 && Date.now() - t1 < SESSION_CACHE_MS) await new Promise((r) => setTimeout(r, 5));
    expect(seen).toBe(401);
    expect(Date.now() - t1).toBeLessThan(SESSION_CACHE_MS - 1000);
  });
});
