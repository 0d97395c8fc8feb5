// The emergency router over the real runtime (simulated broker): cancel all, liquidate and suspend are admin-only;
// liquidate and suspend ask for the admin's password again; a refusal the use-case gives (a liquidation already
// running) reaches the console as CONFLICT with its words; the progress is pushed as the steps happen; resume says why not.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRuntime, type TestRuntime } from '@ai-trader/adapters/testing';
import type { TActor, TEmergencyProgress } from '@ai-trader/contracts';
import { takeEmergencyLock } from '@ai-trader/core';
import { hashPassword } from 'better-auth/crypto';
import { LiveHub } from '../live-hub.ts';
import { appRouter } from '../root.ts';

const PASSWORD = 'admin-password-for-tests';

describe('emergency router', () => {
  let rt: TestRuntime;
  let live: LiveHub;
  const caller = (actor: TActor | null) => appRouter.createCaller({ deps: rt.deps, live, actor });
  const admin: TActor = { id: 'a1', email: 'admin@example.com', role: 'admin' };
  const trader: TActor = { id: 't1', email: 'trader@example.com', role: 'trader' };

  beforeAll(async () => {
    rt = await createTestRuntime('apiemergency');
    live = new LiveHub(rt.config.REDIS_URL, rt.config.REDIS_PREFIX);
    await rt.deps.prisma.user.create({ data: { id: admin.id, email: admin.email, name: 'Admin', role: 'admin', emailVerified: true } });
    await rt.deps.prisma.account.create({ data: { id: 'acc-a1', userId: admin.id, accountId: admin.id, providerId: 'credential', password: await hashPassword(PASSWORD) } });
  });
  afterAll(async () => {
    await live?.close();
    await rt?.cleanup();
  });

  it('is for admins; liquidate and suspend need the password again', async () => {
    await expect(caller(trader).emergency.cancelAll({ reason: 'trader tries' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(caller(trader).emergency.liquidate({ reason: 'trader tries', password: 'x' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(caller(admin).emergency.liquidate({ reason: 'wrong password', password: 'not-it' })).rejects.toMatchObject({ code: 'UNAUTHORIZED', message: 'wrong password' });
    await expect(caller(admin).emergency.suspend({ reason: 'wrong password', password: 'not-it' })).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    expect((await rt.deps.prisma.tradingStateRow.findUniqueOrThrow({ where: { id: 1 } })).state).toBe('ACTIVE'); // nothing ran
  });

  it('liquidates, pushing each step as it happens, and answers CONFLICT while another runs', async () => {
    const it = (await caller(admin).emergency.progressLive())[Symbol.asyncIterator]();
    expect((await it.next()).value).toBeNull(); // no emergency action yet
    for (const end = Date.now() + 5000; live.stamp(['emergency']) === null && Date.now() < end; ) await new Promise((r) => setTimeout(r, 10)); // the hub hears Redis
    const r = await caller(admin).emergency.liquidate({ reason: 'api drill', password: PASSWORD });
    expect(r).toMatchObject({ state: 'HALTED', flat: true, nothingToDo: true });
    let pushed: TEmergencyProgress | null = null;
    while (!pushed?.finishedAt) pushed = (await it.next()).value as TEmergencyProgress;
    expect(pushed).toMatchObject({ runId: r.runId, action: 'liquidate', actor: admin.email, ok: true });
    expect(pushed.steps.map((s) => s.step)).toEqual(['halted', 'orders-cancelled', 'positions-closing', 'verified-flat', 'booked']);
    await it.return?.();

    const lock = await takeEmergencyLock(rt.deps, 'liquidate by someone@example.com since 10:00', 10_000);
    await expect(caller(admin).emergency.liquidate({ reason: 'again', password: PASSWORD })).rejects.toMatchObject({
      code: 'CONFLICT', message: 'a liquidation is already running (liquidate by someone@example.com since 10:00): its steps are shown on the console; nothing more was done',
    });
    if ('release' in lock) await lock.release();
  });

  it('suspends and unsuspends at the broker; the broker status says so; resume refuses while suspended, with the reason', async () => {
    expect(await caller(trader).emergency.brokerStatus()).toEqual({ broker: 'sim', canSuspend: true, suspended: false, error: null });
    expect(await caller(admin).emergency.suspend({ reason: 'api drill', password: PASSWORD })).toMatchObject({ suspended: true, state: 'HALTED' });
    expect((await caller(admin).emergency.brokerStatus()).suspended).toBe(true);
    await expect(caller(admin).trading.resume({ reason: 'too early', password: PASSWORD })).rejects.toMatchObject({
      code: 'CONFLICT', message: expect.stringMatching(/^cannot resume yet: trading is suspended at the sim broker/),
    });
    expect(await caller(admin).emergency.unsuspend({ reason: 'api drill over', password: PASSWORD })).toMatchObject({ suspended: false, state: 'HALTED' });
    expect(await caller(admin).emergency.cancelAll({ reason: 'api drill' })).toMatchObject({ state: 'HALTED', canceledOrders: [], stillOpen: [] });
    expect(await caller(admin).trading.resume({ reason: 'all clear', password: PASSWORD })).toMatchObject({ state: 'ACTIVE', pendingApproval: null });
  });
});
