// The Risk page's view over real books: each limit's usage agrees with the facts a risk decision reads (the
// what-if), the breakers show the values they judge and their trips (alerts + audit), and the what-if judges
// the session at the simulated market's time. Called through the tRPC router with an actor, as the console does.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRuntime, type TestRuntime } from '@ai-trader/adapters/testing';
import { LiveHub, appRouter } from '@ai-trader/api';
import type { TActor, TLimitGauge, TRiskView } from '@ai-trader/contracts';
import { checkBreakers, checkRisk, getRiskView, ingestBar, whatIfOrder, type Clock } from '@ai-trader/core';

const bar = (symbol: string, ts: string, px: string) => ({ symbol, timeframe: '5m' as const, ts, open: px, high: px, low: px, close: px, volume: '1000', source: 'test' });
const viewer: TActor = { id: 'v1', email: 'viewer@example.com', role: 'viewer' };

describe('risk view', () => {
  let rt: TestRuntime;
  let live: LiveHub;
  let now = new Date('2025-06-04T14:00:00Z'); // Wednesday 10:00 New York: the session is open
  const clock: Clock = { now: () => now };
  const caller = (actor: TActor | null) => appRouter.createCaller({ deps: rt.deps, live, actor });
  const limit = (v: TRiskView, key: string): TLimitGauge => v.limits.find((g) => g.key === key)!;
  const breaker = (v: TRiskView, name: string) => v.breakers.find((b) => b.name === name)!;

  beforeAll(async () => {
    rt = await createTestRuntime('riskview', {
      RISK_MAX_OPEN_ORDERS: '5', RISK_MAX_ORDERS_PER_MINUTE: '10', RISK_DAILY_LOSS_LIMIT: '2000', RISK_MAX_DRAWDOWN_PCT: '10', RISK_MAX_CONSECUTIVE_REJECTS: '3',
    });
    rt.deps.clock = clock;
    live = new LiveHub(rt.config.REDIS_URL, rt.config.REDIS_PREFIX);
    for (const s of ['SPY', 'QQQ', 'AAPL']) await ingestBar(rt.deps, bar(s, '2025-06-04T13:55:00Z', '100'));
  });
  afterAll(async () => {
    await live?.close();
    await rt?.cleanup();
  });

  it('refuses anonymous callers; a viewer sees every limit at zero on empty books', async () => {
    await expect(caller(null).risk.get()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    const v = await caller(viewer).risk.get();
    expect(v.limits.map((g) => [g.key, g.used, g.limit])).toEqual([
      ['gross_exposure', '0', '200000'], ['net_exposure', '0', '150000'], ['open_orders', '0', '5'], ['orders_per_minute', '0', '10'],
    ]);
    expect(v.account).toEqual({ cash: '100000', buyingPower: '100000', workingBuyNotional: '0', orderNotional: '10000' });
    expect(breaker(v, 'drawdown')).toMatchObject({ armed: false, note: expect.stringContaining('no equity snapshot yet'), trippedToday: false, lastTrip: null });
    expect(breaker(v, 'stale_feed')).toMatchObject({ armed: false, note: 'no feed running: nothing to judge' });
    expect(breaker(v, 'error_rate')).toMatchObject({ armed: false, gauge: { used: '0', limit: '25' } });
    expect(v.reconciliation).toBeNull();
    expect(v.equity).toEqual({ latest: null, dayPnl: null, drawdownPct: null, series: [] });
  });

  it('counts exposure, working orders and the order rate as the risk decision does', async () => {
    await rt.deps.prisma.position.create({ data: { symbol: 'SPY', qty: '100', avgCost: '90', realizedPnl: '0' } });
    await rt.deps.prisma.portfolioAccount.update({ where: { id: 1 }, data: { cash: '91000' } });
    const signal = await rt.deps.prisma.signal.create({ data: { strategy: 'a', symbol: 'QQQ', barTs: new Date('2025-06-04T13:55:00Z'), side: 'BUY', price: '100', detail: {} } });
    expect(await checkRisk(rt.deps, { signalId: signal.id })).toMatchObject({ outcome: 'APPROVED' }); // 100 QQQ at 100, working

    const v = await getRiskView(rt.deps);
    const w = await whatIfOrder(rt.deps, { symbol: 'AAPL', side: 'BUY' });
    // 100 SPY at the last price 100, plus the working 10 000 of QQQ.
    expect(limit(v, 'gross_exposure').used).toBe('20000');
    expect(limit(v, 'gross_exposure').used).toBe(w.facts.grossExposure);
    expect(limit(v, 'net_exposure').used).toBe('20000');
    expect(Number(limit(v, 'open_orders').used)).toBe(w.facts.openOrders);
    expect(Number(limit(v, 'orders_per_minute').used)).toBe(w.facts.ordersLastMinute);
    expect([limit(v, 'open_orders').used, limit(v, 'orders_per_minute').used]).toEqual(['1', '1']);
    expect(v.account.buyingPower).toBe(w.facts.buyingPower);
    expect(v.account).toMatchObject({ cash: '91000', buyingPower: '81000', workingBuyNotional: '10000' });
    expect(v.positions).toEqual([
      expect.objectContaining({ symbol: 'SPY', qty: '100', workingBuyQty: '0', lastPrice: '100', notional: '10000', qtyGauge: expect.objectContaining({ used: '100', limit: '1000' }), notionalGauge: expect.objectContaining({ used: '10000', limit: '50000' }) }),
    ]);
    expect(v.recentIntents).toEqual([expect.objectContaining({ symbol: 'QQQ', side: 'BUY', qty: '100', status: 'PENDING', isEntry: true })]);

    now = new Date(now.getTime() + 61_000); // the order-rate window has passed; the order is still working
    const later = await getRiskView(rt.deps);
    expect([limit(later, 'open_orders').used, limit(later, 'orders_per_minute').used]).toEqual(['1', '0']);
  });

  it('shows the breakers’ values from the equity snapshots, their trips as alerts and audit rows', async () => {
    await rt.deps.prisma.orderIntent.updateMany({ data: { status: 'BLOCKED' } }); // nothing working: equity = cash + SPY
    now = new Date('2025-06-04T14:05:00Z');
    await checkBreakers(rt.deps); // 91 000 + 100 × 100 = 101 000: the day's start and the peak
    let v = await getRiskView(rt.deps);
    expect(v.equity.latest).toMatchObject({ day: '2025-06-04', equity: '101000', peak: '101000', dayStart: '101000' });
    expect(breaker(v, 'daily_loss')).toMatchObject({ armed: true, gauge: { used: '0', limit: '2000' } });
    expect(breaker(v, 'drawdown')).toMatchObject({ armed: true, gauge: { used: '0', limit: '10' } });

    now = new Date('2025-06-04T14:10:00Z');
    await ingestBar(rt.deps, bar('SPY', '2025-06-04T14:05:00Z', '75')); // 91 000 + 7 500 = 98 500: −2 500 on the day
    expect((await checkBreakers(rt.deps)).state).toBe('REDUCING');
    v = await caller(viewer).risk.get();
    expect(v.tradingState).toMatchObject({ state: 'REDUCING', changedBy: 'system:breakers' });
    expect(v.equity).toMatchObject({ dayPnl: '-2500', latest: { equity: '98500' } });
    expect(v.equity.drawdownPct).toBeCloseTo(2.4752, 3);
    expect(v.equity.series.map((p) => p.equity)).toEqual(['101000', '98500']); // oldest first
    expect(breaker(v, 'daily_loss')).toMatchObject({ gauge: { used: '2500' }, trippedToday: true, lastTrip: { message: expect.stringMatching(/^daily loss breaker: equity 98500.00 is 2500.00 below/) } });
    expect(breaker(v, 'drawdown')).toMatchObject({ trippedToday: false, lastTrip: null });
    expect(v.trips.map((a) => `${a.level} ${a.key}`)).toEqual(['critical breaker.daily_loss:2025-06-04']);
    expect(v.audit.map((a) => `${a.action} ${a.actorEmail}`)).toEqual(['breaker.daily_loss system:breakers']);
  });

  it('counts broker rejects in a row up to the newest accepted order', async () => {
    const order = async (status: 'filled' | 'rejected', i: number) => {
      const s = await rt.deps.prisma.signal.create({ data: { strategy: 'r', symbol: 'AAPL', barTs: new Date(Date.parse('2025-06-04T13:00:00Z') + i * 300_000), side: 'BUY', price: '100', detail: {} } });
      const d = await rt.deps.prisma.riskDecision.create({ data: { signalId: s.id, outcome: 'APPROVED', message: 'ok' } });
      const intent = await rt.deps.prisma.orderIntent.create({ data: { riskDecisionId: d.id, symbol: 'AAPL', side: 'BUY', qty: '1', refPrice: '100', isEntry: true, status: 'SUBMITTED' } });
      await rt.deps.prisma.order.create({ data: { intentId: intent.id, clientOrderId: `ait-rv-${i}`, broker: 'sim', symbol: 'AAPL', side: 'BUY', qty: '1', status, createdAt: new Date(now.getTime() - (10 - i) * 1000) } });
    };
    await order('filled', 1);
    await order('rejected', 2);
    await order('rejected', 3);
    const v = await getRiskView(rt.deps);
    expect(breaker(v, 'rejects').gauge).toMatchObject({ used: '2', limit: '3' });
    expect(breaker(v, 'error_rate').gauge.detail).toBe('2 of 3 submissions in the last 15 min rejected or failed');
  });

  it('what-if: judges the session at the simulated market’s time, says which, and refuses a bad amount', async () => {
    await rt.deps.prisma.tradingStateRow.update({ where: { id: 1 }, data: { state: 'ACTIVE' } });
    now = new Date('2025-06-04T21:00:00Z'); // 17:00 New York: the wall clock says closed
    await ingestBar(rt.deps, bar('MSFT', '2025-06-04T19:55:00Z', '100')); // arrives now: fresh
    await rt.deps.prisma.simAccount.update({ where: { id: 1 }, data: { marketTs: new Date('2025-06-04T19:55:00Z') } }); // the replay's last bar of the day
    // The use-case itself (the CLI's risk check, trading.whatIf) judges at the same simulated time.
    expect(await whatIfOrder(rt.deps, { symbol: 'MSFT', side: 'BUY' })).toMatchObject({ wouldPass: true, marketTime: '2025-06-04T19:55:00.000Z' });
    const pass = await caller(viewer).risk.whatIf({ symbol: 'MSFT', side: 'BUY' });
    expect(pass).toMatchObject({ wouldPass: true, code: null, qty: '100', marketTime: '2025-06-04T19:55:00.000Z', facts: { marketOpen: true, price: '100' } });
    const collar = await caller(viewer).risk.whatIf({ symbol: 'MSFT', side: 'BUY', price: '110' });
    expect(collar).toMatchObject({ wouldPass: false, code: 'PRICE_COLLAR', qty: null });
    expect(collar.message).toBe('reference price 110 is 10.00 % from the last price 100, collar 5 %');
    expect(await caller(viewer).risk.whatIf({ symbol: 'MSFT', side: 'SELL' })).toMatchObject({ wouldPass: false, code: 'NO_POSITION_TO_EXIT' });
    await expect(caller(viewer).risk.whatIf({ symbol: 'MSFT', side: 'BUY', price: '-1' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(caller(viewer).risk.whatIf({ symbol: 'NOPE', side: 'BUY' })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('no price for NOPE') });
    expect(await rt.deps.prisma.riskDecision.count({ where: { signal: { symbol: 'MSFT' } } })).toBe(0); // nothing written

    await rt.deps.prisma.simAccount.update({ where: { id: 1 }, data: { marketTs: new Date('2025-06-04T20:00:00Z') } }); // 16:00: the session is over
    expect(await caller(viewer).risk.whatIf({ symbol: 'MSFT', side: 'BUY' })).toMatchObject({ wouldPass: false, code: 'MARKET_CLOSED', marketTime: '2025-06-04T20:00:00.000Z' });
  });

  it('pushes a fresh view on a relevant event (live subscription)', async () => {
    const ac = new AbortController();
    const it = (await appRouter.createCaller({ deps: rt.deps, live, actor: viewer }, { signal: ac.signal }).risk.live())[Symbol.asyncIterator]();
    const first = (await it.next()).value as TRiskView;
    const pending = it.next(); // the subscription now listens to the hub
    await new Promise((r) => setTimeout(r, 500));
    await rt.deps.prisma.tradingStateRow.update({ where: { id: 1 }, data: { state: 'HALTED' } });
    await rt.deps.events.publish('trading-state');
    // Well before the 15 s idle refresh: this is the push, not the timer.
    const next = (await Promise.race([pending, new Promise((r) => setTimeout(() => r({ value: 'timed out' }), 5_000))]) as { value: TRiskView }).value;
    expect([first.tradingState.state, next.tradingState.state]).toEqual(['ACTIVE', 'HALTED']);
    ac.abort();
    await it.return?.();
  });
});
