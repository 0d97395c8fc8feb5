// The keys procedures over the real runtime and the fake Alpaca: admin only (listing too), the password again before
// any key is opened or changed (a wrong one changes nothing), and answers that carry masked keys only.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRuntime, type TestRuntime } from '@ai-trader/adapters/testing';
import { startFakeAlpaca, type FakeAlpaca } from '@ai-trader/adapters/testing/fake-alpaca';
import type { TActor } from '@ai-trader/contracts';
import { hashPassword } from 'better-auth/crypto';
import { LiveHub } from '../live-hub.ts';
import { appRouter } from '../root.ts';

const PASSWORD = 'admin-password-for-keys-tests';
const KEY = { keyId: `PKRPC${randomBytes(8).toString('hex').toUpperCase()}`, secretKey: `sk-rpc-${randomBytes(16).toString('hex')}` };

describe('keys procedures', () => {
  let rt: TestRuntime;
  let live: LiveHub;
  let fake: FakeAlpaca;
  const admin: TActor = { id: 'k-admin', email: 'keys-admin@example.com', role: 'admin' };
  const trader: TActor = { id: 'k-trader', email: 'trader@example.com', role: 'trader' };
  const caller = (actor: TActor | null) => appRouter.createCaller({ deps: rt.deps, live, actor });

  beforeAll(async () => {
    fake = await startFakeAlpaca({ keyId: KEY.keyId, secretKey: KEY.secretKey });
    rt = await createTestRuntime('keysrpc', { ALPACA_BASE_URL: fake.restUrl, KEYS_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}` });
    live = new LiveHub(rt.config.REDIS_URL, rt.config.REDIS_PREFIX);
    await rt.deps.prisma.user.create({ data: { id: admin.id, email: admin.email, name: 'Admin', role: 'admin', emailVerified: true } });
    await rt.deps.prisma.account.create({ data: { id: 'acc-k', userId: admin.id, accountId: admin.id, providerId: 'credential', password: await hashPassword(PASSWORD) } });
  });
  afterAll(async () => {
    await live?.close();
    await rt?.cleanup();
    await fake?.close();
  });

  it('admin only, listing included; a wrong password stores nothing and is audited', async () => {
    await expect(caller(trader).keys.list()).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(caller(null).keys.list()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    await expect(caller(admin).keys.add({ key: { provider: 'alpaca', ...KEY }, password: 'not-it' })).rejects.toMatchObject({ code: 'UNAUTHORIZED', message: 'wrong password' });
    expect(await rt.deps.prisma.apiKey.count()).toBe(0);
    expect(await rt.deps.prisma.auditLog.findFirst({ where: { action: 'auth.reauth-failed' } })).toMatchObject({ reason: 'wrong password to confirm keys.add' });
    await expect(caller(admin).keys.add({ key: { provider: 'alpaca', keyId: 'short', secretKey: KEY.secretKey }, password: PASSWORD }))
      .rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('key id is too short (at least 8 characters)') });
  });

  it('add, test, rotate and list answer with masked keys only', async () => {
    const a = caller(admin).keys;
    const added = await a.add({ key: { provider: 'alpaca', label: 'paper', ...KEY }, password: PASSWORD });
    expect(Object.keys(added).sort()).toEqual(['activatedAt', 'createdAt', 'createdByEmail', 'disabledAt', 'encKeyId', 'id', 'label', 'masked', 'provider', 'status', 'testOk', 'testResult', 'testedAt']);
    expect(added).toMatchObject({ provider: 'alpaca', status: 'pending', masked: `PK…${KEY.keyId.slice(-4)}`, createdByEmail: admin.email });
    const tested = await a.test({ id: added.id, password: PASSWORD });
    expect(tested.test).toMatchObject({ ok: true, authorised: true });
    await expect(a.rotate({ provider: 'polygon', id: added.id, password: PASSWORD })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('is a alpaca key, not polygon') });
    const swapped = await a.rotate({ provider: 'alpaca', id: added.id, reason: 'first key', password: PASSWORD });
    expect(swapped).toMatchObject({ outcome: 'swapped', key: { status: 'active' } });
    await expect(a.rollback({ provider: 'alpaca', password: PASSWORD })).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(a.disable({ id: added.id, password: PASSWORD })).rejects.toMatchObject({ code: 'CONFLICT' });
    const list = await a.list();
    expect(list.map((k) => [k.status, k.masked, k.label])).toEqual([['active', added.masked, 'paper']]);
    const said = JSON.stringify([added, tested, swapped, list]) + JSON.stringify(await rt.deps.prisma.auditLog.findMany({ select: { reason: true, before: true, after: true } }));
    expect(said).not.toContain(KEY.secretKey);
    expect(said).not.toContain(KEY.keyId);
  });
});
