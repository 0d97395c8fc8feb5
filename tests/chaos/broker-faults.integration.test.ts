// One pipeline (execution, the broker's trade_updates stream, portfolio) against the local Alpaca-compatible server
// through every broker fault in turn: a 5xx burst, a 429 storm, order POSTs black-holed (created at the broker, the
// answer never arrives), the stream dropped while fills happen (missed events), then duplicate and out-of-order
// events with partial fills and the exits. After each phase and at the end: one broker order per intent, our
// positions, realized P&L and cash exactly the broker's, and reconciliation finds nothing left to repair.
// CHAOS_FULL=1 (`npm run chaos`): more intents per phase.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRuntime, type TestRuntime } from '@ai-trader/adapters/testing';
import { startFakeAlpaca, type FakeAlpaca } from '@ai-trader/adapters/testing/fake-alpaca';
import { checkRisk, clientOrderIdFor, getTradingState, ingestBar, lastReconciliation, reconcile } from '@ai-trader/core';
import { dec } from '@ai-trader/domain';
import { startPipeline, type Pipeline } from '@ai-trader/workers';
import { until } from '../helpers/processes.ts';

const FULL = process.env.CHAOS_FULL === '1';
const PER_PHASE = FULL ? 30 : 6;
const KEY = `PK${randomBytes(8).toString('hex').toUpperCase()}`;
const SECRET = `sk-${randomBytes(16).toString('hex')}`;
const SYMBOLS = ['SPY', 'QQQ', 'IWM'];
const ENTRY = '100';
const EXIT = '104';

