// The simulated broker over real Postgres: refusals for Alpaca's causes in Alpaca's words, idempotent orders,
// partial fills under the volume cap, slippage to the cent, positions and cash, restart survival, market clock,
// fault injection and latency.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { TBar } from '@ai-trader/contracts';
import type { Clock, SubmitOrderRequest } from '@ai-trader/core';
import { dec } from '@ai-trader/domain';
import { classifyRefusal } from '../alpaca/alpaca-error.ts';
import { createTestRuntime, type TestRuntime } from '../testing/test-runtime.ts';
import { SimBroker, SimBrokerError, type SimBrokerOptions } from './sim-broker.ts';

const OPEN_TS = '2025-06-04T13:30:00Z'; // Wednesday 09:30 New York
const bar = (symbol: string, ts: string, open: string, volume = '1000'): TBar => ({ symbol, timeframe: '5m', ts, open, high: open, low: open, close: open, volume, source: 'test' });
const at = (minutesAfterOpen: number) => new Date(Date.parse(OPEN_TS) + minutesAfterOpen * 60_000).toISOString();

describe('simulated broker', () => {
  let rt: TestRuntime;
  let now = new Date('2025-06-04T14:00:00Z');
  const clock: Clock = { now: () => now };
  let n = 0;
  const order = (symbol: string, side: 'BUY' | 'SELL', qty: string, clientOrderId = `ait-test-${++n}`): SubmitOrderRequest => ({ clientOrderId, symbol, side, qty, type: 'market' });
  const sim = (o: Partial<SimBrokerOptions> = {}) =>
    new SimBroker(rt.deps.prisma, clock, {
      startingCash: '100000', marketTime: 'clock', slippageBps: 0, maxVolumePct: 10, maxPositionQty: null, latencyMs: { min: 0, max: 0 },
      rejectRate: 0, failRate: 0, faultSeed: 'test', ...o,
    });
  const storeBar = (b: TBar, table = 'market_data_5m') =>
    rt.deps.pool.query(`INSERT INTO ${table} (symbol, ts, open, high, low, close, volume, source) VALUES ($1, $2, $3, $3, $3, $3, $4, 'test')`, [b.symbol, b.ts, b.open, b.volume]);

  beforeAll(async () => {
    rt = await createTestRuntime('simbroker');
    await storeBar(bar('SPY', OPEN_TS, '600'));
    await storeBar(bar('QQQ', OPEN_TS, '500'));
    await storeBar(bar('MINI', '2025-06-04T13:31:00Z', '10'), 'market_data_1m'); // minutes only
  });
  afterAll(async () => rt?.cleanup());
  beforeEach(async () => {
    now = new Date('2025-06-04T14:00:00Z');
    await rt.deps.prisma.$executeRawUnsafe('TRUNCATE sim_executions, sim_orders, sim_positions, sim_account');
    await sim().init();
  });

  it('refuses for each of Alpaca\'s causes, in its words, and answers a repeat the same way', async () => {
    const b = sim({ maxPositionQty: '150' });
    const refused = async (req: SubmitOrderRequest, cause: string, words: string) => {
      const ack = await b.submitOrder(req);
      expect(ack, words).toMatchObject({ status: 'rejected', cause });
      expect(ack.reason).toContain(words);
      // AlpacaBroker reports "cause: Alpaca's message"; Alpaca's classifier reads the message as the same cause.
      expect(ack.reason!.startsWith(`${cause}: `)).toBe(true);
      expect(classifyRefusal(403, ack.reason!.slice(cause.length + 2))).toBe(cause);
      expect(await b.submitOrder(req)).toEqual(ack); // a repeat: the same order, the same answer
      return ack;
    };
    await refused(order('NOPE', 'BUY', '1'), 'not_tradable', 'asset "NOPE" not found');
    await refused(order('SPY', 'BUY', '0'), 'rejected', 'qty must be > 0');
    await refused(order('SPY', 'SELL', '1'), 'rejected', 'insufficient qty available for order (requested: 1, available: 0)');
    await refused(order('SPY', 'BUY', '200'), 'insufficient_buying_power', 'insufficient buying power (buying_power 100000.00, cost_basis 120000.00)');
    // An open BUY reserves its cost: 100 × 600 accepted leaves 40 000; and counts towards the position limit.
    expect(await b.submitOrder(order('SPY', 'BUY', '100'))).toMatchObject({ status: 'accepted' });
    await refused(order('SPY', 'BUY', '51'), 'position_limit', 'position limit exceeded: |position| may not exceed 150 shares');
    await refused(order('QQQ', 'BUY', '81'), 'insufficient_buying_power', 'buying_power 40000.00, cost_basis 40500.00');
    expect(await b.submitOrder(order('QQQ', 'BUY', '80'))).toMatchObject({ status: 'accepted' });
    now = new Date('2025-06-04T21:00:00Z'); // 17:00 New York
    await refused(order('SPY', 'BUY', '1'), 'market_closed', 'market is closed (sim market time 2025-06-04T21:00:00.000Z, next open 2025-06-05T13:30:00.000Z)');
    const rejected = await rt.deps.prisma.simOrder.findMany({ where: { status: 'rejected' } });
    expect(rejected.map((o) => o.rejectCause).sort()).toEqual(['insufficient_buying_power', 'insufficient_buying_power', 'market_closed', 'not_tradable', 'position_limit', 'rejected', 'rejected']);
  });

  it('books an order once per client_order_id, also when the same id arrives concurrently', async () => {
    const b = sim();
    const req = order('SPY', 'BUY', '10');
    const first = await b.submitOrder(req);
    expect(first.status).toBe('accepted');
    const again = await Promise.all(Array.from({ length: 5 }, () => b.submitOrder(req)));
    expect(new Set(again.map((a) => a.brokerOrderId))).toEqual(new Set([first.brokerOrderId]));
    const racing = order('SPY', 'BUY', '10');
    const acks = await Promise.all(Array.from({ length: 5 }, () => sim().submitOrder(racing)));
    expect(new Set(acks.map((a) => a.brokerOrderId)).size).toBe(1);
    expect(await rt.deps.prisma.simOrder.count()).toBe(2);
  });

  it('fills under the volume cap across bars, oldest first, with slippage to the cent; books positions and cash', async () => {
    const b = sim({ slippageBps: 7, maxVolumePct: 10 });
    const big = await b.submitOrder(order('SPY', 'BUY', '120'));
    const small = await b.submitOrder(order('SPY', 'BUY', '20'));
    // volume 500 → 50 shares a bar, the older order first.
    const u1 = await b.onMarketBar(bar('SPY', at(5), '600', '500'));
    expect(u1.map((u) => [u.event, u.brokerOrderId, u.qty, u.price])).toEqual([['partial_fill', big.brokerOrderId, '50', '600.42']]); // 600 × 1.0007
    const u2 = await b.onMarketBar(bar('SPY', at(10), '601.13', '500'));
    expect(u2.map((u) => [u.event, u.qty, u.price])).toEqual([['partial_fill', '50', '601.55']]); // 601.550791
    const u3 = await b.onMarketBar(bar('SPY', at(15), '599.99', '500'));
    expect(u3.map((u) => [u.event, u.brokerOrderId, u.qty, u.price])).toEqual([
      ['fill', big.brokerOrderId, '20', '600.41'], // 600.409993
      ['fill', small.brokerOrderId, '20', '600.41'],
    ]);
    // Re-running a bar fills nothing more and reports the same executions.
    expect(await b.onMarketBar(bar('SPY', at(10), '601.13', '500'))).toEqual(u2);
    const ids = [...u1, ...u2, ...u3].map((u) => u.executionId);
    expect(new Set(ids).size).toBe(4);
    expect(await rt.deps.prisma.simExecution.count()).toBe(4);

    // 140 held at (50 × 600.42 + 50 × 601.55 + 40 × 600.41) / 140; cash paid exactly that.
    const cost = dec('30021').plus('30077.5').plus('24016.4');
    expect(await b.positions()).toEqual([{ symbol: 'SPY', qty: '140', avgEntryPrice: cost.div(140).toDecimalPlaces(6).toFixed() }]);
    expect((await b.account()).cash).toBe(dec(100000).minus(cost).toFixed());

    // A sell receives less; the average cost stays; a sell beyond what is held and not already being sold is refused.
    const sell = await b.submitOrder(order('SPY', 'SELL', '100'));
    expect(await b.submitOrder(order('SPY', 'SELL', '41'))).toMatchObject({ status: 'rejected', reason: 'rejected: insufficient qty available for order (requested: 41, available: 40)' });
    const s1 = await b.onMarketBar(bar('SPY', at(20), '601.13', '5000'));
    expect(s1.map((u) => [u.event, u.brokerOrderId, u.qty, u.price])).toEqual([['fill', sell.brokerOrderId, '100', '600.71']]); // 600.709209
    expect(await b.positions()).toEqual([{ symbol: 'SPY', qty: '40', avgEntryPrice: cost.div(140).toDecimalPlaces(6).toFixed() }]);
    expect((await b.account()).cash).toBe(dec(100000).minus(cost).plus(dec('600.71').times(100)).toFixed());
    expect(await b.listOpenOrders()).toEqual([]);
  });

  it('fills nothing outside the regular session, nor at a bar without volume', async () => {
    const b = sim();
    await b.submitOrder(order('SPY', 'BUY', '10'));
    expect(await b.onMarketBar(bar('SPY', '2025-06-04T20:00:00Z', '600'))).toEqual([]); // 16:00 New York
    expect(await b.onMarketBar(bar('SPY', at(5), '600', '0'))).toEqual([]);
    expect((await b.onMarketBar(bar('SPY', at(10), '600'))).map((u) => u.event)).toEqual(['fill']);
  });

  it('keeps its books across a restart: a new SimBroker over the same database carries on', async () => {
    const before = sim({ maxVolumePct: 10 });
    const req = order('SPY', 'BUY', '150');
    const ack = await before.submitOrder(req);
    await before.onMarketBar(bar('SPY', at(5), '600'));
    const after = sim({ maxVolumePct: 100 });
    expect(await after.submitOrder(req)).toEqual(ack);
    expect((await after.onMarketBar(bar('SPY', at(5), '600'))).map((u) => u.qty)).toEqual(['100']); // that bar filled it once already
    expect(await after.listOpenOrders()).toEqual([{ clientOrderId: req.clientOrderId, brokerOrderId: ack.brokerOrderId, symbol: 'SPY', side: 'BUY', qty: '150', filledQty: '100', status: 'partially_filled' }]);
    expect(await after.positions()).toEqual([{ symbol: 'SPY', qty: '100', avgEntryPrice: '600' }]);
    expect(await after.account()).toMatchObject({ cash: '40000', buyingPower: '10000' }); // 50 still reserved at 600
    await after.init(); // never resets the account
    expect((await after.onMarketBar(bar('SPY', at(10), '601'))).map((u) => [u.event, u.qty])).toEqual([['fill', '50']]);
    expect(await after.account()).toMatchObject({ cash: '9950', buyingPower: '9950' });
    // What reconciliation replays: the fills since a time, and what ended for the orders asked about.
    const canceledReq = order('SPY', 'BUY', '1');
    await after.submitOrder(canceledReq);
    expect((await after.cancelAllOrders()).map((u) => u.clientOrderId)).toEqual([canceledReq.clientOrderId]);
    const since = await after.tradeUpdatesSince('2000-01-01T00:00:00Z', [canceledReq.clientOrderId]);
    expect(since.map((u) => `${u.event} ${u.qty ?? ''}`)).toEqual(['partial_fill 100', 'fill 50', 'canceled ']);
  });

  it('has the NYSE clock at the Clock\'s time when live, and the time of its bars when driven by them', async () => {
    const live = sim({ marketTime: 'clock' });
    expect(await live.marketClock!()).toEqual({ isOpen: true, nextOpen: '2025-06-05T13:30:00.000Z', nextClose: '2025-06-04T20:00:00.000Z' });
    now = new Date('2025-06-07T15:00:00Z'); // Saturday
    expect((await live.marketClock!()).isOpen).toBe(false);

    now = new Date('2030-01-01T03:00:00Z'); // the wall clock of a replay: irrelevant to a market driven by bars
    const replay = sim({ marketTime: 'bars' });
    expect(replay.marketClock).toBeUndefined(); // risk then judges each signal at its bar's time
    expect((await replay.account()).marketTime).toBeNull();
    expect(await replay.submitOrder(order('SPY', 'BUY', '1'))).toMatchObject({ status: 'accepted' }); // no bar shown yet: no hours to judge by
    await replay.onMarketBar(bar('SPY', at(5), '600'));
    expect(await replay.account()).toMatchObject({ marketTime: '2025-06-04T13:35:00.000Z', clock: { isOpen: true } });
    expect(await replay.submitOrder(order('SPY', 'BUY', '1'))).toMatchObject({ status: 'accepted' });
    await replay.onMarketBar(bar('SPY', '2025-06-04T20:00:00Z', '600')); // an after-hours bar
    expect(await replay.submitOrder(order('SPY', 'BUY', '1'))).toMatchObject({ status: 'rejected', cause: 'market_closed' });
    await replay.onMarketBar(bar('SPY', at(10), '600')); // an older bar does not turn the time back
    expect((await replay.account()).marketTime).toBe('2025-06-04T20:00:00.000Z');
  });

  it('driven by bars, fills an order only on a bar after the one it was decided on (never at a price it could not have had)', async () => {
    const replay = sim({ marketTime: 'bars' });
    await replay.onMarketBar(bar('SPY', at(0), '600'));
    // Decided on the 09:35 bar's close; the matching of 09:35 itself may run after the order arrives (it does here).
    const ack = await replay.submitOrder({ ...order('SPY', 'BUY', '1'), marketTs: at(5) });
    expect(ack.status).toBe('accepted');
    expect(await replay.onMarketBar(bar('SPY', at(5), '601'))).toEqual([]);
    const fills = await replay.onMarketBar(bar('SPY', at(10), '602'));
    expect(fills.map((u) => [u.event, u.price, u.at])).toEqual([['fill', '602', new Date(at(10)).toISOString()]]); // at the bar's market time
    // Its market time also judges the session: decided after the close → refused.
    expect(await replay.submitOrder({ ...order('SPY', 'BUY', '1'), marketTs: '2025-06-04T20:05:00Z' })).toMatchObject({ status: 'rejected', cause: 'market_closed' });
  });

  it('closes every position as Alpaca\'s close-all does: orders cancelled, a market close per position at the last price ± slippage', async () => {
    const b = sim({ slippageBps: 10 });
    expect(await b.submitOrder(order('SPY', 'BUY', '10'))).toMatchObject({ status: 'accepted' });
    expect(await b.submitOrder(order('QQQ', 'BUY', '4'))).toMatchObject({ status: 'accepted' });
    await b.onMarketBar(bar('SPY', at(5), '600'));
    await b.onMarketBar(bar('QQQ', at(5), '500'));
    const waiting = await b.submitOrder(order('SPY', 'BUY', '1'));
    const cash = (await b.account()).cash;
    const r = await b.closeAllPositions();
    expect(r.canceled).toEqual([expect.objectContaining({ event: 'canceled', brokerOrderId: waiting.brokerOrderId })]);
    expect(r.closing.map((c) => [c.symbol, c.positionQty, c.ok, c.order?.side, c.order?.qty, c.order?.status])).toEqual([['QQQ', '4', true, 'SELL', '4', 'filled'], ['SPY', '10', true, 'SELL', '10', 'filled']]);
    expect(r.closing[0]!.order!.clientOrderId).toMatch(/^[0-9a-f-]{36}$/); // the broker's own id, as Alpaca's close-all gives
    // The last price is the stored bar's close at the sim's time (600 / 500), less 10 bp for a SELL, to the cent.
    expect(r.fills.map((u) => [u.event, u.qty, u.price, u.brokerOrderId]).sort((x, y) => x[1]!.localeCompare(y[1]!))).toEqual([['fill', '10', '599.4', r.closing[1]!.order!.brokerOrderId], ['fill', '4', '499.5', r.closing[0]!.order!.brokerOrderId]]);
    expect(await b.positions()).toEqual([]);
    expect(await b.listOpenOrders()).toEqual([]);
    expect((await b.account()).cash).toBe(dec(cash).plus('1998').plus('5994').toFixed());
    expect(await b.closeAllPositions()).toEqual({ canceled: [], closing: [], fills: [] }); // again: nothing to do
  });

  it('outside the session leaves the closing orders open; while suspended refuses every new order and every close', async () => {
    const b = sim();
    expect(await b.submitOrder(order('SPY', 'BUY', '2'))).toMatchObject({ status: 'accepted' });
    await b.onMarketBar(bar('SPY', at(5), '600'));
    now = new Date('2025-06-04T21:00:00Z'); // after the close
    const r = await b.closeAllPositions();
    expect(r.fills).toEqual([]);
    expect(r.closing.map((c) => [c.symbol, c.order?.status])).toEqual([['SPY', 'new']]);
    expect((await b.listOpenOrders()).map((o) => [o.clientOrderId, o.status])).toEqual([[r.closing[0]!.order!.clientOrderId, 'new']]);

    expect(await b.isTradingSuspended()).toBe(false);
    expect(await b.suspendTrading(true)).toBe(true);
    expect(await b.isTradingSuspended()).toBe(true);
    now = new Date('2025-06-04T14:00:00Z');
    const refused = await b.submitOrder(order('SPY', 'BUY', '1'));
    expect(refused).toMatchObject({ status: 'rejected', cause: 'rejected', reason: 'rejected: new orders are rejected: trading is suspended by the account owner (suspend_trade)' });
    expect(await b.closeAllPositions()).toMatchObject({ closing: [{ symbol: 'SPY', positionQty: '2', ok: false, reason: 'HTTP 403: new orders are rejected: trading is suspended by the account owner (suspend_trade)' }] });
    expect(await b.suspendTrading(false)).toBe(false);
    expect(await b.submitOrder(order('SPY', 'BUY', '1'))).toMatchObject({ status: 'accepted' });
  });

  it('knows the symbols it has bars of', async () => {
    const b = sim();
    expect(await b.isTradable('SPY')).toBe(true);
    expect(await b.isTradable('MINI')).toBe(true); // minutes only
    expect(await b.isTradable('LATE')).toBe(false);
    await storeBar(bar('LATE', OPEN_TS, '5'));
    expect(await b.isTradable('LATE')).toBe(true); // an unknown symbol is not remembered as unknown
    expect(await b.submitOrder(order('MINI', 'BUY', '10'))).toMatchObject({ status: 'accepted' });
  });

  it('injects faults from a seed: refusals, and broker_down before or after the order is booked', async () => {
    expect(await sim({ rejectRate: 1 }).submitOrder(order('SPY', 'BUY', '1'))).toMatchObject({
      status: 'rejected', cause: 'rejected', reason: 'rejected: order rejected by the simulated broker (fault injection, SIM_REJECT_RATE=1)',
    });
    const flaky = sim({ failRate: 0.5, faultSeed: 'chaos' });
    let lost = 0, notReceived = 0;
    for (let i = 0; i < 40; i++) {
      const req = order('SPY', 'BUY', '1');
      for (let attempt = 0; ; attempt++) {
        try {
          expect((await flaky.submitOrder(req)).status).toBe('accepted');
          break;
        } catch (e) {
          expect(e).toBeInstanceOf(SimBrokerError);
          expect((e as SimBrokerError).kind).toBe('broker_down');
          if ((e as Error).message.includes('answer was lost')) lost++;
          else notReceived++;
          expect(attempt).toBeLessThan(30);
        }
      }
    }
    expect(lost).toBeGreaterThan(0);
    expect(notReceived).toBeGreaterThan(0);
    // Every retry found the order booked by the lost answer: one order per client_order_id.
    expect(await rt.deps.prisma.simOrder.count({ where: { status: 'new' } })).toBe(40);
  });

  it('takes SIM_LATENCY_MS per call', async () => {
    const slow = sim({ latencyMs: { min: 40, max: 60 } });
    const t0 = performance.now();
    await slow.submitOrder(order('SPY', 'BUY', '1'));
    expect(performance.now() - t0).toBeGreaterThanOrEqual(38);
  });
});
