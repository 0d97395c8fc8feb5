// AlpacaBroker against the fake Alpaca: acks accepted or rejected with a cause, failures to reach Alpaca thrown,
// cancel-all reporting what Alpaca confirms, the extras (account, clock, positions, close-all, suspend_trade); and the
// whole path through our books in Postgres — submitIntent (answer lost once), stream updates, a gap repaired by REST,
// HALT — ending with fills, position and cash equal to the broker's, nothing booked twice.
import { randomBytes } from 'node:crypto';
import type { TTradeUpdate } from '@ai-trader/contracts';
import { applyTradeUpdate, haltTrading, submitIntent, UnknownOrderError, type Deps } from '@ai-trader/core';
import { dec } from '@ai-trader/domain';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startFakeAlpaca, type FakeAlpaca, type FakeAlpacaOptions } from '../testing/fake-alpaca.ts';
import { createTestRuntime, type TestRuntime } from '../testing/test-runtime.ts';
import { AlpacaBroker } from './alpaca-broker.ts';
import { AlpacaRest } from './alpaca-rest.ts';
import { AlpacaStream } from './alpaca-stream.ts';
import { AlpacaError } from './alpaca-wire.ts';

const KEY = `PK${randomBytes(8).toString('hex').toUpperCase()}`;
const SECRET = `sk-${randomBytes(16).toString('hex')}`;
const prefix = `t-alpacabroker-${randomBytes(4).toString('hex')}`;
const lines: string[] = [];
const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(s) });
const redis = new Redis(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379');
let fake: FakeAlpaca | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});
afterAll(async () => {
  const found = await redis.keys(`${prefix}*`);
  if (found.length) await redis.del(...found);
  await redis.quit();
});

let accounts = 0;
async function setup(o: Partial<FakeAlpacaOptions> = {}, r: { redis?: Redis; prefix?: string; maxRetries?: number } = {}) {
  fake = await startFakeAlpaca({ keyId: KEY, secretKey: SECRET, prices: { AAPL: '190.5', SPY: '600' }, ...o });
  const rest = new AlpacaRest({
    baseUrl: fake.restUrl, keyId: KEY, secretKey: SECRET, redis: r.redis ?? redis, prefix: r.prefix ?? `${prefix}-${++accounts}`, logger,
    maxRetries: r.maxRetries ?? 3, sleep: async () => {},
  });
  return { rest, broker: new AlpacaBroker({ rest, logger, cancelPollMs: 20 }) };
}
const order = (cid: string, qty = '2', symbol = 'AAPL', side: 'BUY' | 'SELL' = 'BUY') => ({ clientOrderId: cid, symbol, side, qty, type: 'market' as const });
const until = async (pred: () => boolean | Promise<boolean>, ms = 5000) => {
  for (const end = Date.now() + ms; !(await pred()); await new Promise((r) => setTimeout(r, 10))) if (Date.now() > end) throw new Error('condition not met in time');
};

