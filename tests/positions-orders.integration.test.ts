// Positions and orders from the console against real Postgres, Redis and the simulated broker: a manual close goes
// through risk and the broker and is audited; a working order is cancelled at the broker and in our books; the
// orders list shows denied, rejected and blocked decisions with their reasons, filters and pages them, and exports
// the same rows as CSV; a symbol's drill-down has the bars and the entry and exit fills.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRuntime, type TestRuntime } from '@ai-trader/adapters/testing';
import { decodeChartBars, type TActor, type TOrdersFilter } from '@ai-trader/contracts';
import {
  applyTradeUpdate, cancelOrder, checkRisk, closePosition, haltTrading, ingestBar, listOrders, listPositions, MANUAL_STRATEGY, newYorkMidnight, orderTimeline,
  ordersCsv, positionDetail, resumeTrading, submitIntent, TradeRequestError,
} from '@ai-trader/core';

const bar = (symbol: string, ts: string, px: string) => ({ symbol, timeframe: '5m' as const, ts, open: px, high: px, low: px, close: px, volume: '100000', source: 'test' });
const trader: TActor = { id: 't1', email: 'trader@example.com', role: 'trader' };
const viewer: TActor = { id: 'v1', email: 'viewer@example.com', role: 'viewer' };
const admin: TActor = { id: 'a1', email: 'admin@example.com', role: 'admin' };

