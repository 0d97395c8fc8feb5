// The emergency procedures against the local Alpaca-compatible server (fake Alpaca over HTTP, our real AlpacaRest with
// its limiter and retries): liquidate 100 positions + 200 open orders ends flat and verified with 2 action requests
// (DELETE /v2/orders, DELETE /v2/positions?cancel_orders=true) plus verification, and our books follow; pressed again
// it does nothing; with 429/5xx bursts it retries and ends flat; with a broker that keeps failing it says exactly what
// is still open and why; a HALT under a load of submissions lets no order through after it is acknowledged, and one
// pressed while entries wait for Alpaca's request limit is acknowledged at once and cancels on the reserved requests.
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AlpacaBroker, AlpacaRest } from '@ai-trader/adapters';
import { createTestRuntime, type TestRuntime } from '@ai-trader/adapters/testing';
import { startFakeAlpaca, type FakeAlpaca, type FakeAlpacaOptions } from '@ai-trader/adapters/testing/fake-alpaca';
import { emergencyLiquidate, haltTrading, lastEmergency, submitIntent } from '@ai-trader/core';
import { priceOf, seedAlpacaBook, symbolOf } from './helpers/emergency-books.ts';
import { until } from './helpers/processes.ts';

const keys = { keyId: `PK${randomBytes(8).toString('hex').toUpperCase()}`, secretKey: `sk-${randomBytes(16).toString('hex')}` };
const admin = { id: 'a1', email: 'admin@example.com', role: 'admin' as const };
const prices = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [symbolOf(i), priceOf(i)]));
const shown = (r: { method: string; path: string; status: number | null }) => `${r.method} ${r.path.split('?')[0]} ${r.status}`;

async function stack(name: string, o: Partial<FakeAlpacaOptions>, env: Record<string, string> = {}) {
  const fake = await startFakeAlpaca({ ...keys, cash: '100000000', rateLimit: null, ...o });
  const rt = await createTestRuntime(name, { BROKER: 'alpaca', ALPACA_KEY_ID: keys.keyId, ALPACA_SECRET_KEY: keys.secretKey, ALPACA_BASE_URL: fake.restUrl, ALPACA_STREAM_URL: fake.wsUrl, ...env });
  return { fake, rt };
}

describe('emergency liquidate at Alpaca', () => {
  let fake: FakeAlpaca;
  let rt: TestRuntime;
  beforeAll(async () => {
    ({ fake, rt } = await stack('liqalpaca', { prices: prices(100) }));
  });
  afterAll(async () => {
    await rt?.cleanup();
    await fake?.close();
  });

  it('100 positions and 200 open orders: flat and verified with two action requests, our books exact', async () => {
    const p = rt.deps.prisma;
    await seedAlpacaBook(rt.deps, fake, keys, { positions: 100, openOrders: 200 });
    await until('the fake to fill the seeded buys', async () => fake.positions().length === 100);
    const from = fake.requests.length;
    const r = await emergencyLiquidate(rt.deps, { actor: admin, reason: 'drill at Alpaca' });

    expect(r).toMatchObject({ flat: true, nothingToDo: false, canceledOrders: 200, stillOpen: { orders: [], positions: [] }, books: { flat: true, positions: [], fillsBooked: 100 } });
    expect(r.closing).toHaveLength(100);
    expect(r.closing.every((c) => c.side === 'SELL' && c.positionQty === '10' && c.error === null && c.clientOrderId)).toBe(true);
    const asked = fake.requests.slice(from);
    expect(asked.filter((q) => q.method !== 'GET').map(shown)).toEqual(['DELETE /v2/orders 207', 'DELETE /v2/positions 207']);
    expect(asked.find((q) => q.method === 'DELETE' && q.path.startsWith('/v2/positions'))!.path).toBe('/v2/positions?cancel_orders=true');
    // Verification (open orders, positions) and the listing of the fills to book (a page per 100 activities): nothing
    // looked up order by order.
    expect(new Set(asked.filter((q) => q.method === 'GET').map((q) => q.path.split('?')[0]))).toEqual(new Set(['/v2/account/activities', '/v2/orders', '/v2/positions']));
    expect(asked.filter((q) => q.method === 'GET' && !q.path.startsWith('/v2/account/activities'))).toHaveLength(2);
    expect(r.brokerCalls).toBe(5);

    expect(fake.positions()).toEqual([]);
    expect(fake.orders().filter((o) => o.client_order_id.startsWith('ait-seed-')).every((o) => o.status === 'canceled')).toBe(true);
    expect(await p.order.groupBy({ by: ['status'], _count: true, orderBy: { status: 'asc' } })).toEqual([{ status: 'filled', _count: 100 }, { status: 'canceled', _count: 200 }]);
    const closing = await p.order.findMany({ where: { status: 'filled' }, include: { fills: true } });
    // Booked under Alpaca's own client order ids, the fills at Alpaca's prices
    expect(new Set(closing.map((o) => o.clientOrderId))).toEqual(new Set(r.closing.map((c) => c.clientOrderId)));
    expect(closing.every((o) => o.broker === 'alpaca' && o.fills.length === 1 && o.fills[0]!.price.toFixed() === priceOf(Number(o.symbol.slice(1))))).toBe(true);
    expect((await p.position.findMany()).every((x) => x.qty.isZero() && x.realizedPnl.isZero())).toBe(true);
  });

  it('pressed again: nothing to do, two harmless requests and the checks', async () => {
    const from = fake.requests.length;
    const orders = fake.orders().length;
    const r = await emergencyLiquidate(rt.deps, { actor: admin, reason: 'again' });
    expect(r).toMatchObject({ flat: true, nothingToDo: true, canceledOrders: 0, closing: [] });
    expect(fake.requests.slice(from).map(shown).sort()).toEqual(['DELETE /v2/orders 207', 'DELETE /v2/positions 207', 'GET /v2/orders 200', 'GET /v2/positions 200']);
    expect(fake.orders()).toHaveLength(orders);
  });
});

