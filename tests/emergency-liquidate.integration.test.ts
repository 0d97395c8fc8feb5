// Emergency liquidation on the simulated broker: 100 positions and 200 open orders end flat, verified with the broker,
// HALTED first; our books get every cancellation and every closing fill (positions, realised P&L and cash exact);
// pressing twice is harmless and says there was nothing to do; two at once run once; in a closed market the report
// says what is still open and why; audited and alerted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRuntime, type TestRuntime } from '@ai-trader/adapters/testing';
import type { TEmergencyStep } from '@ai-trader/contracts';
import { emergencyLiquidate, getTradingState, lastEmergency, listAlerts, submitIntent } from '@ai-trader/core';
import { dec } from '@ai-trader/domain';
import { priceOf, seedOurBooks, seedSimBook } from './helpers/emergency-books.ts';

const admin = { id: 'a1', email: 'admin@example.com', role: 'admin' as const };

describe('emergency liquidate on the simulated broker', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await createTestRuntime('liqsim', { SIM_STARTING_CASH: '10000000' });
  });
  afterAll(async () => rt?.cleanup());

  it('100 positions and 200 open orders: HALTED first, then flat and verified, and our books follow exactly', async () => {
    const p = rt.deps.prisma;
    await seedSimBook(rt.deps, { positions: 100, openOrders: 200 });
    // Our positions were bought 1.00 under the last price: each close realises 10 × 1.00.
    await p.$executeRaw`UPDATE positions SET "avgCost" = "avgCost" - 1`;
    const cashBefore = (await p.portfolioAccount.findUniqueOrThrow({ where: { id: 1 } })).cash;
    const steps: TEmergencyStep[] = [];
    let stateAtHalted: string | null = null;
    const r = await emergencyLiquidate(rt.deps, {
      actor: admin, reason: 'drill: flatten everything',
      onStep: (s) => {
        steps.push(s);
        if (s.step === 'halted') void getTradingState(p).then((t) => (stateAtHalted = t.state));
      },
    });

    expect(r).toMatchObject({ state: 'HALTED', flat: true, nothingToDo: false, canceledOrders: 200, stillOpen: { orders: [], positions: [] }, books: { flat: true, positions: [], fillsBooked: 100 } });
    expect(steps.map((s) => s.step)).toEqual(['halted', 'orders-cancelled', 'positions-closing', 'verified-flat', 'booked']);
    expect(steps.every((s) => s.ok)).toBe(true);
    expect(stateAtHalted).toBe('HALTED');
    expect(r.timings.haltedMs).toBeLessThanOrEqual(r.timings.flatMs!);
    // cancel all, close all, then one look at open orders and positions
    expect(r.brokerCalls).toBe(4);
    expect(r.closing).toHaveLength(100);
    expect(r.closing.every((c) => c.status === 'filled' && c.side === 'SELL' && c.positionQty === '10' && c.error === null)).toBe(true);

    // The broker's books
    expect(await p.simOrder.count({ where: { status: { in: ['new', 'partially_filled'] } } })).toBe(0);
    expect(await p.simPosition.count({ where: { qty: { not: 0 } } })).toBe(0);
    // Ours: every seeded order cancelled, every closing order entered (signal → decision → intent → order) and filled.
    expect(await p.order.groupBy({ by: ['status'], _count: true, orderBy: { status: 'asc' } })).toEqual([
      { status: 'filled', _count: 100 }, { status: 'canceled', _count: 200 },
    ]);
    const closing = await p.order.findMany({ where: { status: 'filled' }, include: { intent: { include: { riskDecision: { include: { signal: true } } } }, fills: true } });
    expect(closing.every((o) => o.intent.exitReason === 'liquidate' && o.intent.riskDecision.signal.strategy === 'liquidate' && o.fills.length === 1)).toBe(true);
    const positions = await p.position.findMany({ orderBy: { symbol: 'asc' } });
    expect(positions).toHaveLength(100);
    expect(positions.every((x) => x.qty.isZero() && x.realizedPnl.toFixed() === '10')).toBe(true);
    const proceeds = Array.from({ length: 100 }, (_, i) => dec(priceOf(i)).times(10)).reduce((a, b) => a.plus(b));
    expect((await p.portfolioAccount.findUniqueOrThrow({ where: { id: 1 } })).cash.toFixed()).toBe(cashBefore.plus(proceeds.toFixed()).toFixed());

    // Audited (the HALT, then the liquidation with before/after) and alerted; the progress is kept for the console.
    const audit = await p.auditLog.findMany({ where: { action: { in: ['trading.halt', 'emergency.liquidate'] } }, orderBy: { seq: 'asc' } });
    expect(audit.map((a) => a.action)).toEqual(['trading.halt', 'emergency.liquidate']);
    expect(audit[1]).toMatchObject({ actorEmail: admin.email, reason: 'drill: flatten everything' });
    expect((audit[1]!.before as { positions: unknown[]; workingOrders: number }).positions).toHaveLength(100);
    expect((audit[1]!.before as { workingOrders: number }).workingOrders).toBe(200);
    expect(audit[1]!.after).toMatchObject({ flat: true, canceledOrders: 200, brokerCalls: 4 });
    expect((await listAlerts(rt.deps, { open: true, limit: 10 })).find((a) => a.key === 'emergency.liquidate')).toMatchObject({ level: 'critical', source: 'emergency' });
    expect(await lastEmergency(rt.deps)).toMatchObject({ runId: r.runId, action: 'liquidate', ok: true, outcome: 'flat, verified with the broker', steps: r.steps });
  });

  it('pressing it again does no harm: nothing to do, and it says so', async () => {
    const p = rt.deps.prisma;
    const orders = await p.order.count();
    const cash = (await p.portfolioAccount.findUniqueOrThrow({ where: { id: 1 } })).cash.toFixed();
    const r = await emergencyLiquidate(rt.deps, { actor: admin, reason: 'pressed again' });
    expect(r).toMatchObject({ flat: true, nothingToDo: true, canceledOrders: 0, closing: [], books: { flat: true, fillsBooked: 0 } });
    expect(r.steps.find((s) => s.step === 'halted')!.detail).toBe('trading was already HALTED');
    expect(r.steps.find((s) => s.step === 'positions-closing')!.detail).toBe('no position at the broker');
    expect(await p.order.count()).toBe(orders);
    expect((await p.portfolioAccount.findUniqueOrThrow({ where: { id: 1 } })).cash.toFixed()).toBe(cash);
    expect(await lastEmergency(rt.deps)).toMatchObject({ ok: true, outcome: 'nothing to do: the broker had no open order and no position' });
  });

  it('two at once: one liquidation runs, the other is refused without doing anything', async () => {
    const outcomes = await Promise.allSettled([emergencyLiquidate(rt.deps, { actor: admin, reason: 'first' }), emergencyLiquidate(rt.deps, { actor: admin, reason: 'second' })]);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    const refused = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
    expect(refused.reason).toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/^a liquidation is already running \(liquidate by admin@example\.com since /) });
  });

  it('refuses anyone but an admin', async () => {
    await expect(emergencyLiquidate(rt.deps, { actor: { ...admin, role: 'trader' }, reason: 'nope' })).rejects.toThrow('only an admin can liquidate');
  });
});

