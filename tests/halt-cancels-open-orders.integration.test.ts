// HALT with a real open order at the (simulated) broker: the order is cancelled there and in our books,
// the broker is asked afterwards and reports nothing open, and an intent approved before the halt but
// not yet sent is blocked instead of submitted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRuntime, type TestRuntime } from '@ai-trader/adapters/testing';
import { applyTradeUpdate, checkRisk, haltTrading, ingestBar, submitIntent } from '@ai-trader/core';

const bar = (ts: string, px: string) => ({ symbol: 'SPY', timeframe: '5m' as const, ts, open: px, high: px, low: px, close: px, volume: '1000', source: 'test' });

describe('HALT cancels what is open', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await createTestRuntime('haltcancel');
  });
  afterAll(async () => rt?.cleanup());

  async function approvedIntent(barTs: string) {
    const p = rt.deps.prisma;
    // one strategy per intent: a second working BUY of the same strategy would be a DUPLICATE_SIGNAL
    const s = await p.signal.create({ data: { strategy: `test-${barTs}`, symbol: 'SPY', barTs: new Date(barTs), side: 'BUY', price: '600', detail: {} } });
    const d = await checkRisk(rt.deps, { signalId: s.id });
    expect(d.outcome).toBe('APPROVED');
    return d.intent!.id;
  }

  it('cancels the open order, blocks the unsent intent, and verifies with the broker', async () => {
    const p = rt.deps.prisma;
    await ingestBar(rt.deps, bar('2025-06-04T13:30:00Z', '600'));
    const sent = await approvedIntent('2025-06-04T13:30:00Z');
    expect(await submitIntent(rt.deps, { intentId: sent })).toBe('submitted');
    const unsent = await approvedIntent('2025-06-04T13:35:00Z');
    expect(await p.simOrder.count({ where: { status: 'new' } })).toBe(1);

    const admin = { id: 'a', email: 'admin@example.com', role: 'admin' as const };
    const r = await haltTrading(rt.deps, { actor: admin, reason: 'test' });
    const order = await p.order.findUniqueOrThrow({ where: { intentId: sent } });
    expect(r).toEqual({ state: 'HALTED', changed: true, canceledOrders: [order.clientOrderId], stillOpen: [] });
    expect(order.status).toBe('canceled');
    expect(await p.simOrder.count({ where: { status: 'canceled' } })).toBe(1);

    expect(await submitIntent(rt.deps, { intentId: unsent })).toBe('blocked');
    expect(await p.order.count()).toBe(1);
    expect((await p.orderIntent.findUniqueOrThrow({ where: { id: unsent } })).statusReason).toBe('trading state HALTED at submission');

    // A halt that finds nothing to do still says so, and is still audited.
    const again = await haltTrading(rt.deps, { actor: admin, reason: 'test again' });
    expect(again).toEqual({ state: 'HALTED', changed: false, canceledOrders: [], stillOpen: [] });
    // (order decisions and broker calls of the setup are audited too: operator actions only here)
    const actions = (await p.auditLog.findMany({ where: { actorEmail: { not: { startsWith: 'system:' } } }, orderBy: { id: 'asc' } })).map((a) => a.action);
    expect(actions).toEqual(['trading.halt', 'orders.cancel-all', 'trading.halt', 'orders.cancel-all']);
  });

  it('books a fill that happened before the cancel but is reported after it; the order stays canceled', async () => {
    const p = rt.deps.prisma;
    const order = await p.order.findFirstOrThrow({ where: { status: 'canceled' } });
    const held = (await p.position.findUnique({ where: { symbol: 'SPY' } }))?.qty.toFixed() ?? '0';
    const cash = (await p.portfolioAccount.findUniqueOrThrow({ where: { id: 1 } })).cash;
    const late = { event: 'partial_fill' as const, clientOrderId: order.clientOrderId, brokerOrderId: order.brokerOrderId!, executionId: 'late-1', qty: '3', price: '600.5', at: '2025-06-04T13:31:00Z' };
    expect(await applyTradeUpdate(rt.deps, late)).toBe('applied');
    expect(await applyTradeUpdate(rt.deps, late)).toBe('duplicate');
    expect(await p.order.findUniqueOrThrow({ where: { id: order.id } })).toMatchObject({ status: 'canceled' });
    expect((await p.order.findUniqueOrThrow({ where: { id: order.id } })).filledQty.toFixed()).toBe('3');
    expect((await p.position.findUniqueOrThrow({ where: { symbol: 'SPY' } })).qty.toFixed()).toBe(String(Number(held) + 3));
    expect((await p.portfolioAccount.findUniqueOrThrow({ where: { id: 1 } })).cash.toFixed()).toBe(cash.minus('1801.5').toFixed());
  });

  it('refuses a viewer', async () => {
    await expect(haltTrading(rt.deps, { actor: { id: 'v', email: 'v@example.com', role: 'viewer' }, reason: 'nope' })).rejects.toThrow('viewers cannot halt trading');
  });
});