describe('AlpacaBroker as BrokerPort', () => {
  it('accepts an order; the same client_order_id again is the same order', async () => {
    const { broker } = await setup();
    expect(broker.name).toBe('alpaca');
    const ack = await broker.submitOrder(order('ait-a1'));
    expect(ack).toEqual({ brokerOrderId: fake!.orders()[0]!.id, status: 'accepted' });
    expect(await broker.submitOrder(order('ait-a1'))).toEqual(ack);
    expect(fake!.orders()).toHaveLength(1);
    expect(fake!.orders()[0]).toMatchObject({ type: 'market', time_in_force: 'day', side: 'buy', qty: '2' });
  });

  it('acks a refusal as rejected with its cause; no order exists at the broker', async () => {
    const { broker } = await setup({ cash: '100', assets: [{ symbol: 'HALTD', tradable: false }] });
    expect(await broker.submitOrder(order('ait-r1'))).toEqual({ brokerOrderId: 'refused:ait-r1', status: 'rejected', cause: 'insufficient_buying_power', reason: 'insufficient_buying_power: insufficient buying power' });
    expect(await broker.submitOrder(order('ait-r2', '1', 'HALTD'))).toEqual({ brokerOrderId: 'refused:ait-r2', status: 'rejected', cause: 'not_tradable', reason: 'not_tradable: asset "HALTD" is not tradable' });
    expect(await broker.submitOrder(order('ait-r3', '1', 'AAPL', 'SELL'))).toMatchObject({ status: 'rejected', cause: 'rejected', reason: 'rejected: insufficient qty available for order (requested: 1, available: 0)' });
    expect(fake!.orders()).toEqual([]);
  });

  it('throws when Alpaca cannot be reached or refuses the keys (the job retries; the id keeps it one order)', async () => {
    const { broker } = await setup({}, { maxRetries: 1 });
    fake!.faults.failNext(2, { method: 'POST' });
    const down = await broker.submitOrder(order('ait-t1')).then(() => undefined, (e: unknown) => e);
    expect(down).toBeInstanceOf(AlpacaError);
    expect((down as AlpacaError).kind).toBe('broker_down');
    expect(await broker.submitOrder(order('ait-t1'))).toMatchObject({ status: 'accepted' }); // the retry
    expect(fake!.orders()).toHaveLength(1);
    fake!.faults.refuseNextOrder(401, { code: 40110000, message: 'request is not authorized' });
    await expect(broker.submitOrder(order('ait-t2'))).rejects.toMatchObject({ kind: 'auth' });
  });

  it('cancels what is open and reports exactly those; filled orders are not reported', async () => {
    const { broker } = await setup({ clock: { isOpen: false } });
    await broker.submitOrder(order('ait-k1')); // queued: market closed
    await broker.submitOrder(order('ait-k2', '1', 'SPY'));
    expect((await broker.listOpenOrders()).map((o) => [o.clientOrderId, o.side, o.qty, o.filledQty])).toEqual([['ait-k1', 'BUY', '2', '0'], ['ait-k2', 'BUY', '1', '0']]);
    expect([...(await broker.openOrdersByClientId()).keys()]).toEqual(['ait-k1', 'ait-k2']);
    const canceled = await broker.cancelAllOrders();
    expect(canceled.map((u) => [u.event, u.clientOrderId, u.reason])).toEqual([['canceled', 'ait-k1', 'cancel all'], ['canceled', 'ait-k2', 'cancel all']]);
    expect(canceled[0]!.brokerOrderId).toBe(fake!.orders()[0]!.id);
    expect(await broker.listOpenOrders()).toEqual([]);
    expect(await broker.cancelAllOrders()).toEqual([]);
  });

  it('places stop and trailing-stop orders GTC; cancels one by client id and tells canceled from filled first', async () => {
    const { broker } = await setup({ prices: { SPY: '100' } });
    expect(broker.protectiveStops).toBe(true);
    await broker.submitOrder(order('ait-p0', '30', 'SPY'));
    await until(() => fake!.positions()[0]?.qty === '30');
    expect(await broker.submitOrder({ ...order('ait-p1', '10', 'SPY', 'SELL'), type: 'stop', stopPrice: '98', timeInForce: 'gtc' })).toMatchObject({ status: 'accepted' });
    expect(await broker.submitOrder({ ...order('ait-p2', '10', 'SPY', 'SELL'), type: 'trailing_stop', trailPercent: '2.5', timeInForce: 'gtc' })).toMatchObject({ status: 'accepted' });
    expect(fake!.orders().slice(1).map((o) => [o.client_order_id, o.type, o.stop_price, o.trail_percent, o.time_in_force])).toEqual([
      ['ait-p1', 'stop', '98', null, 'gtc'], ['ait-p2', 'trailing_stop', '97.5', '2.5', 'gtc'],
    ]);
    await expect(broker.submitOrder({ ...order('ait-p3', '1', 'SPY', 'SELL'), type: 'stop' })).rejects.toThrow(/stop_price is required/);
    expect(await broker.cancelOrder('ait-p1')).toBe('canceled');
    expect(fake!.orders()[1]!.status).toBe('canceled');
    expect(await broker.cancelOrder('ait-p1')).toBe('canceled'); // already: still canceled, no second DELETE needed
    fake!.setPrice('SPY', '97'); // the trailing stop fills before anyone cancels it
    expect(await broker.cancelOrder('ait-p2')).toBe('not_open');
    expect(await broker.cancelOrder('ait-never-sent')).toBe('canceled');
    expect(fake!.requests.filter((r) => r.method === 'DELETE').map((r) => r.status)).toEqual([204]);
  });

  it('offers account, clock, positions, close-all and suspend_trade', async () => {
    const { broker } = await setup();
    await broker.submitOrder(order('ait-e1', '3'));
    await until(() => fake!.positions().length === 1);
    expect(await broker.account()).toMatchObject({ cash: '99428.5', buyingPower: '99428.5', currency: 'USD', tradeSuspendedByUser: false, tradingBlocked: false });
    expect((await broker.clock()).isOpen).toBe(true);
    expect(await broker.positions()).toEqual([{ symbol: 'AAPL', qty: '3', avgEntryPrice: '190.5', costBasis: '571.5', marketValue: '571.5', currentPrice: '190.5', unrealizedPl: '0' }]);

    expect(await broker.suspendTrading(true)).toBe(true);
    expect((await broker.account()).tradeSuspendedByUser).toBe(true);
    const refused = await broker.submitOrder(order('ait-e2'));
    expect(refused).toMatchObject({ status: 'rejected' });
    expect(refused.reason).toMatch(/^rejected: .*suspend/);
    expect(await broker.suspendTrading(false)).toBe(false);

    expect(await broker.isTradingSuspended()).toBe(false);
    const closed = await broker.closeAllPositions();
    expect(closed).toEqual({ canceled: [], fills: [], closing: [{ symbol: 'AAPL', positionQty: '3', ok: true, order: expect.objectContaining({ symbol: 'AAPL', side: 'SELL', qty: '3' }) }] });
    await until(async () => (await broker.positions()).length === 0);
  });
});

