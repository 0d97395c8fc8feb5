// The fake Alpaca answers in the shapes our client parses (alpaca-wire.ts schemas) and with every field the spec
// marks required, so it cannot drift from what the client expects; and its books, refusals, faults and stream
// protocol behave as the tests of the adapter assume.
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { z } from 'zod';
import {
  ALPACA_ORDER_STATUSES, SPEC_REQUIRED, ZAlpacaAccount, ZAlpacaAccountConfigurations, ZAlpacaActivity, ZAlpacaAsset, ZAlpacaCalendarDay,
  ZAlpacaCancelResult, ZAlpacaClock, ZAlpacaCloseResult, ZAlpacaErrorBody, ZAlpacaOrder, ZAlpacaPosition, ZAlpacaStreamAuthorization,
  ZAlpacaStreamListening, ZAlpacaTradeUpdateMessage,
} from '../alpaca/alpaca-wire.ts';
import { startFakeAlpaca, type FakeAlpaca, type FakeAlpacaOptions } from './fake-alpaca.ts';

const KEY = 'PKFAKEKEYID0001';
const SECRET = 'fake-secret-0123456789';
let fake: FakeAlpaca | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const start = async (o: Partial<FakeAlpacaOptions> = {}) => (fake = await startFakeAlpaca({ keyId: KEY, secretKey: SECRET, prices: { AAPL: '190.5', SPY: '600' }, ...o }));