describe('positions and orders (console use-cases)', () => {
  let rt: TestRuntime;
  let n = 0;
  beforeAll(async () => {
    // The sim refuses positions over 20 shares: a second entry is a broker rejection (risk's own limit is 1000).
    rt = await createTestRuntime('posord', { SIM_MAX_POSITION_QTY: '20' });
  });
  afterAll(async () => rt?.cleanup());

  /** A bar: stored, then matched by the sim, its executions applied to our books (what the workers do). */
  async function marketBar(symbol: string, ts: string, px: string) {
    await ingestBar(rt.deps, bar(symbol, ts, px));
    for (const u of await rt.deps.broker.onMarketBar!(bar(symbol, ts, px))) await applyTradeUpdate(rt.deps, u);
  }
  async function decide(symbol: string, side: 'BUY' | 'SELL', barTs: string, price: string) {
    const s = await rt.deps.prisma.signal.create({ data: { strategy: `test-${++n}`, symbol, barTs: new Date(barTs), side, price, detail: { reason: 'test signal' } } });
    return checkRisk(rt.deps, { signalId: s.id });
  }
  const orderOf = (intentId: string) => rt.deps.prisma.order.findUniqueOrThrow({ where: { intentId } });
  const rows = (filter: Partial<TOrdersFilter>, limit = 50) => listOrders(rt.deps, { filter: { view: 'all', ...filter }, limit }).then((p) => p.rows);

  it('closes a position manually: a "manual" SELL signal through risk, audited; cancelled once, then filled', async () => {
    const p = rt.deps.prisma;
    await ingestBar(rt.deps, bar('SPY', '2025-06-04T13:30:00Z', '600'));
    const entry = await decide('SPY', 'BUY', '2025-06-04T13:30:00Z', '600');
    expect(entry.outcome).toBe('APPROVED');
    expect(await submitIntent(rt.deps, { intentId: entry.intent!.id })).toBe('submitted');
    await marketBar('SPY', '2025-06-04T13:35:00Z', '601');

    const view = await listPositions(rt.deps);
    expect(view.positions).toHaveLength(1);
    expect(view.positions[0]).toMatchObject({ symbol: 'SPY', qty: '16', avgCost: '601', lastPrice: '601', unrealizedPnl: '0', closing: null });
    await marketBar('SPY', '2025-06-04T13:40:00Z', '604.005');
    expect((await listPositions(rt.deps)).positions[0]).toMatchObject({ lastPrice: '604.005', marketValue: '9664.08', unrealizedPnl: '48.08', unrealizedPct: '0.5' });

    await expect(closePosition(rt.deps, { symbol: 'SPY', actor: viewer, reason: 'viewer tries' })).rejects.toThrow('viewers cannot close positions');
    await expect(closePosition(rt.deps, { symbol: 'QQQ', actor: trader, reason: 'nothing held' })).rejects.toMatchObject({ code: 'NOT_FOUND' });

    const close = await closePosition(rt.deps, { symbol: 'SPY', actor: trader, reason: 'desk wants out' });
    expect(close).toMatchObject({ symbol: 'SPY', qty: '16', barTs: '2025-06-04T13:40:00.000Z' });
    const signal = await p.signal.findUniqueOrThrow({ where: { id: close.signalId } });
    expect(signal).toMatchObject({ strategy: MANUAL_STRATEGY, side: 'SELL', detail: { exitReason: 'manual', actor: { id: 't1', email: 'trader@example.com' }, reason: 'desk wants out' } });
    expect(signal.price.toFixed()).toBe('604.005');
    const job = await rt.queues.queues.get('risk.check')!.getJob(`risk-${close.signalId}`);
    expect(job?.data).toEqual({ signalId: close.signalId });
    const audit = await p.auditLog.findFirstOrThrow({ where: { action: 'position.close' } });
    expect(audit).toMatchObject({ actorEmail: 'trader@example.com', reason: 'desk wants out', before: { symbol: 'SPY', qty: '16' }, after: { signalId: close.signalId } });

    // What the risk worker does with the job: an exit of everything held, marked manual.
    const d = await checkRisk(rt.deps, { signalId: close.signalId });
    expect(d.outcome).toBe('APPROVED');
    expect(await p.orderIntent.findUniqueOrThrow({ where: { id: d.intent!.id } })).toMatchObject({ side: 'SELL', isEntry: false, exitReason: 'manual' });
    await expect(closePosition(rt.deps, { symbol: 'SPY', actor: trader, reason: 'twice' })).rejects.toThrow(/already working \(manual, not sent yet\)/);
    expect(await submitIntent(rt.deps, { intentId: d.intent!.id })).toBe('submitted');
    const sell = await orderOf(d.intent!.id);
    expect(sell.status).toBe('new');
    expect((await listPositions(rt.deps)).positions[0]!.closing).toEqual({ qty: '16', exitReason: 'manual' });
    const working = await rows({ view: 'working' });
    expect(working.map((r) => [r.symbol, r.side, r.status, r.working, r.order?.clientOrderId])).toEqual([['SPY', 'SELL', 'new', true, sell.clientOrderId]]);

    // Cancel it: at the broker, then in our books through the trade-update path; audited.
    await expect(cancelOrder(rt.deps, { clientOrderId: sell.clientOrderId, actor: viewer, reason: 'viewer tries' })).rejects.toThrow('viewers cannot cancel orders');
    await expect(cancelOrder(rt.deps, { clientOrderId: 'ait-nope', actor: trader, reason: 'unknown' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await cancelOrder(rt.deps, { clientOrderId: sell.clientOrderId, actor: trader, reason: 'changed my mind' })).toEqual({ clientOrderId: sell.clientOrderId, result: 'canceled', status: 'canceled' });
    expect((await p.simOrder.findUniqueOrThrow({ where: { clientOrderId: sell.clientOrderId } })).status).toBe('canceled');
    expect(await p.auditLog.findFirstOrThrow({ where: { action: 'order.cancel' } })).toMatchObject({
      actorEmail: 'trader@example.com', reason: 'changed my mind', before: { status: 'new' }, after: { clientOrderId: sell.clientOrderId, result: 'canceled', status: 'canceled' },
    });
    const again = cancelOrder(rt.deps, { clientOrderId: sell.clientOrderId, actor: trader, reason: 'again' });
    await expect(again).rejects.toBeInstanceOf(TradeRequestError);
    await expect(again).rejects.toThrow('is already canceled');
    expect((await listPositions(rt.deps)).positions[0]).toMatchObject({ qty: '16', closing: null });

    const t = await orderTimeline(rt.deps, { id: d.id });
    expect(t!.steps.map((s) => s.kind)).toEqual(['signal', 'risk', 'intent', 'submitted', 'audit', 'canceled']);
    expect(t!.steps[0]!.detail).toContain('manual close by trader@example.com: desk wants out');
    expect(t!.steps[4]).toMatchObject({ title: 'Cancel requested by trader@example.com', detail: 'changed my mind' });

    // A second close at the same market time is a new signal one millisecond later; the next bar fills it.
    const close2 = await closePosition(rt.deps, { symbol: 'SPY', actor: trader, reason: 'now really' });
    expect(close2.barTs).toBe('2025-06-04T13:40:00.001Z');
    const d2 = await checkRisk(rt.deps, { signalId: close2.signalId });
    expect(await submitIntent(rt.deps, { intentId: d2.intent!.id })).toBe('submitted');
    await marketBar('SPY', '2025-06-04T13:45:00Z', '605');
    const flat = (await listPositions(rt.deps)).positions[0]!;
    expect(flat).toMatchObject({ symbol: 'SPY', qty: '0', realizedPnl: '64', unrealizedPnl: '0', closing: null, stopPrice: null });
    await expect(closePosition(rt.deps, { symbol: 'SPY', actor: trader, reason: 'flat now' })).rejects.toThrow('SPY is already flat');
    const t2 = await orderTimeline(rt.deps, { id: d2.id });
    expect(t2!.steps.map((s) => [s.kind, s.title])).toContainEqual(['fill', 'Fill 16 @ 605']);
    expect(t2!.row).toMatchObject({ status: 'filled', working: false, exitReason: 'manual', order: { filledQty: '16', avgFillPrice: '605' } });

    // The drill-down: the bars and both fills (entry and manual exit) as the chart's markers.
    const detail = await positionDetail(rt.deps, { symbol: 'SPY', bars: 100 });
    expect(decodeChartBars(detail.bars).map((b) => [b.ts, b.close])).toEqual([
      ['2025-06-04T13:30:00.000Z', '600'], ['2025-06-04T13:35:00.000Z', '601'], ['2025-06-04T13:40:00.000Z', '604.005'], ['2025-06-04T13:45:00.000Z', '605'],
    ]);
    expect(detail.fills.map((f) => [f.side, f.qty, f.price, f.at, f.exitReason, f.strategy])).toEqual([
      ['BUY', '16', '601', '2025-06-04T13:35:00.000Z', null, 'test-1'],
      ['SELL', '16', '605', '2025-06-04T13:45:00.000Z', 'manual', MANUAL_STRATEGY],
    ]);
    // A window of the newest bars still reaches back to the latest entry.
    expect(decodeChartBars((await positionDetail(rt.deps, { symbol: 'SPY', bars: 1 })).bars)[0]!.ts).toBe('2025-06-04T13:30:00.000Z');
  });

  it('a cancel that loses the race with a fill reports not_open and leaves the books to the fill', async () => {
    await marketBar('AAPL', '2025-06-04T14:00:00Z', '600');
    const d = await decide('AAPL', 'BUY', '2025-06-04T14:00:00Z', '600');
    await submitIntent(rt.deps, { intentId: d.intent!.id });
    const order = await orderOf(d.intent!.id);
    await ingestBar(rt.deps, bar('AAPL', '2025-06-04T14:05:00Z', '601'));
    const fills = await rt.deps.broker.onMarketBar!(bar('AAPL', '2025-06-04T14:05:00Z', '601')); // filled at the broker, not booked yet
    expect(await cancelOrder(rt.deps, { clientOrderId: order.clientOrderId, actor: trader, reason: 'too late' })).toEqual({ clientOrderId: order.clientOrderId, result: 'not_open', status: 'new' });
    for (const u of fills) await applyTradeUpdate(rt.deps, u);
    expect((await orderOf(d.intent!.id)).status).toBe('filled');
    await expect(cancelOrder(rt.deps, { clientOrderId: order.clientOrderId, actor: trader, reason: 'filled' })).rejects.toThrow('is already filled');
    expect(await rt.deps.broker.cancelOrder!('ait-never-booked')).toBe('canceled');
  });

  it('lists denied, rejected and blocked decisions with their reasons, filtered, paged and as CSV', async () => {
    const denied = await decide('QQQ', 'SELL', '2025-06-04T14:10:00Z', '500'); // nothing held
    expect(denied.outcome).toBe('DENIED');
    await ingestBar(rt.deps, bar('MSFT', '2025-06-04T14:10:00Z', '400'));
    const rejected = await decide('MSFT', 'BUY', '2025-06-04T14:10:00Z', '400'); // 25 shares > the sim's 20
    expect(await submitIntent(rt.deps, { intentId: rejected.intent!.id })).toBe('rejected');
    await haltTrading(rt.deps, { actor: trader, reason: 'test halt' });
    const blocked = await decide('AAPL', 'SELL', '2025-06-04T14:10:00Z', '601'); // HALTED: denied by risk
    expect(blocked.reasonCode).toBe('TRADING_HALTED');
    await resumeTrading(rt.deps, { actor: admin, reason: 'test resume' });
    const approved = await decide('AAPL', 'SELL', '2025-06-04T14:15:00Z', '601');
    await haltTrading(rt.deps, { actor: trader, reason: 'halt before submission' });
    expect(await submitIntent(rt.deps, { intentId: approved.intent!.id })).toBe('blocked');
    await resumeTrading(rt.deps, { actor: admin, reason: 'test resume' });

    const all = await rows({});
    const byId = new Map(all.map((r) => [r.id, r]));
    expect(byId.get(denied.id)).toMatchObject({ status: 'denied', working: false, qty: null, order: null, why: { kind: 'denied', code: 'NO_POSITION_TO_EXIT', message: 'SELL signal with no long position to exit' } });
    expect(byId.get(rejected.id)).toMatchObject({ status: 'rejected', qty: '25', why: { kind: 'rejected', code: 'position_limit' } });
    expect(byId.get(rejected.id)!.why!.message).toMatch(/position_limit/);
    expect(byId.get(approved.id)).toMatchObject({ status: 'blocked', order: null, why: { kind: 'blocked', message: 'trading state HALTED at submission' } });
    expect(all.map((r) => r.at)).toEqual([...all.map((r) => r.at)].sort().reverse());

    expect((await rows({ view: 'working' }))).toEqual([]);
    expect((await rows({ view: 'history' })).length).toBe(all.length);
    expect((await rows({ status: 'denied' })).map((r) => r.id).sort()).toEqual([denied.id, blocked.id].sort());
    expect((await rows({ status: 'denied', view: 'working' }))).toEqual([]);
    expect((await rows({ symbol: 'MSFT' })).map((r) => r.id)).toEqual([rejected.id]);
    expect((await rows({ side: 'BUY' })).every((r) => r.side === 'BUY')).toBe(true);
    expect((await rows({ side: 'BUY' })).length).toBe(3);
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'America/New_York' }).format(new Date());
    expect((await rows({ from: today, to: today })).length).toBe(all.length);
    const tomorrow = new Date(Date.parse(`${today}T12:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
    expect(await rows({ from: tomorrow })).toEqual([]);
    expect(newYorkMidnight('2025-06-04').toISOString()).toBe('2025-06-04T04:00:00.000Z');
    expect(newYorkMidnight('2025-12-01').toISOString()).toBe('2025-12-01T05:00:00.000Z');

    // Pages of 2 walk the same rows in the same order, each once.
    const paged: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await listOrders(rt.deps, { filter: { view: 'all' }, limit: 2, cursor });
      paged.push(...page.rows.map((r) => r.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(paged).toEqual(all.map((r) => r.id));
    await expect(listOrders(rt.deps, { filter: { view: 'all' }, limit: 2, cursor: 'garbage' })).rejects.toBeInstanceOf(RangeError);

    let csv = '';
    for await (const chunk of ordersCsv(rt.deps, { view: 'all', symbol: 'MSFT' })) csv += chunk;
    const lines = csv.trimEnd().split('\r\n');
    expect(lines[0]).toBe('decided_at,symbol,side,strategy,status,qty,filled_qty,avg_fill_price,ref_price,bar_ts,client_order_id,submitted_at,why_kind,why_code,why_message,exit_reason,decision_id');
    expect(lines).toHaveLength(2);
    const cells = lines[1]!.split(',');
    expect(cells.slice(1, 10)).toEqual(['MSFT', 'BUY', 'test-4', 'rejected', '25', '0', '', '400', '2025-06-04T14:10:00.000Z']);
    expect(cells[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    let everything = '';
    for await (const chunk of ordersCsv(rt.deps, { view: 'all' }, 3)) everything += chunk;
    expect(everything.trimEnd().split('\r\n')).toHaveLength(4); // header + the cap
  });
});