describe('AlpacaBroker through our books (Postgres)', () => {
  let rt: TestRuntime | undefined;
  let stream: AlpacaStream | undefined;
  afterEach(async () => {
    await stream?.close();
    await rt?.cleanup();
  });

  it('submit (answer lost once) → stream → books; a gap repaired from REST; HALT cancels at Alpaca — nothing booked twice', async () => {
    rt = await createTestRuntime('alpacabooks');
    const { broker } = await setup({ prices: { SPY: '600' } }, { redis: rt.deps.redis, prefix: rt.config.REDIS_PREFIX });
    const deps: Deps = { ...rt.deps, broker, logger }; // our logger: HALT's complaints, if any, are seen below
    const p = deps.prisma;
    const applied: Array<[string, string]> = [];
    // As the portfolio job would: an event can overtake the commit of its own order row (UnknownOrderError) and is retried.
    const apply = async (u: TTradeUpdate) => {
      await deps.jobs.add('portfolio.apply', { update: u }); // what the owner will do; its job id (trade-<execution id>) must be acceptable
      for (let attempt = 0; ; attempt++) {
        try {
          return void applied.push([`${u.clientOrderId} ${u.event} ${u.executionId ?? ''}`, await applyTradeUpdate(deps, u)]);
        } catch (e) {
          if (!(e instanceof UnknownOrderError) || attempt > 50) throw e;
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    };
    let openIds: string[] = [];
    stream = new AlpacaStream({
      url: fake!.wsUrl, keyId: KEY, secretKey: SECRET, logger, reconnectBaseMs: 50, reconnectCapMs: 200,
      onUpdate: apply,
      onGap: async (since) => {
        for (const u of await broker.tradeUpdatesSince(since, openIds)) await apply(u);
      },
    });
    await stream.start();

    // Approved intents written directly (signal → APPROVED decision → intent): this test is about the broker, and the
    // risk rules (sessions, collars, …) are not what it checks.
    async function approvedIntent(ts: string, qty = '16') {
      const s = await p.signal.create({ data: { strategy: 'test', symbol: 'SPY', barTs: new Date(ts), side: 'BUY', price: '600', detail: {} } });
      const d = await p.riskDecision.create({
        data: { signalId: s.id, outcome: 'APPROVED', message: 'test', intent: { create: { symbol: 'SPY', side: 'BUY', qty, refPrice: '600', isEntry: true } } },
        include: { intent: true },
      });
      return d.intent!;
    }

    // 1. Live: the first POST's answer is lost; the retry finds the order (one at Alpaca); its fill arrives on the stream.
    const first = await approvedIntent('2025-06-04T13:30:00Z');
    fake!.faults.blackholeNextOrders(1);
    expect(await submitIntent(deps, { intentId: first.id })).toBe('submitted');
    const o1 = await p.order.findUniqueOrThrow({ where: { intentId: first.id } });
    expect(fake!.orders().map((o) => [o.client_order_id, o.id])).toEqual([[o1.clientOrderId, o1.brokerOrderId]]);
    await until(async () => (await p.order.findUniqueOrThrow({ where: { id: o1.id } })).status === 'filled');

    // 2. Gap: the stream is down while a second order fills in two pieces; nobody hears of it.
    fake!.setStreamAvailable(false);
    const second = await approvedIntent('2025-06-04T13:35:00Z');
    fake!.scriptFills('SPY', ['5', '1000']);
    expect(await submitIntent(deps, { intentId: second.id })).toBe('submitted');
    const o2 = await p.order.findUniqueOrThrow({ where: { intentId: second.id } });
    await until(() => fake!.orders().every((o) => o.status === 'filled'));
    expect((await p.order.findUniqueOrThrow({ where: { id: o2.id } })).status).toBe('new');

    // 3. Back: onGap → repair from REST → the missed fills booked; the one already booked comes back as a duplicate.
    openIds = [o2.clientOrderId];
    fake!.setStreamAvailable(true);
    await until(async () => (await p.order.findUniqueOrThrow({ where: { id: o2.id } })).status === 'filled');
    const o1Fill = `${o1.clientOrderId} fill ${o1.brokerOrderId}@${o1.qty.toFixed()}`;
    await until(() => applied.filter(([what]) => what === o1Fill).length === 2);
    expect(applied.filter(([what]) => what === o1Fill).map(([, outcome]) => outcome)).toEqual(['applied', 'duplicate']);

    const fills = await p.fill.findMany();
    expect(fills.map((f) => [f.executionId, f.qty.toFixed()]).sort()).toEqual([
      [`${o1.brokerOrderId}@${o1.qty.toFixed()}`, o1.qty.toFixed()],
      [`${o2.brokerOrderId}@5`, '5'],
      [`${o2.brokerOrderId}@${o2.qty.toFixed()}`, o2.qty.minus(5).toFixed()],
    ].sort());
    const held = o1.qty.plus(o2.qty).toFixed();
    expect(fake!.positions()).toEqual([{ symbol: 'SPY', qty: held, avgEntryPrice: '600' }]);
    expect((await p.position.findUniqueOrThrow({ where: { symbol: 'SPY' } })).qty.toFixed()).toBe(held);
    const spent = dec(held).times(600);
    expect((await p.portfolioAccount.findUniqueOrThrow({ where: { id: 1 } })).cash.toFixed()).toBe(dec(rt.config.SIM_STARTING_CASH).minus(spent).toFixed());
    expect(fake!.cash()).toBe(dec('100000').minus(spent).toFixed());

    // 4. HALT with an order waiting at Alpaca (market closed): cancelled there and in our books, nothing left open.
    fake!.setClock({ isOpen: false });
    const third = await approvedIntent('2025-06-04T13:40:00Z');
    expect(await submitIntent(deps, { intentId: third.id })).toBe('submitted');
    const o3 = await p.order.findUniqueOrThrow({ where: { intentId: third.id } });
    const admin = { id: 'a', email: 'admin@example.com', role: 'admin' as const };
    const halted = await haltTrading(deps, { actor: admin, reason: 'test' });
    expect(halted).toMatchObject({ state: 'HALTED', canceledOrders: [o3.clientOrderId], stillOpen: [] });
    expect((await p.order.findUniqueOrThrow({ where: { id: o3.id } })).status).toBe('canceled');
    expect(fake!.orders().find((o) => o.client_order_id === o3.clientOrderId)?.status).toBe('canceled');
    // The stream's own 'canceled' event and HALT's report of it are one cancellation: one applies, the other is a no-op.
    await until(() => applied.some(([what]) => what.startsWith(`${o3.clientOrderId} canceled`)));
    expect(lines.some((l) => l.includes('could not record a cancellation'))).toBe(false);
    expect(await p.fill.count()).toBe(3);
    const queued = await rt.queues.queues.get('portfolio.apply')!.getJobs(['waiting']);
    expect(queued.map((j) => j.id)).toContain(`trade-${o2.brokerOrderId}@5`);
  });
});

describe('broker failures on our orders (Postgres)', () => {
  let rt: TestRuntime | undefined;
  afterEach(async () => rt?.cleanup());

  it('a refusal is a rejected order with its cause; a broker that stays down fails the intent on the last attempt, with its cause', async () => {
    rt = await createTestRuntime('alpacafail');
    const { broker } = await setup({ cash: '1000', prices: { SPY: '600' }, assets: [{ symbol: 'HALTD', tradable: false }] }, { redis: rt.deps.redis, prefix: rt.config.REDIS_PREFIX, maxRetries: 1 });
    const deps: Deps = { ...rt.deps, broker, logger };
    const p = deps.prisma;
    let n = 0;
    const intent = async (symbol: string, qty: string) => {
      const s = await p.signal.create({ data: { strategy: `test-${++n}`, symbol, barTs: new Date('2025-06-04T14:00:00Z'), side: 'BUY', price: '600', detail: {} } });
      const d = await p.riskDecision.create({
        data: { signalId: s.id, outcome: 'APPROVED', message: 'test', intent: { create: { symbol, side: 'BUY', qty, refPrice: '600', isEntry: true } } },
        include: { intent: true },
      });
      return d.intent!.id;
    };
    const poor = await intent('SPY', '5'); // 3000 > cash 1000
    expect(await submitIntent(deps, { intentId: poor })).toBe('rejected');
    expect(await p.order.findUniqueOrThrow({ where: { intentId: poor } })).toMatchObject({ status: 'rejected', rejectCause: 'insufficient_buying_power' });
    const halted = await intent('HALTD', '1');
    expect(await submitIntent(deps, { intentId: halted })).toBe('rejected');
    expect(await p.order.findUniqueOrThrow({ where: { intentId: halted } })).toMatchObject({ status: 'rejected', rejectCause: 'not_tradable' });

    const down = await intent('SPY', '1');
    fake!.faults.failNext(4, { method: 'POST' });
    // Not the last attempt: thrown for the queue to retry, nothing written.
    await expect(submitIntent(deps, { intentId: down })).rejects.toMatchObject({ kind: 'broker_down' });
    expect(await p.orderIntent.findUniqueOrThrow({ where: { id: down } })).toMatchObject({ status: 'PENDING', failCause: null });
    // The last attempt: FAILED with the cause, logged to the orders log; a later run changes nothing.
    expect(await submitIntent(deps, { intentId: down }, { isLastAttempt: true })).toBe('failed');
    expect(await p.orderIntent.findUniqueOrThrow({ where: { id: down } })).toMatchObject({ status: 'FAILED', failCause: 'broker_down' });
    expect(await submitIntent(deps, { intentId: down })).toBe('failed');
    expect(await p.order.count({ where: { intentId: down } })).toBe(0);
    expect(lines.some((l) => l.includes('"category":"orders"') && l.includes('"cause":"broker_down"'))).toBe(true);
    expect(lines.some((l) => l.includes('"category":"orders"') && l.includes('"cause":"not_tradable"'))).toBe(true);
  });
});

describe('secrets', () => {
  it('never logs the key id or the secret', () => {
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.filter((l) => l.includes(SECRET) || l.includes(KEY))).toEqual([]);
  });
});
