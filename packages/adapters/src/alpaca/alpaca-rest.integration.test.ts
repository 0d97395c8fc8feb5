// AlpacaRest against the fake Alpaca and real Redis: the calls parse, a black-holed POST retried with the same
// client_order_id ends as exactly one order at the broker, 429 and 5xx are retried (and give up clearly), every
// refusal gets its kind, and neither the key id nor the secret ever reaches a log line or an error.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startFakeAlpaca, type FakeAlpaca, type FakeAlpacaOptions } from '../testing/fake-alpaca.ts';
import { AlpacaLimiter, alpacaKeys } from './alpaca-limiter.ts';
import { AlpacaRest, waitAskedFor, type AlpacaOrderRequest } from './alpaca-rest.ts';
import { AlpacaError, classifyRefusal, type AlpacaErrorKind } from './alpaca-wire.ts';

const KEY = `PK${randomBytes(8).toString('hex').toUpperCase()}`;
const SECRET = `sk-${randomBytes(16).toString('hex')}`;
const prefix = `t-alpacarest-${randomBytes(4).toString('hex')}`;
const lines: string[] = [];
const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(s) });
const redis = new Redis(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379');
let fake: FakeAlpaca | undefined;
const errors: unknown[] = [];
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});
afterAll(async () => {
  const found = await redis.keys(`${prefix}*`);
  if (found.length) await redis.del(...found);
  await redis.quit();
});

const waits: number[] = [];
let accounts = 0;
async function setup(o: Partial<FakeAlpacaOptions> = {}, rest: { secret?: string; maxRetries?: number; perMinute?: number } = {}) {
  fake = await startFakeAlpaca({ keyId: KEY, secretKey: SECRET, prices: { AAPL: '190.5', SPY: '600' }, ...o });
  waits.length = 0;
  return new AlpacaRest({
    // Each test is its own account as far as the shared limit goes (its own prefix), like each fake is.
    baseUrl: fake.restUrl, keyId: KEY, secretKey: rest.secret ?? SECRET, redis, prefix: `${prefix}-${++accounts}`, logger, maxRetries: rest.maxRetries ?? 4,
    rateLimit: rest.perMinute ? { requests: rest.perMinute, windowMs: 60_000 } : undefined,
    sleep: async (ms) => void waits.push(ms), // backoff is recorded, not waited (the shared pause after a 429 is real time)
  });
}
const buy = (cid: string, qty = '2', symbol = 'AAPL'): AlpacaOrderRequest => ({ client_order_id: cid, symbol, qty, side: 'buy', type: 'market', time_in_force: 'day' });
async function failure(p: Promise<unknown>): Promise<AlpacaError> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  errors.push(e);
  expect(e).toBeInstanceOf(AlpacaError);
  return e as AlpacaError;
}
const until = async (pred: () => boolean, ms = 3000) => {
  for (const end = Date.now() + ms; !pred(); await new Promise((r) => setTimeout(r, 5))) if (Date.now() > end) throw new Error('condition not met in time');
};

