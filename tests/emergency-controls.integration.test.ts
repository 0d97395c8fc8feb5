// The other emergency controls on the simulated broker: cancel all orders (state unchanged, audited, a warning alert),
// suspend at the broker (HALT first, then the broker refuses every new order; unsuspend leaves trading HALTED), and
// resume — refused while the broker is suspended or while reconciliation is not clean, saying why, and allowed once a
// clean pass has run. Every action raises its alert; resuming resolves them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRuntime, type TestRuntime } from '@ai-trader/adapters/testing';
import { cancelAllOrders, getTradingState, haltTrading, lastEmergency, listAlerts, resumeTrading, setBrokerSuspended, stopEntries, TradeRequestError } from '@ai-trader/core';
import { seedSimBook } from './helpers/emergency-books.ts';

const admin = { id: 'a1', email: 'admin@example.com', role: 'admin' as const };
const trader = { id: 't1', email: 'trader@example.com', role: 'trader' as const };

describe('cancel all, suspend at the broker, resume', () => {
  let rt: TestRuntime;
  const open = async () => (await listAlerts(rt.deps, { open: true, limit: 50 })).filter((a) => a.source === 'emergency').map((a) => `${a.level} ${a.key}`).sort();
  beforeAll(async () => {
    rt = await createTestRuntime('emcontrols');
    await seedSimBook(rt.deps, { positions: 3, openOrders: 4 });
  });
  afterAll(async () => rt?.cleanup());

  it('cancel all orders: at the broker and in our books, verified; the trading state stays as it was', async () => {
    const p = rt.deps.prisma;
    await expect(cancelAllOrders(rt.deps, { actor: trader, reason: 'no' })).rejects.toThrow('only an admin can cancel all orders');
    const steps: string[] = [];
    const r = await cancelAllOrders(rt.deps, { actor: admin, reason: 'clean slate', onStep: (s) => steps.push(s.step) });
    expect(r).toMatchObject({ state: 'ACTIVE', stillOpen: [] });
    expect(r.canceledOrders).toHaveLength(4);
    expect(steps).toEqual(['orders-cancelled']);
    expect((await getTradingState(p)).state).toBe('ACTIVE');
    expect(await p.simOrder.count({ where: { status: 'new' } })).toBe(0);
    expect(await p.order.count({ where: { status: 'canceled' } })).toBe(4);
    expect(await p.simPosition.count({ where: { qty: { not: 0 } } })).toBe(3); // positions untouched
    const audit = await p.auditLog.findFirstOrThrow({ where: { action: 'orders.cancel-all' } });
    expect(audit).toMatchObject({ actorEmail: admin.email, reason: 'clean slate', after: { state: 'ACTIVE', stillOpen: [] } });
    expect(await open()).toEqual(['warning emergency.cancel-all']);
    expect(await lastEmergency(rt.deps)).toMatchObject({ action: 'cancel-all', ok: true });
  });

  it('suspend: HALTED first, then the broker refuses every new order; resume is refused while it is suspended', async () => {
    const p = rt.deps.prisma;
    await expect(setBrokerSuspended(rt.deps, { actor: trader, reason: 'no', suspend: true })).rejects.toThrow('only an admin can suspend trading at the broker');
    const r = await setBrokerSuspended(rt.deps, { actor: admin, reason: 'last resort drill', suspend: true });
    expect(r).toMatchObject({ broker: 'sim', suspended: true, changed: true, state: 'HALTED', stillOpen: [] });
    expect(r.steps.map((s) => s.step)).toEqual(['halted', 'suspended', 'orders-cancelled']);
    expect(await rt.deps.broker.isTradingSuspended!()).toBe(true);
    const refused = await rt.deps.broker.submitOrder({ clientOrderId: 'ait-after-suspend', symbol: 'S000', side: 'BUY', qty: '1', type: 'market' });
    expect(refused).toMatchObject({ status: 'rejected', reason: expect.stringContaining('trading is suspended by the account owner') });
    expect(await p.auditLog.findFirstOrThrow({ where: { action: 'broker.suspend' } })).toMatchObject({
      reason: 'last resort drill', before: { suspended: false, state: 'ACTIVE' }, after: { suspended: true, state: 'HALTED', broker: 'sim' },
    });
    expect(await open()).toEqual(['critical emergency.suspend', 'warning emergency.cancel-all']);

    await expect(resumeTrading(rt.deps, { actor: admin, reason: 'too early' })).rejects.toThrow(/^cannot resume yet: trading is suspended at the sim broker \(suspend_trade\): unsuspend it there first/);
    expect((await getTradingState(p)).state).toBe('HALTED');

    const u = await setBrokerSuspended(rt.deps, { actor: admin, reason: 'drill over', suspend: false });
    expect(u).toMatchObject({ suspended: false, changed: true, state: 'HALTED' });
    expect(u.steps.map((s) => [s.step, s.detail])).toEqual([['unsuspended', 'the sim broker takes orders again (suspend_trade off); trading stays HALTED until an admin resumes']]);
    expect((await getTradingState(p)).state).toBe('HALTED');
  });

  it('resume: refused while reconciliation has not confirmed the books, saying why; allowed after a clean pass', async () => {
    const p = rt.deps.prisma;
    // Our books say 10 S000, the broker holds 7 (three sold at the broker behind our back); no pass has seen it yet.
    await p.simPosition.update({ where: { symbol: 'S000' }, data: { qty: '7' } });
    await rt.deps.redis.del(`${rt.config.REDIS_PREFIX}:reconcile:last`);
    const first = await resumeTrading(rt.deps, { actor: admin, reason: 'try' }).catch((e: unknown) => e);
    expect(first).toBeInstanceOf(TradeRequestError);
    expect((first as Error).message).toMatch(/^cannot resume yet: reconciliation at \S+ saw 1 difference\(s\) it has not confirmed yet: position mismatch S000 \(ours 10, broker 7\)/);
    const second = await resumeTrading(rt.deps, { actor: admin, reason: 'try again' }).catch((e: unknown) => e);
    expect((second as Error).message).toMatch(/^cannot resume yet: reconciliation at \S+ found drift with the broker: position mismatch S000 \(ours 10, broker 7; set to the broker’s since\)/);
    expect((await getTradingState(p)).state).toBe('HALTED');
    expect((await p.position.findUniqueOrThrow({ where: { symbol: 'S000' } })).qty.toFixed()).toBe('7'); // repaired by that pass
    const ok = await resumeTrading(rt.deps, { actor: admin, reason: 'books agree again' });
    expect(ok).toEqual({ state: 'ACTIVE', changed: true });
    // Resuming resolves the emergency alerts and raises its own.
    expect(await open()).toEqual(['warning emergency.resume']);
  });

  it('stop entries and halt raise their alerts too', async () => {
    await stopEntries(rt.deps, { actor: trader, reason: 'calm down' });
    await haltTrading(rt.deps, { actor: trader, reason: 'stop' });
    expect(await open()).toEqual(['critical emergency.halt', 'warning emergency.stop-entries']);
  });
});