async function call(method: string, path: string, body?: unknown, auth = true) {
  const headers: Record<string, string> = auth ? { 'APCA-API-KEY-ID': KEY, 'APCA-API-SECRET-KEY': SECRET } : {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(fake!.restUrl + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  const isJson = res.headers.get('content-type')?.includes('json') && text !== '';
  return { status: res.status, headers: res.headers, json: isJson ? (JSON.parse(text) as unknown) : undefined, text };
}

/** Parses with the client's schema AND checks the spec's required keys, which our schemas do not all demand. */
function conforms<T>(schema: z.ZodType<T>, required: readonly string[], value: unknown): T {
  const r = schema.safeParse(value);
  expect(r.success, r.success ? '' : JSON.stringify(r.error.issues)).toBe(true);
  for (const k of required) expect(value, `spec requires ${k}`).toHaveProperty(k);
  return r.data as T;
}
const order = (v: unknown) => {
  const o = conforms(ZAlpacaOrder, SPEC_REQUIRED.Order, v);
  expect(ALPACA_ORDER_STATUSES).toContain(o.status);
  return o;
};
const marketBuy = (cid: string, qty = '2', symbol = 'AAPL') => ({ symbol, qty, side: 'buy', type: 'market', time_in_force: 'day', client_order_id: cid });
const until = async (pred: () => boolean, ms = 3000) => {
  for (const end = Date.now() + ms; !pred(); await new Promise((r) => setTimeout(r, 5))) if (Date.now() > end) throw new Error('condition not met in time');
};

describe('fake Alpaca REST', () => {
  it('answers account, clock, calendar, assets and configurations in the spec shapes', async () => {
    await start({ assets: [{ symbol: 'HALTD', tradable: false }] });
    const acct = conforms(ZAlpacaAccount, SPEC_REQUIRED.Account, (await call('GET', '/v2/account')).json);
    expect(acct).toMatchObject({ cash: '100000', buying_power: '100000', equity: '100000', trade_suspended_by_user: false });
    const clock = conforms(ZAlpacaClock, SPEC_REQUIRED.Clock, (await call('GET', '/v2/clock')).json);
    expect(clock.is_open).toBe(true);
    expect(clock.timestamp).toMatch(/T\d{2}:\d{2}:\d{2}-0[45]:00$/); // New York time with offset, as Alpaca prints it
    const days = (await call('GET', '/v2/calendar?start=2025-07-01&end=2025-07-07')).json as unknown[];
    for (const d of days) conforms(ZAlpacaCalendarDay, SPEC_REQUIRED.CalendarDay, d);
    expect(days).toEqual([
      { date: '2025-07-01', open: '09:30', close: '16:00', session_open: '0400', session_close: '2000', settlement_date: '2025-07-02' },
      { date: '2025-07-02', open: '09:30', close: '16:00', session_open: '0400', session_close: '2000', settlement_date: '2025-07-03' },
      { date: '2025-07-03', open: '09:30', close: '13:00', session_open: '0400', session_close: '2000', settlement_date: '2025-07-07' },
      { date: '2025-07-07', open: '09:30', close: '16:00', session_open: '0400', session_close: '2000', settlement_date: '2025-07-08' },
    ]);
    expect(conforms(ZAlpacaAsset, SPEC_REQUIRED.Asset, (await call('GET', '/v2/assets/AAPL')).json).tradable).toBe(true);
    expect(conforms(ZAlpacaAsset, SPEC_REQUIRED.Asset, (await call('GET', '/v2/assets/HALTD')).json).tradable).toBe(false);
    const missing = await call('GET', '/v2/assets/NOPE');
    expect(missing.status).toBe(404);
    conforms(ZAlpacaErrorBody, SPEC_REQUIRED.Error, missing.json);
    conforms(ZAlpacaAccountConfigurations, [], (await call('GET', '/v2/account/configurations')).json);
  });

  it('fills a market order, books the position and cash, and lists orders, positions and activities', async () => {
    await start();
    const placed = await call('POST', '/v2/orders', marketBuy('c-1', '2'));
    expect(placed.status).toBe(200);
    expect(order(placed.json)).toMatchObject({ client_order_id: 'c-1', status: 'new', filled_qty: '0', qty: '2', side: 'buy', type: 'market' });
    await until(() => fake!.orders()[0]?.status === 'filled');

    const got = order((await call('GET', '/v2/orders:by_client_order_id?client_order_id=c-1')).json);
    expect(got).toMatchObject({ status: 'filled', filled_qty: '2', filled_avg_price: '190.5' });
    expect(order((await call('GET', `/v2/orders/${got.id}`)).json).id).toBe(got.id);
    expect((await call('GET', '/v2/orders')).json).toEqual([]); // status defaults to open
    const closed = (await call('GET', '/v2/orders?status=closed')).json as unknown[];
    expect(closed.map((o) => order(o).client_order_id)).toEqual(['c-1']);

    const positions = (await call('GET', '/v2/positions')).json as unknown[];
    expect(positions).toHaveLength(1);
    expect(conforms(ZAlpacaPosition, SPEC_REQUIRED.Position, positions[0])).toMatchObject({ symbol: 'AAPL', qty: '2', side: 'long', avg_entry_price: '190.5', cost_basis: '381' });
    expect(conforms(ZAlpacaAccount, SPEC_REQUIRED.Account, (await call('GET', '/v2/account')).json).cash).toBe('99619');

    const acts = (await call('GET', '/v2/account/activities?direction=asc')).json as unknown[];
    for (const a of acts) conforms(ZAlpacaActivity, [], a);
    expect(acts.map((a) => (a as { activity_type: string }).activity_type)).toEqual(['CSD', 'FILL']);
    expect(acts[1]).toMatchObject({ order_id: got.id, qty: '2', cum_qty: '2', leaves_qty: '0', price: '190.5', type: 'fill', side: 'buy', symbol: 'AAPL' });
    expect((await call('GET', '/v2/account/activities/FILL')).json).toHaveLength(1);
  });

  it('pages activities with page_token and filters them with after', async () => {
    await start();
    for (let i = 0; i < 3; i++) {
      await call('POST', '/v2/orders', marketBuy(`p-${i}`, '1'));
      await until(() => fake!.orders().filter((o) => o.status === 'filled').length === i + 1);
    }
    const all = (await call('GET', '/v2/account/activities/FILL?direction=asc')).json as Array<{ id: string; transaction_time: string }>;
    expect(all).toHaveLength(3);
    const rest = (await call('GET', `/v2/account/activities/FILL?direction=asc&page_token=${encodeURIComponent(all[0]!.id)}`)).json as Array<{ id: string }>;
    expect(rest.map((a) => a.id)).toEqual([all[1]!.id, all[2]!.id]);
    const page = (await call('GET', '/v2/account/activities/FILL?direction=asc&page_size=2')).json as unknown[];
    expect(page).toHaveLength(2);
    const later = (await call('GET', `/v2/account/activities?activity_types=FILL&after=${all[2]!.transaction_time}`)).json as unknown[];
    expect(later).toEqual([]);
  });

  it('refuses like Alpaca: duplicate client_order_id, buying power, not tradable, unknown asset, selling what is not held, suspend_trade', async () => {
    await start({ cash: '1000', assets: [{ symbol: 'HALTD', tradable: false }] });
    const refused = async (body: unknown) => {
      const r = await call('POST', '/v2/orders', body);
      return { status: r.status, body: conforms(ZAlpacaErrorBody, SPEC_REQUIRED.Error, r.json) };
    };
    expect((await call('POST', '/v2/orders', marketBuy('d-1', '1'))).status).toBe(200);
    expect(await refused(marketBuy('d-1', '1'))).toEqual({ status: 422, body: { code: 40010001, message: 'client_order_id must be unique' } });
    expect(await refused(marketBuy('d-2', '10'))).toEqual({ status: 403, body: expect.objectContaining({ code: 40310000, message: 'insufficient buying power', cost_basis: '1905' }) });
    expect((await refused(marketBuy('d-3', '1', 'HALTD'))).body.message).toBe('asset "HALTD" is not tradable');
    expect((await refused(marketBuy('d-4', '1', 'NOPE'))).status).toBe(422);
    expect((await refused({ ...marketBuy('d-5', '5'), side: 'sell' })).body.message).toMatch(/^insufficient qty available for order/);
    expect((await refused(marketBuy('d-6', '0'))).body.message).toBe('qty must be > 0');
    const cfg = await call('PATCH', '/v2/account/configurations', { suspend_trade: true });
    expect(conforms(ZAlpacaAccountConfigurations, [], cfg.json).suspend_trade).toBe(true);
    expect(await refused(marketBuy('d-7', '1'))).toMatchObject({ status: 403, body: { code: 40310000 } });
    expect(conforms(ZAlpacaAccount, [], (await call('GET', '/v2/account')).json).trade_suspended_by_user).toBe(true);
    expect((await call('GET', '/v2/account', undefined, false)).status).toBe(401);
    expect(fake!.orders()).toHaveLength(1);
  });

  it('queues orders while the market is closed and fills them at the open; scripted partial fills leave the rest open', async () => {
    await start({ clock: { isOpen: false } });
    fake!.scriptFills('SPY', ['3', '4']);
    const o = order((await call('POST', '/v2/orders', marketBuy('q-1', '10', 'SPY'))).json);
    expect(o.status).toBe('accepted');
    await new Promise((r) => setTimeout(r, 20));
    expect(fake!.orders()[0]?.filled_qty).toBe('0');
    fake!.setClock({ isOpen: true });
    expect(fake!.orders()[0]).toMatchObject({ status: 'partially_filled', filled_qty: '7' });
    expect(fake!.positions()).toEqual([{ symbol: 'SPY', qty: '7', avgEntryPrice: '600' }]);
    const open = (await call('GET', '/v2/orders?status=open')).json as unknown[];
    expect(open.map((x) => order(x).filled_qty)).toEqual(['7']);
  });

  it('keeps stop and trailing-stop orders open until the price reaches them, then fills them at that price', async () => {
    await start({ prices: { SPY: '100' } });
    await call('POST', '/v2/orders', marketBuy('s-0', '20', 'SPY'));
    await until(() => fake!.positions()[0]?.qty === '20');
    const sell = { symbol: 'SPY', qty: '10', side: 'sell', time_in_force: 'gtc' };
    const refused = async (body: unknown) => ((await call('POST', '/v2/orders', body)).json as { message: string }).message;
    expect(await refused({ ...sell, type: 'stop', client_order_id: 'r-1' })).toBe('stop_price is required for stop orders');
    expect(await refused({ ...sell, type: 'trailing_stop', client_order_id: 'r-2' })).toBe('trailing_stop orders take one of trail_percent and trail_price');
    expect(await refused({ ...sell, type: 'trailing_stop', trail_percent: '2', trail_price: '1', client_order_id: 'r-3' })).toBe('trailing_stop orders take one of trail_percent and trail_price');
    expect(await refused({ ...sell, type: 'stop', stop_price: '98', time_in_force: 'opg', client_order_id: 'r-4' })).toMatch(/not allowed for stop orders/);
    expect(await refused({ ...sell, type: 'stop', stop_price: '98', qty: '1.5', client_order_id: 'r-5' })).toMatch(/^fractional orders/);
    expect(await refused({ ...sell, type: 'stop', stop_price: '100', client_order_id: 'r-6' })).toMatch(/^stop price must be less than base_price/);
    const stop = order((await call('POST', '/v2/orders', { ...sell, type: 'stop', stop_price: '98', client_order_id: 's-1' })).json);
    const trail = order((await call('POST', '/v2/orders', { ...sell, type: 'trailing_stop', trail_percent: '3', client_order_id: 's-2' })).json);
    expect(stop).toMatchObject({ type: 'stop', stop_price: '98', time_in_force: 'gtc', status: 'new' });
    expect(trail).toMatchObject({ type: 'trailing_stop', trail_percent: '3', hwm: '100', stop_price: '97', status: 'new' });
    // The shares are held for the stops: a third sell finds none available.
    expect(await refused({ ...sell, type: 'market', time_in_force: 'day', client_order_id: 's-3' })).toMatch(/^insufficient qty available/);
    fake!.setPrice('SPY', '110'); // the trail follows: 3 % under 110
    expect(fake!.orders().find((o) => o.id === trail.id)).toMatchObject({ hwm: '110', stop_price: '106.7', status: 'new' });
    fake!.setPrice('SPY', '106.7');
    expect(fake!.orders().find((o) => o.id === trail.id)).toMatchObject({ status: 'filled', filled_avg_price: '106.7' });
    expect(fake!.orders().find((o) => o.id === stop.id)?.status).toBe('new');
    fake!.setPrice('SPY', '97.9');
    expect(fake!.orders().find((o) => o.id === stop.id)).toMatchObject({ status: 'filled', filled_avg_price: '97.9' });
    expect(fake!.positions()).toEqual([]);
    expect((await call('DELETE', `/v2/orders/${stop.id}`)).status).toBe(422); // filled: not cancelable
  });

  it('cancels all open orders (207) and closes all positions with cancel_orders=true (207)', async () => {
    await start();
    await call('POST', '/v2/orders', marketBuy('x-1', '2'));
    await until(() => fake!.orders()[0]?.status === 'filled');
    fake!.setPrice('MSFT', '400');
    await call('POST', '/v2/orders', { ...marketBuy('x-2', '1', 'MSFT'), type: 'limit', limit_price: '350' }); // stays open
    const canceled = await call('DELETE', '/v2/orders');
    expect(canceled.status).toBe(207);
    const results = canceled.json as unknown[];
    expect(results).toHaveLength(1);
    const r0 = conforms(ZAlpacaCancelResult, [], results[0]);
    expect(r0.status).toBe(200);
    expect(order(r0.body).status).toBe('canceled');

    const closed = await call('DELETE', '/v2/positions?cancel_orders=true');
    expect(closed.status).toBe(207);
    const c0 = conforms(ZAlpacaCloseResult, SPEC_REQUIRED.PositionClosed, (closed.json as unknown[])[0]);
    expect(c0).toMatchObject({ symbol: 'AAPL', status: 200 });
    expect(order(c0.body)).toMatchObject({ side: 'sell', qty: '2' });
    await until(() => fake!.positions().length === 0);
  });

  it('injects 5xx bursts, 429 with and without Retry-After, its own rate limit, and black-holed orders', async () => {
    await start({ rateLimit: { requests: 5, windowMs: 60_000 } });
    fake!.faults.failNext(2, { method: 'GET' });
    fake!.faults.rateLimitNext(1, 2);
    fake!.faults.rateLimitNext(1);
    const a = [await call('GET', '/v2/clock'), await call('GET', '/v2/clock'), await call('GET', '/v2/clock'), await call('GET', '/v2/clock')];
    expect(a.map((r) => r.status)).toEqual([429, 429, 503, 503]);
    expect(a[0]!.headers.get('retry-after')).toBe('2');
    expect(a[1]!.headers.get('retry-after')).toBeNull();
    expect(a[1]!.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(a[2]!.text).toMatch(/^<html>/);

    fake!.faults.blackholeNextOrders(1);
    await expect(call('POST', '/v2/orders', marketBuy('b-1', '1'))).rejects.toThrow();
    expect(fake!.orders().map((o) => o.client_order_id)).toEqual(['b-1']);
    expect(fake!.requests.at(-1)).toMatchObject({ method: 'POST', path: '/v2/orders', status: null, clientOrderId: 'b-1' });

    const over = await call('GET', '/v2/account'); // the 6th request within the window
    expect(over.status).toBe(429);
    expect(Number(over.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000);
    expect(fake!.requests.every((r) => r.keyOk)).toBe(true);
  });
});

describe('fake Alpaca stream', () => {
  async function connect(f: FakeAlpaca, secret = SECRET) {
    const ws = new WebSocket(f.wsUrl);
    const frames: Array<{ binary: boolean; msg: Record<string, unknown> }> = [];
    ws.on('message', (d, binary) => frames.push({ binary, msg: JSON.parse(d.toString()) as Record<string, unknown> }));
    await new Promise((r) => ws.once('open', r));
    ws.send(JSON.stringify({ action: 'auth', key: KEY, secret }));
    ws.send(JSON.stringify({ action: 'listen', data: { streams: ['trade_updates'] } }));
    return { ws, frames };
  }

  it('authorizes, listens, and sends trade updates in binary frames that parse with the client schema', async () => {
    await start();
    const { ws, frames } = await connect(fake!);
    await until(() => frames.length === 2);
    expect(ZAlpacaStreamAuthorization.parse(frames[0]!.msg).data).toEqual({ status: 'authorized', action: 'authenticate' });
    expect(ZAlpacaStreamListening.parse(frames[1]!.msg).data.streams).toEqual(['trade_updates']);
    await call('POST', '/v2/orders', marketBuy('s-1', '2'));
    await until(() => frames.length === 4);
    expect(frames.every((f) => f.binary)).toBe(true);
    const [ev1, ev2] = frames.slice(2).map((f) => ZAlpacaTradeUpdateMessage.parse(f.msg).data);
    expect(ev1).toMatchObject({ event: 'new', order: { client_order_id: 's-1', status: 'new' } });
    expect(ev2).toMatchObject({ event: 'fill', price: '190.5', qty: '2', position_qty: '2', order: { status: 'filled', filled_qty: '2' } });
    expect(ev2!.execution_id).toMatch(/^[0-9a-f-]{36}$/);
    for (const f of frames.slice(2)) order((f.msg.data as { order: unknown }).order);
    expect(fake!.wsMessages).toEqual([{ action: 'auth', ok: true }, { action: 'listen', streams: ['trade_updates'] }]);
    ws.close();
  });

  it('refuses wrong keys and a listen before auth; duplicates and reorders events when told to', async () => {
    await start({ textFrames: true });
    const bad = await connect(fake!, 'wrong');
    await until(() => bad.frames.length >= 1);
    expect(bad.frames[0]!.msg).toEqual({ stream: 'authorization', data: { status: 'unauthorized', action: 'authenticate' } });
    expect(fake!.wsMessages[0]).toEqual({ action: 'auth', ok: false });

    const { ws, frames } = await connect(fake!);
    await until(() => frames.length === 2);
    fake!.setStreamFaults({ duplicate: true, reorder: true });
    fake!.scriptFills('SPY', ['1', '1']);
    await call('POST', '/v2/orders', marketBuy('r-1', '2', 'SPY'));
    await until(() => frames.length === 8);
    expect(frames.every((f) => !f.binary)).toBe(true);
    const events = frames.slice(2).map((f) => (f.msg.data as { event: string }).event);
    expect(events).toEqual(['fill', 'fill', 'partial_fill', 'partial_fill', 'new', 'new']);
    ws.close();
  });

  it('drops connections and refuses new ones while unavailable', async () => {
    await start();
    const { ws } = await connect(fake!);
    const closed = new Promise<number>((r) => ws.once('close', r));
    fake!.setStreamAvailable(false);
    expect(await closed).toBe(1006);
    const refused = new WebSocket(fake!.wsUrl);
    const failed = await new Promise<boolean>((r) => {
      refused.once('open', () => r(false));
      refused.once('error', () => r(true));
    });
    expect(failed).toBe(true);
    fake!.setStreamAvailable(true);
    const again = await connect(fake!);
    await until(() => again.frames.length === 2);
    again.ws.close();
    expect(fake!.wsConnections()).toBe(2);
  });
});