describe('AlpacaRest calls', () => {
  it('reads account, clock, calendar, assets, positions, configurations and activities', async () => {
    const rest = await setup({ assets: [{ symbol: 'HALTD', tradable: false }] });
    expect(await rest.getAccount()).toMatchObject({ cash: '100000', buying_power: '100000', trade_suspended_by_user: false });
    expect((await rest.getClock()).is_open).toBe(true);
    expect((await rest.getCalendar('2025-12-24', '2025-12-29')).map((d) => `${d.date} ${d.close}`)).toEqual(['2025-12-24 13:00', '2025-12-26 16:00', '2025-12-29 16:00']);
    expect(await rest.getAsset('AAPL')).toMatchObject({ symbol: 'AAPL', tradable: true, status: 'active' });
    expect(await rest.getAsset('HALTD')).toMatchObject({ tradable: false });
    expect(await rest.getAsset('NOPE')).toBeNull();
    expect(() => rest.getCalendar('2025-12-24', 'tomorrow')).toThrow("from and to must be dates like 2025-06-04 (got '2025-12-24', 'tomorrow')");

    const o = await rest.submitOrder(buy('r-1'));
    await until(() => fake!.orders()[0]?.status === 'filled');
    expect(await rest.listPositions()).toEqual([expect.objectContaining({ symbol: 'AAPL', qty: '2', side: 'long', avg_entry_price: '190.5' })]);
    expect(await rest.getOrderByClientId('r-1')).toMatchObject({ id: o.id, status: 'filled' });
    expect(await rest.getOrderByClientId('nope')).toBeNull();
    expect(await rest.listOrders({ status: 'all' })).toHaveLength(1);
    const fills = await rest.listActivities({ types: ['FILL'] });
    expect(fills).toEqual([expect.objectContaining({ activity_type: 'FILL', order_id: o.id, cum_qty: '2', price: '190.5' })]);
    expect(await rest.getAccountConfigurations()).toMatchObject({ suspend_trade: false });
    expect(await rest.setSuspendTrade(true)).toBe(true);
    expect((await rest.getAccount()).trade_suspended_by_user).toBe(true);
    expect(fake!.requests.every((r) => r.keyOk && !r.path.includes(SECRET))).toBe(true);
  });

  it('pages through more than one page of open orders with after_order_id', async () => {
    const rest = await setup({ prices: { SPY: '600' }, cash: '100000000', rateLimit: null }, { perMinute: 5000 });
    fake!.setPrice('MSFT', '400');
    for (let i = 0; i < 503; i++) await rest.submitOrder({ ...buy(`many-${i}`, '1', 'MSFT'), type: 'limit', limit_price: '1' });
    const all = await rest.listAllOrders('open');
    expect(all.map((o) => o.client_order_id)).toEqual(Array.from({ length: 503 }, (_, i) => `many-${i}`));
    expect(fake!.requests.filter((r) => r.path.startsWith('/v2/orders?')).map((r) => new URL(r.path, 'http://x').searchParams.get('after_order_id'))).toEqual([null, all[499]!.id]);
  }, 60_000);
});