describe('emergency liquidate with the simulated market closed', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await createTestRuntime('liqclosed', { LIQUIDATE_VERIFY_TIMEOUT_SECONDS: '0.4' });
  });
  afterAll(async () => rt?.cleanup());

  it('reports what is still open and why; pressed again it replaces the closing order, booking nothing twice', async () => {
    const p = rt.deps.prisma;
    await seedSimBook(rt.deps, { positions: 2, openOrders: 1, barTs: '2025-06-04T20:30:00Z' }); // after the close
    const r = await emergencyLiquidate(rt.deps, { actor: admin, reason: 'after hours' });
    expect(r.flat).toBe(false);
    expect(r.canceledOrders).toBe(1);
    expect(r.closing.map((c) => [c.symbol, c.status])).toEqual([['S000', 'new'], ['S001', 'new']]);
    expect(r.stillOpen.positions.map((x) => x.symbol)).toEqual(['S000', 'S001']);
    expect(r.stillOpen.positions[0]!.why).toMatch(/^closing order [0-9a-f-]{36} new, 0 of 10 filled; the simulated market is closed at its market time \(2025-06-04T20:30:00\.000Z\)/);
    expect(r.stillOpen.orders).toHaveLength(2);
    expect(r.stillOpen.orders[0]!.why).toBe('closing order of S000 new at the broker: 0 of 10 filled so far');
    expect(r.steps.at(-2)!.step).toBe('still-open');
    expect(r.steps.at(-2)!.detail).toMatch(/^NOT flat at the deadline: 2 position\(s\) still open \(S000 10 — closing order/);
    expect(r.books.positions).toEqual([{ symbol: 'S000', qty: '10' }, { symbol: 'S001', qty: '10' }]);
    expect(await lastEmergency(rt.deps)).toMatchObject({ ok: false, outcome: expect.stringMatching(/^NOT flat/) });

    const again = await emergencyLiquidate(rt.deps, { actor: admin, reason: 'after hours, again' });
    expect(again.canceledOrders).toBe(2); // the first closing orders, replaced
    expect(await p.order.groupBy({ by: ['status'], _count: true, orderBy: { status: 'asc' } })).toEqual([{ status: 'new', _count: 2 }, { status: 'canceled', _count: 3 }]);
    expect(await p.simOrder.count({ where: { status: 'new' } })).toBe(2);
    expect((await p.position.findMany({ orderBy: { symbol: 'asc' } })).map((x) => x.qty.toFixed())).toEqual(['10', '10']);
  });

  it('an order submitted after the HALT never reaches the broker', async () => {
    const p = rt.deps.prisma;
    await seedOurBooks(rt.deps, [], []);
    const s = await p.signal.create({ data: { strategy: 'late', symbol: 'S000', barTs: new Date('2025-06-04T20:35:00Z'), side: 'BUY', price: '100', detail: {} } });
    const d = await p.riskDecision.create({ data: { signalId: s.id, outcome: 'APPROVED', message: 'before the halt' } });
    const i = await p.orderIntent.create({ data: { riskDecisionId: d.id, symbol: 'S000', side: 'BUY', qty: '1', refPrice: '100', isEntry: true } });
    const simOrders = await p.simOrder.count();
    expect(await submitIntent(rt.deps, { intentId: i.id })).toBe('blocked');
    expect(await p.simOrder.count()).toBe(simOrders);
  });
});