describe('emergency liquidate while Alpaca answers 429 and 5xx', () => {
  let fake: FakeAlpaca | undefined;
  let rt: TestRuntime | undefined;
  afterEach(async () => {
    await rt?.cleanup();
    await fake?.close();
  });

  it('retries the bursts (a 429, two 503s, a 503 for one symbol) and ends flat', async () => {
    ({ fake, rt } = await stack('liqburst', { prices: prices(10) }, { LIQUIDATE_VERIFY_TIMEOUT_SECONDS: '15' }));
    await seedAlpacaBook(rt.deps, fake, keys, { positions: 10, openOrders: 20 });
    await until('the fake to fill the seeded buys', async () => fake!.positions().length === 10);
    const from = fake.requests.length;
    fake.faults.rateLimitNext(1, 1); // the cancel-all: 429, come back in a second
    fake.faults.failNext(2, { status: 503, method: 'DELETE', path: '/v2/positions' });
    fake.faults.refuseNextOrder(503, { code: 50010000, message: 'internal error placing the order' }); // the first closing order
    const r = await emergencyLiquidate(rt.deps, { actor: admin, reason: 'drill under faults' });

    expect(r).toMatchObject({ flat: true, canceledOrders: 20, books: { flat: true, fillsBooked: 10 } });
    expect(fake.requests.slice(from).filter((q) => q.method === 'DELETE').map(shown)).toEqual([
      'DELETE /v2/orders 429', 'DELETE /v2/orders 207', 'DELETE /v2/positions 503', 'DELETE /v2/positions 503', 'DELETE /v2/positions 207', 'DELETE /v2/positions 207',
    ]);
    const closingSteps = r.steps.filter((s) => s.step === 'positions-closing');
    expect(closingSteps.map((s) => s.ok)).toEqual([false, true]);
    expect(closingSteps[0]!.detail).toBe('9 closing order(s) placed; refused for S000 (HTTP 503: internal error placing the order)');
    expect(r.closing.find((c) => c.symbol === 'S000')).toMatchObject({ error: null, side: 'SELL' });
    expect(fake.positions()).toEqual([]);
    expect((await rt.deps.prisma.position.findMany()).every((x) => x.qty.isZero())).toBe(true);
  });

  it('a close-all that keeps failing: HALTED, orders cancelled, and exactly what is still open and why', async () => {
    ({ fake, rt } = await stack('liqdown', { prices: prices(2) }, { LIQUIDATE_VERIFY_TIMEOUT_SECONDS: '3' }));
    await seedAlpacaBook(rt.deps, fake, keys, { positions: 2, openOrders: 3 });
    await until('the fake to fill the seeded buys', async () => fake!.positions().length === 2);
    fake.faults.failNext(1000, { status: 503, method: 'DELETE', path: '/v2/positions' });
    const r = await emergencyLiquidate(rt.deps, { actor: admin, reason: 'broker in trouble' });

    expect(r).toMatchObject({ state: 'HALTED', flat: false, canceledOrders: 3, closing: [], stillOpen: { orders: [] } });
    expect(r.stillOpen.positions).toEqual([
      { symbol: 'S000', qty: '10', why: 'the broker placed no closing order for it (the position appeared after the close-all, or the close-all failed)' },
      { symbol: 'S001', qty: '10', why: 'the broker placed no closing order for it (the position appeared after the close-all, or the close-all failed)' },
    ]);
    expect(r.steps.filter((s) => s.step === 'positions-closing').length).toBeGreaterThanOrEqual(2); // asked again while verifying
    expect(r.steps.every((s) => s.step !== 'positions-closing' || (!s.ok && /DELETE \/v2\/positions\?cancel_orders=true failed after 3 attempts; last: HTTP 503/.test(s.detail)))).toBe(true);
    expect(r.books).toMatchObject({ flat: false, positions: [{ symbol: 'S000', qty: '10' }, { symbol: 'S001', qty: '10' }] });
    const audit = await rt.deps.prisma.auditLog.findFirstOrThrow({ where: { action: 'emergency.liquidate' } });
    expect((audit.after as { errors: string[] }).errors[0]).toMatch(/^close all positions: DELETE \/v2\/positions\?cancel_orders=true failed after 3 attempts/);
    expect(await lastEmergency(rt.deps)).toMatchObject({ ok: false, outcome: expect.stringMatching(/^NOT flat at the deadline: 2 position\(s\) still open \(S000 10 — the broker placed no closing order/) });
    expect((await rt.deps.prisma.order.findMany()).every((o) => o.status === 'canceled')).toBe(true);
  });
});

describe('HALT under a load of submissions', () => {
  let fake: FakeAlpaca;
  let rt: TestRuntime;
  beforeAll(async () => {
    // A closed market: orders wait at the broker ("accepted"), so the HALT has something to cancel.
    ({ fake, rt } = await stack('haltload', { prices: prices(120), clock: { isOpen: false }, closedMarket: 'queue', orderAnswerDelayMs: [15, 30] }));
  });
  afterAll(async () => {
    await rt?.cleanup();
    await fake?.close();
  });

  it('accepts no new order at the broker once the HALT is acknowledged', async () => {
    const p = rt.deps.prisma;
    const intents: string[] = [];
    for (let i = 0; i < 120; i++) {
      const s = await p.signal.create({ data: { strategy: 'load', symbol: symbolOf(i), barTs: new Date('2025-06-04T14:00:00Z'), side: 'BUY', price: priceOf(i), detail: {} } });
      const d = await p.riskDecision.create({ data: { signalId: s.id, outcome: 'APPROVED', message: 'load' } });
      intents.push((await p.orderIntent.create({ data: { riskDecisionId: d.id, symbol: symbolOf(i), side: 'BUY', qty: '1', refPrice: priceOf(i), isEntry: true } })).id);
    }
    let next = 0;
    const submitting = Promise.all(Array.from({ length: 6 }, async () => { // six execution workers
      while (next < intents.length) await submitIntent(rt.deps, { intentId: intents[next++]! });
    }));
    while (fake.requests.filter((q) => q.method === 'POST').length < 10) await new Promise((r) => setTimeout(r, 2));
    let acknowledged = 0;
    const pressed = performance.timeOrigin + performance.now();
    const halt = await haltTrading(rt.deps, { actor: admin, reason: 'halt under load', onStep: (s) => { if (s.step === 'halted') acknowledged = performance.timeOrigin + performance.now(); } });
    await submitting;

    const posts = fake.requests.filter((q) => q.method === 'POST' && q.path === '/v2/orders');
    expect(acknowledged).toBeGreaterThan(0);
    expect(posts.filter((q) => q.at >= acknowledged)).toEqual([]);
    // Between the press and the commit only the submissions already in flight (6 at a time) may still go out: the
    // HALT waits for them, not for the queue behind them (a stream of submitters must not starve it).
    expect(posts.filter((q) => q.at >= pressed).length).toBeLessThanOrEqual(6);
    const byStatus = Object.fromEntries((await p.orderIntent.groupBy({ by: ['status'], _count: true })).map((g) => [g.status, g._count]));
    expect(byStatus.SUBMITTED).toBe(posts.length);
    expect(byStatus.BLOCKED).toBe(120 - posts.length);
    expect(byStatus.BLOCKED).toBeGreaterThan(0);
    // Everything that did reach the broker was cancelled by the HALT, there and in our books.
    expect(fake.orders().every((o) => o.status === 'canceled')).toBe(true);
    expect(halt.canceledOrders).toHaveLength(posts.length);
    expect(halt.stillOpen).toEqual([]);
    expect(await p.order.count({ where: { status: { not: 'canceled' } } })).toBe(0);
  });
});

describe('HALT while entries wait for the request limit', () => {
  let fake: FakeAlpaca;
  let rt: TestRuntime;
  beforeAll(async () => {
    ({ fake, rt } = await stack('haltlimit', { prices: prices(40), clock: { isOpen: false }, closedMarket: 'queue', orderAnswerDelayMs: [5, 15] }));
  });
  afterAll(async () => {
    await rt?.cleanup();
    await fake?.close();
  });

  it('is acknowledged at once, cancels on the reserve, and the waiting entries are BLOCKED, none sent', async () => {
    // Alpaca's limit in small: 30 requests a 6 s window, 10 of them reserved — entries get 20. (The production wiring
    // is the same with 200 a minute and ALPACA_RESERVED_REQUESTS.)
    const WINDOW_MS = 6000;
    const rest = new AlpacaRest({
      baseUrl: fake.restUrl, ...keys, redis: rt.deps.redis, prefix: rt.config.REDIS_PREFIX, logger: rt.deps.logger, maxRetries: 2,
      rateLimit: { requests: 30, windowMs: WINDOW_MS, reserved: 10 },
    });
    const deps = { ...rt.deps, broker: new AlpacaBroker({ rest, logger: rt.deps.logger }) };
    const p = rt.deps.prisma;
    const intents: string[] = [];
    for (let i = 0; i < 40; i++) {
      const s = await p.signal.create({ data: { strategy: 'limit', symbol: symbolOf(i), barTs: new Date('2025-06-04T14:00:00Z'), side: 'BUY', price: priceOf(i), detail: {} } });
      const d = await p.riskDecision.create({ data: { signalId: s.id, outcome: 'APPROVED', message: 'load' } });
      intents.push((await p.orderIntent.create({ data: { riskDecisionId: d.id, symbol: symbolOf(i), side: 'BUY', qty: '1', refPrice: priceOf(i), isEntry: true } })).id);
    }
    let next = 0;
    const submitting = Promise.all(Array.from({ length: 6 }, async () => { // six execution workers
      while (next < intents.length) await submitIntent(deps, { intentId: intents[next++]! });
    }));
    const posts = () => fake.requests.filter((q) => q.method === 'POST' && q.path === '/v2/orders');
    await until('the entries to use their part of the limit', async () => posts().length >= 20);
    await new Promise((r) => setTimeout(r, 300)); // the six submitters now wait for room
    const roomAgainAt = posts()[0]!.at + WINDOW_MS;
    let acknowledged = 0;
    const pressed = performance.timeOrigin + performance.now();
    const halt = await haltTrading(deps, { actor: admin, reason: 'halt while rate-limited', onStep: (s) => { if (s.step === 'halted') acknowledged = performance.timeOrigin + performance.now(); } });
    const done = performance.timeOrigin + performance.now();
    await submitting;

    // Not held up by submissions waiting for room (they hold no lock while they wait), nor by the limit itself: the
    // cancel-all and its verification went on the reserve, before the window had room again.
    expect(acknowledged - pressed).toBeLessThan(1500);
    expect(done).toBeLessThan(roomAgainAt);
    expect(posts()).toHaveLength(20);
    expect(posts().filter((q) => q.at >= pressed)).toEqual([]);
    const byStatus = Object.fromEntries((await p.orderIntent.groupBy({ by: ['status'], _count: true })).map((g) => [g.status, g._count]));
    expect(byStatus).toEqual({ SUBMITTED: 20, BLOCKED: 20 });
    expect(halt.canceledOrders).toHaveLength(20);
    expect(halt.stillOpen).toEqual([]);
    expect(fake.orders().every((o) => o.status === 'canceled')).toBe(true);
  });
});