describe('submitting an order exactly once', () => {
  it('a POST whose answer is lost is retried with the same client_order_id; Alpaca answers 422 and the order is looked up: one order', async () => {
    const rest = await setup();
    fake!.faults.blackholeNextOrders(1);
    const order = await rest.submitOrder(buy('ait-once'));
    expect(fake!.orders()).toHaveLength(1);
    expect(order.id).toBe(fake!.orders()[0]!.id);
    expect(order.client_order_id).toBe('ait-once');
    expect(fake!.requests.map((r) => `${r.method} ${r.path.split('?')[0]} ${r.status}`)).toEqual([
      'POST /v2/orders null', 'POST /v2/orders 422', 'GET /v2/orders:by_client_order_id 200',
    ]);
    expect(lines.some((l) => l.includes('Alpaca already has this order (client_order_id reused)'))).toBe(true);

    // A later repeat (a job retried after a crash) gets the same order, still one at the broker.
    expect((await rest.submitOrder(buy('ait-once'))).id).toBe(order.id);
    expect(fake!.orders()).toHaveLength(1);
  });

  it('a 503 on POST /v2/orders is retried (the id makes it safe) and places one order', async () => {
    const rest = await setup();
    fake!.faults.failNext(2, { method: 'POST', status: 503 });
    await rest.submitOrder(buy('ait-503'));
    expect(fake!.orders()).toHaveLength(1);
    expect(fake!.requests.map((r) => r.status)).toEqual([503, 503, 200]);
    expect(waits).toHaveLength(2);
  });

  it('refuses to adopt an order of a different intent that somehow holds the same client_order_id', async () => {
    const rest = await setup();
    await rest.submitOrder(buy('ait-clash', '2'));
    const e = await failure(rest.submitOrder(buy('ait-clash', '3')));
    expect(e.kind).toBe('rejected');
    expect(e.message).toMatch(/^client_order_id ait-clash is already used at Alpaca by a different order \(buy 2 AAPL/);
    expect(fake!.orders()).toHaveLength(1);
  });
});

describe('room under the request limit taken ahead', () => {
  it('a slot taken ahead pays for the POST of the order it was taken for; a used, stale, other account\'s or paused one does not', async () => {
    const rest = await setup({}, { perMinute: 50 });
    const window = alpacaKeys(`${prefix}-${accounts}`, KEY).window;
    const granted = () => redis.zcard(window);
    const slot = await rest.reserveOrderSlot();
    expect(await granted()).toBe(1);
    await rest.submitOrder(buy('ahead-1'), { slot });
    expect(slot.used).toBe(true);
    expect(await granted()).toBe(1); // the POST went on the slot: one grant, one request
    await rest.submitOrder(buy('ahead-2'), { slot }); // used up: the POST takes its own room
    expect(await granted()).toBe(2);
    await rest.submitOrder(buy('ahead-3'), { slot: { account: slot.account, takenAt: performance.now() - 5000, used: false } }); // stale
    expect(await granted()).toBe(3);
    await rest.submitOrder(buy('ahead-4'), { slot: { account: 'another-acct', takenAt: performance.now(), used: false } });
    expect(await granted()).toBe(4);
    // A 429 pause that came after the room was taken: the POST waits it out and takes its own room.
    const paused = await rest.reserveOrderSlot();
    expect(await granted()).toBe(5);
    await new AlpacaLimiter({ redis, prefix: `${prefix}-${accounts}`, keyId: KEY }).pause(300);
    const began = Date.now();
    await rest.submitOrder(buy('ahead-5'), { slot: paused });
    expect(Date.now() - began).toBeGreaterThanOrEqual(250);
    expect(paused.used).toBe(false);
    expect(await granted()).toBe(6);
    expect(fake!.requests.filter((r) => r.method === 'POST').map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
  });
});

describe('retries', () => {
  it('429 with Retry-After: waits as asked, holding the shared limiter, then succeeds', async () => {
    const rest = await setup();
    fake!.faults.rateLimitNext(1, 1);
    const began = Date.now();
    await rest.getClock();
    expect(Date.now() - began).toBeGreaterThanOrEqual(900); // the pause in Redis holds the next slot
    expect(waits).toEqual([1000]);
    expect(fake!.requests.map((r) => r.status)).toEqual([429, 200]);
  });

  it('429 without Retry-After uses X-RateLimit-Reset; the waiting rule reads both headers', async () => {
    const now = Date.parse('2026-01-05T15:00:00Z');
    expect(waitAskedFor(new Headers({ 'retry-after': '3' }), now)).toBe(3000);
    expect(waitAskedFor(new Headers({ 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(now / 1000 + 7) }), now)).toBe(7000);
    expect(waitAskedFor(new Headers({ 'x-ratelimit-remaining': '5', 'x-ratelimit-reset': String(now / 1000 + 7) }), now)).toBeUndefined();
    expect(waitAskedFor(new Headers(), now)).toBeUndefined();
    const rest = await setup();
    fake!.faults.rateLimitNext(2);
    const began = Date.now();
    await rest.getAccount();
    expect(fake!.requests.map((r) => r.status)).toEqual([429, 429, 200]);
    expect(Date.now() - began).toBeGreaterThan(500); // held until the reset second, not retried at once
    expect(waits.every((ms) => ms <= 2000)).toBe(true);
  });

  it('gives up after maxRetries with broker_down (5xx) or rate_limited (429), saying what happened', async () => {
    const rest = await setup({}, { maxRetries: 2 });
    fake!.faults.failNext(3, { status: 502 });
    const down = await failure(rest.getAccount());
    expect(down.kind).toBe('broker_down');
    expect(down.message).toBe('GET /v2/account failed after 3 attempts; last: HTTP 502: "<html><head><title>502 Service Unavailable</title></head><body><h1>502 Service Unavailable</h1></body></html>"');
    expect(waits).toHaveLength(2);

    fake!.faults.rateLimitNext(1, 3600);
    const limited = await failure(rest.getClock());
    expect(limited.kind).toBe('rate_limited');
    expect(limited.message).toBe('Alpaca asks us to wait 3600 s before GET /v2/clock; that is longer than 120 s, so giving up');
  });

  it('a network failure (server gone) is broker_down after the retries', async () => {
    const rest = await setup({}, { maxRetries: 1 });
    await fake!.close();
    fake = undefined;
    const e = await failure(rest.getAccount());
    expect(e.kind).toBe('broker_down');
    expect(e.message).toMatch(/^GET \/v2\/account failed after 2 attempts; last: network error \(ECONNREFUSED\)$/);
  });
});

describe('refusals get their cause', () => {
  const cases: Array<[string, Partial<FakeAlpacaOptions>, (f: FakeAlpaca) => void, AlpacaOrderRequest, AlpacaErrorKind, RegExp]> = [
    ['buying power', { cash: '100' }, () => {}, buy('k-1'), 'insufficient_buying_power', /^Alpaca refused POST \/v2\/orders \(HTTP 403, code 40310000\): insufficient buying power \(buying power 100, order costs 381\)$/],
    ['not tradable', { assets: [{ symbol: 'HALTD', tradable: false }] }, () => {}, buy('k-2', '1', 'HALTD'), 'not_tradable', /asset "HALTD" is not tradable/],
    ['unknown asset', {}, () => {}, buy('k-3', '1', 'NOPE'), 'not_tradable', /asset "NOPE" not found/],
    ['market closed', { clock: { isOpen: false }, closedMarket: 'reject' }, () => {}, buy('k-4'), 'market_closed', /market is closed/],
    ['position limit', { positionLimitQty: '1' }, () => {}, buy('k-5'), 'position_limit', /position limit exceeded/],
    ['trading suspended', {}, (f) => f.faults.refuseNextOrder(403, { code: 40310000, message: 'new orders are rejected: trading is suspended' }), buy('k-6'), 'rejected', /trading is suspended/],
    ['wash trade', {}, (f) => f.faults.refuseNextOrder(422, { code: 42210000, message: 'potential wash trade detected. use complex orders' }), buy('k-7'), 'rejected', /wash trade/],
    ['not found', {}, (f) => f.faults.refuseNextOrder(404, { code: 40410000, message: 'not found' }), buy('k-8'), 'not_found', /^Alpaca has nothing at POST \/v2\/orders/],
    ['forbidden', {}, (f) => f.faults.refuseNextOrder(403, { message: 'forbidden.' }), buy('k-9'), 'auth', /^Alpaca refused the API keys for POST \/v2\/orders/],
  ];
  it.each(cases)('%s', async (_name, opts, arrange, req, kind, message) => {
    const rest = await setup(opts);
    arrange(fake!);
    const e = await failure(rest.submitOrder(req));
    expect(e.kind).toBe(kind);
    expect(e.message).toMatch(message);
    expect(e.isOrderRefusal).toBe(!['not_found', 'auth'].includes(kind));
    expect(fake!.requests).toHaveLength(1); // a refusal is final: not retried
  });

  it('wrong keys are auth, with a message that says what to check and does not show the secret', async () => {
    const rest = await setup({}, { secret: `${SECRET}-wrong` });
    const e = await failure(rest.getAccount());
    expect(e.kind).toBe('auth');
    expect(e.message).toBe('Alpaca refused the API keys for GET /v2/account (HTTP 401, code 40110000): request is not authorized; check ALPACA_KEY_ID / ALPACA_SECRET_KEY and that ALPACA_BASE_URL is the environment of those keys (paper keys work only with paper-api.alpaca.markets)');
  });

  it('classifies by message first, status second', () => {
    expect(classifyRefusal(403, 'insufficient day trading buying power')).toBe('insufficient_buying_power');
    expect(classifyRefusal(422, 'asset "XYZ" cannot be traded')).toBe('not_tradable');
    expect(classifyRefusal(403, 'order is outside of market hours')).toBe('market_closed');
    expect(classifyRefusal(403, 'exceeds maximum position size')).toBe('position_limit');
    expect(classifyRefusal(422, 'qty must be > 0')).toBe('rejected');
    expect(classifyRefusal(500, 'internal server error')).toBe('broker_down');
    expect(classifyRefusal(429, 'rate limit exceeded')).toBe('rate_limited');
    expect(classifyRefusal(401, 'unauthorized.')).toBe('auth');
  });

  it('never shows the key id or the secret in logs or errors', () => {
    expect(lines.length).toBeGreaterThan(0);
    expect(errors.length).toBeGreaterThan(5);
    expect(lines.filter((l) => l.includes(SECRET) || l.includes(KEY))).toEqual([]);
    expect(errors.filter((e) => String((e as Error).message).includes(SECRET) || JSON.stringify(e).includes(SECRET))).toEqual([]);
  });
});