describe('broker faults through one pipeline', { timeout: FULL ? 400_000 : 120_000 }, () => {
  let rt: TestRuntime;
  let fake: FakeAlpaca;
  let pipeline: Pipeline | undefined;
  let made = 0;
  let phaseStart = 0;
  beforeAll(async () => {
    fake = await startFakeAlpaca({ keyId: KEY, secretKey: SECRET, cash: '100000000', prices: Object.fromEntries(SYMBOLS.map((s) => [s, ENTRY])), rateLimit: null });
    rt = await createTestRuntime('chaosbroker', {
      BROKER: 'alpaca', ALPACA_KEY_ID: KEY, ALPACA_SECRET_KEY: SECRET, ALPACA_BASE_URL: fake.restUrl, ALPACA_STREAM_URL: fake.wsUrl,
      // The bars are ingested once at the start: the full run's phases outlast the default freshness limit.
      STALE_AFTER_SECONDS: '86400',
      ORDER_NOTIONAL: '1000', SIM_STARTING_CASH: '100000000', RISK_MAX_OPEN_ORDERS: '10000', RISK_MAX_ORDERS_PER_MINUTE: '10000',
      RISK_MAX_POSITION_NOTIONAL: '100000000', RISK_MAX_GROSS_EXPOSURE: '100000000', RISK_MAX_NET_EXPOSURE: '100000000',
    });
    for (const symbol of SYMBOLS) await bar(symbol, '2025-06-04T14:00:00Z', ENTRY);
    pipeline = await startPipeline(rt, ['execution', 'broker', 'portfolio'], { feed: false });
    phaseStart = Date.now();
  });
  afterAll(async () => {
    await pipeline?.close();
    await rt?.cleanup();
    await fake?.close();
  });

  const bar = (symbol: string, ts: string, px: string) =>
    ingestBar(rt.deps, { symbol, timeframe: '5m', ts, open: px, high: px, low: px, close: px, volume: '1000', source: 'test' });
  /** n approved intents (risk in this process; the pipeline submits them), each of its own strategy. */
  async function intents(n: number, side: 'BUY' | 'SELL' = 'BUY', price = ENTRY) {
    for (let i = 0; i < n; i++) {
      const s = await rt.deps.prisma.signal.create({ data: { strategy: `fault-${made}`, symbol: SYMBOLS[i % SYMBOLS.length]!, barTs: new Date(side === 'BUY' ? '2025-06-04T14:00:00Z' : '2025-06-04T14:05:00Z'), side, price, detail: {} } });
      const d = await checkRisk(rt.deps, { signalId: s.id });
      expect(d.outcome, d.message ?? '').toBe('APPROVED');
      made++;
    }
  }
  /** Every intent submitted once, every order done in our books, our positions, P&L and cash the broker's. */
  async function settled(what: string) {
    const p = rt.deps.prisma;
    // A long storm (the full run's 30 429s in a row) can outlast a job's own retries: the outbox sweep requeues it.
    await until(`${what}: every intent submitted and every order filled`, async () =>
      (await p.orderIntent.count({ where: { status: 'SUBMITTED' } })) === made && (await p.order.count({ where: { status: { not: 'filled' } } })) === 0, FULL ? 240_000 : 60_000,
    ).catch(async (e: Error) => {
      throw new Error(`${e.message}: ${JSON.stringify(await p.orderIntent.groupBy({ by: ['status'], _count: true }))} ${JSON.stringify(await p.order.groupBy({ by: ['status'], _count: true }))}`);
    });
    await until(`${what}: positions equal to the broker's`, async () => {
      const ours = (await p.position.findMany({ where: { qty: { not: 0 } }, orderBy: { symbol: 'asc' } })).map((x) => `${x.symbol} ${x.qty.toFixed()}`);
      return JSON.stringify(ours) === JSON.stringify(fake.positions().filter((x) => x.qty !== '0').map((x) => `${x.symbol} ${x.qty}`).sort());
    }, 20_000);
    const theirs = fake.orders();
    expect(theirs, what).toHaveLength(made);
    expect(new Set(theirs.map((o) => o.client_order_id)).size, what).toBe(made);
    const rows = await p.orderIntent.findMany({ include: { order: { include: { fills: true } } } });
    const byCid = new Map(theirs.map((o) => [o.client_order_id, o]));
    for (const i of rows) {
      const o = byCid.get(clientOrderIdFor(i.id));
      expect(o, `${what}: intent ${i.id} has no broker order`).toBeDefined();
      expect(i.order!.brokerOrderId).toBe(o!.id);
      expect(i.order!.fills.reduce((n, f) => n.plus(f.qty.toString()), dec(0)).toFixed(), `${what}: fills of ${o!.client_order_id}`).toBe(dec(o!.filled_qty).toFixed());
    }
    const cash = (await p.portfolioAccount.findUniqueOrThrow({ where: { id: 1 } })).cash;
    expect(dec(cash.toString()).toFixed(2), `${what}: cash`).toBe(dec(fake.cash()).toFixed(2));
    const r = await reconcile(rt.deps);
    expect(r, what).toMatchObject({ clean: true, drift: [], suspect: [] });
    // No false drift on the way: a fault repaired must not have stopped entries (REDUCING) either.
    const state = await getTradingState(p);
    expect(`${state.state} ${state.reason}`, `${what}: ${JSON.stringify(await lastReconciliation(rt.deps))}`).toMatch(/^ACTIVE /);
    console.log(`[chaos] broker faults: ${what} settled in ${Date.now() - phaseStart} ms (${made} intents so far)`);
    phaseStart = Date.now();
    return r;
  }
  const posts = () => fake.requests.filter((r) => r.method === 'POST' && r.path === '/v2/orders');

  it('a 5xx burst on order POSTs: retried, each order placed once', async () => {
    fake.faults.failNext(PER_PHASE, { method: 'POST', path: '/v2/orders', status: 503 });
    await intents(PER_PHASE);
    await settled('5xx burst');
    expect(posts().filter((r) => r.status === 503)).toHaveLength(PER_PHASE);
  });

  it('a 429 storm: waited out, each order placed once', async () => {
    // The storm meets the submissions, not the risk checks here (they ask the broker's clock): submissions wait.
    const submit = rt.queues.queues.get('execution.submit')!;
    await submit.pause();
    await intents(PER_PHASE);
    const from = fake.requests.length;
    fake.faults.rateLimitNext(PER_PHASE);
    await submit.resume();
    await settled('429 storm');
    expect(fake.requests.slice(from).filter((r) => r.status === 429)).toHaveLength(PER_PHASE);
  });

  it('black-holed order POSTs (created at the broker, no answer): found again by client order id, no duplicate', async () => {
    const from = posts().length;
    fake.faults.blackholeNextOrders(Math.max(2, PER_PHASE / 2));
    await intents(PER_PHASE);
    await settled('black-holed POSTs');
    const mine = posts().slice(from);
    expect(mine.filter((r) => r.status === null).length).toBe(Math.max(2, PER_PHASE / 2));
    expect(mine.filter((r) => r.status === 422).length).toBeGreaterThanOrEqual(1); // the repeat the broker refused: it has the order
  });

  it('the stream dropped while fills happen: the missed fills are repaired from the broker', async () => {
    fake.setStreamAvailable(false);
    await intents(PER_PHASE);
    await until('the broker to fill the orders nobody hears of', async () => fake.orders().filter((o) => o.status === 'filled').length === made, 30_000);
    const missed = await rt.deps.prisma.order.count({ where: { status: { not: 'filled' } } });
    expect(missed).toBeGreaterThan(0); // our books really are behind while the stream is down
    fake.setStreamAvailable(true);
    await settled('stream dropped');
    console.log(`[chaos] broker faults: ${missed} orders' fills missed while the stream was down, repaired`);
  });

  it('duplicate and out-of-order events, partial fills, then the exits: positions and realized P&L exact', async () => {
    fake.setStreamFaults({ duplicate: true, reorder: true });
    for (const s of SYMBOLS) fake.scriptFills(s, ['3', '4', '3']); // each of the next orders in three fills
    await intents(SYMBOLS.length);
    await settled('duplicate and reordered fills');
    // The exits at a higher price: each sells the whole position, in two fills, events doubled and reversed.
    const held = new Map((await rt.deps.prisma.position.findMany()).map((x) => [x.symbol, dec(x.qty.toString())]));
    for (const s of SYMBOLS) {
      fake.setPrice(s, EXIT);
      await bar(s, '2025-06-04T14:05:00Z', EXIT);
      const q = held.get(s)!;
      fake.scriptFills(s, [q.minus(1).toFixed(), '1']);
    }
    await intents(SYMBOLS.length, 'SELL', EXIT);
    await settled('exits with duplicate and reordered fills');
    fake.setStreamFaults({ duplicate: false, reorder: false });
    for (const x of await rt.deps.prisma.position.findMany({ orderBy: { symbol: 'asc' } })) {
      expect(x.qty.toFixed()).toBe('0');
      // Every share bought at 100 and sold at 104: realized exactly 4 per share, once.
      expect(x.realizedPnl.toFixed(), x.symbol).toBe(held.get(x.symbol)!.times(dec(EXIT).minus(ENTRY)).toFixed());
    }
    console.log(`[chaos] broker faults: ${made} intents through 5xx, 429, black-holed POSTs, a dropped stream and doubled/reordered events; ${posts().length} order POSTs`);
  });
});
