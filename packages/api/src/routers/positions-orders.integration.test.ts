// The positions and orders procedures over the real runtime: a viewer reads but cannot close or cancel (FORBIDDEN),
// mistakes come back with their tRPC code and a message, outputs pass their schemas, and the live procedures
// yield a snapshot first.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRuntime, type TestRuntime } from '@ai-trader/adapters/testing';
import type { TActor } from '@ai-trader/contracts';
import { checkRisk, submitIntent } from '@ai-trader/core';
import { seedSpyPosition } from '../test-book.ts';
import { LiveHub } from '../live-hub.ts';
import { appRouter } from '../root.ts';


describe('positions and orders procedures', () => {
  let rt: TestRuntime;
  let live: LiveHub;
  const caller = (actor: TActor | null) => appRouter.createCaller({ deps: rt.deps, live, actor });
  const trader: TActor = { id: 't1', email: 'trader@example.com', role: 'trader' };
  const viewer: TActor = { id: 'v1', email: 'viewer@example.com', role: 'viewer' };

  beforeAll(async () => {
    rt = await createTestRuntime('posordapi');
    live = new LiveHub(rt.config.REDIS_URL, rt.config.REDIS_PREFIX);
    // One position in SPY (16 @ 601) and a working SELL of it at the sim.
    await seedSpyPosition(rt.deps);
  });
  afterAll(async () => {
    await live?.close();
    await rt?.cleanup();
  });

  it('lets a viewer read positions, the drill-down and orders', async () => {
    const v = caller(viewer);
    const list = await v.positions.list();
    expect(list.positions.map((p) => [p.symbol, p.qty, p.avgCost])).toEqual([['SPY', '16', '601']]);
    const detail = await v.positions.detail({ symbol: 'SPY' });
    expect(detail.fills.map((f) => f.side)).toEqual(['BUY']);
    expect(detail.bars.t).toHaveLength(2);
    const orders = await v.orders.list({ filter: { view: 'history' } });
    expect(orders.rows.map((r) => r.status)).toEqual(['filled']);
    const t = await v.orders.timeline({ id: orders.rows[0]!.id });
    expect(t.steps.map((s) => s.kind)).toEqual(['signal', 'risk', 'intent', 'submitted', 'fill']);
  });

  it('refuses a viewer a close or a cancel, and anonymous callers anything', async () => {
    await expect(caller(viewer).positions.close({ symbol: 'SPY', reason: 'viewer tries' })).rejects.toMatchObject({ code: 'FORBIDDEN', message: 'needs the trader role (you are viewer)' });
    await expect(caller(viewer).orders.cancel({ clientOrderId: 'ait-x', reason: 'viewer tries' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(caller(null).positions.list()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    await expect(caller(null).orders.list({})).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    expect(await rt.deps.prisma.signal.count({ where: { strategy: 'manual' } })).toBe(0);
    expect(await rt.deps.prisma.auditLog.count({ where: { actorEmail: { not: { startsWith: 'system:' } } } })).toBe(0); // decisions of the seeded book are audited by system:risk
  });

  it('answers mistakes with their code and what was wrong', async () => {
    const t = caller(trader);
    await expect(t.positions.close({ symbol: 'SPY', reason: ' ' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(t.positions.close({ symbol: 'QQQ', reason: 'not held' })).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'no position in QQQ' });
    await expect(t.orders.cancel({ clientOrderId: 'ait-unknown', reason: 'unknown' })).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'no order with client_order_id ait-unknown' });
    await expect(t.orders.list({ cursor: '2025-06-04T13:30:00.000Z|not-a-uuid' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(t.orders.list({ filter: { view: 'all', from: '2025-06-05', to: '2025-06-04' } })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(t.orders.timeline({ id: '00000000-0000-4000-8000-000000000000' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('closes (trader), refuses a second close while the first works, and cancels the working order', async () => {
    const t = caller(trader);
    const r = await t.positions.close({ symbol: 'SPY', reason: 'take it off' });
    expect(r).toMatchObject({ symbol: 'SPY', qty: '16', barTs: '2025-06-04T13:35:00.000Z' });
    await expect(t.positions.close({ symbol: 'SPY', reason: 'again' })).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringContaining('waits for its risk decision') });
    const d = await checkRisk(rt.deps, { signalId: r.signalId });
    await submitIntent(rt.deps, { intentId: d.intent!.id });

    const it = await caller(viewer).orders.live({ filter: { view: 'working' } });
    const first = await it[Symbol.asyncIterator]().next();
    await it[Symbol.asyncIterator]().return?.();
    const row = (first.value as Awaited<ReturnType<ReturnType<typeof caller>['orders']['list']>>).rows[0]!;
    expect(row).toMatchObject({ symbol: 'SPY', side: 'SELL', status: 'new', exitReason: 'manual' });

    expect(await t.orders.cancel({ clientOrderId: row.order!.clientOrderId, reason: 'not now' })).toEqual({ clientOrderId: row.order!.clientOrderId, result: 'canceled', status: 'canceled' });
    await expect(t.orders.cancel({ clientOrderId: row.order!.clientOrderId, reason: 'again' })).rejects.toMatchObject({ code: 'CONFLICT' });
    const audit = (await caller(viewer).audit.list({ limit: 10 })).filter((a) => !a.actorEmail.startsWith('system:'));
    expect(audit.map((a) => [a.action, a.actorEmail, a.reason])).toEqual([
      ['order.cancel', 'trader@example.com', 'not now'],
      ['position.close', 'trader@example.com', 'take it off'],
    ]);
  });
});
