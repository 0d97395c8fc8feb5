// AlpacaStream against the fake Alpaca (and AlpacaBroker on real Redis for the repair): an order's new and fill
// arrive as TTradeUpdate; after a drop the stream reconnects, says where the gap began, and the REST repair finds the
// fill it missed under the same execution id the stream would have used; repeats are dropped, out-of-order events
// all delivered; refused keys stop it for good; close() ends it.
import { randomBytes } from 'node:crypto';
import type { TTradeUpdate } from '@ai-trader/contracts';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startFakeAlpaca, type FakeAlpaca } from '../testing/fake-alpaca.ts';
import { AlpacaBroker } from './alpaca-broker.ts';
import { AlpacaRest } from './alpaca-rest.ts';
import { AlpacaStream, type AlpacaStreamStatus } from './alpaca-stream.ts';
import { AlpacaError } from './alpaca-wire.ts';

const KEY = `PK${randomBytes(8).toString('hex').toUpperCase()}`;
const SECRET = `sk-${randomBytes(16).toString('hex')}`;
const prefix = `t-alpacastream-${randomBytes(4).toString('hex')}`;
const lines: string[] = [];
const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(s) });
const redis = new Redis(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379');
let fake: FakeAlpaca | undefined;
let stream: AlpacaStream | undefined;
afterEach(async () => {
  await stream?.close().catch(() => {});
  await fake?.close();
  stream = undefined;
  fake = undefined;
});
afterAll(async () => {
  const found = await redis.keys(`${prefix}*`);
  if (found.length) await redis.del(...found);
  await redis.quit();
});

async function setup(textFrames = false) {
  fake = await startFakeAlpaca({ keyId: KEY, secretKey: SECRET, prices: { AAPL: '190.5', SPY: '600' }, textFrames });
  const rest = new AlpacaRest({ baseUrl: fake.restUrl, keyId: KEY, secretKey: SECRET, redis, prefix, logger });
  return { rest, broker: new AlpacaBroker({ rest, logger }) };
}
function open(o: { secret?: string; onGap?: (since: string) => void | Promise<void>; since?: string } = {}) {
  const updates: TTradeUpdate[] = [];
  const gaps: string[] = [];
  const statuses: AlpacaStreamStatus[] = [];
  stream = new AlpacaStream({
    url: fake!.wsUrl, keyId: KEY, secretKey: o.secret ?? SECRET, logger, reconnectBaseMs: 50, reconnectCapMs: 200, since: o.since,
    onUpdate: (u) => void updates.push(u),
    onGap: async (since) => {
      gaps.push(since);
      await o.onGap?.(since);
    },
    onStatus: (s) => void statuses.push(s),
  });
  return { s: stream, updates, gaps, statuses };
}
const order = (cid: string, qty = '2', symbol = 'AAPL') => ({ clientOrderId: cid, symbol, side: 'BUY' as const, qty, type: 'market' as const });
const until = async (pred: () => boolean, ms = 5000) => {
  for (const end = Date.now() + ms; !pred(); await new Promise((r) => setTimeout(r, 10))) if (Date.now() > end) throw new Error('condition not met in time');
};

describe('AlpacaStream', () => {
  it('delivers an order’s new and fill as TTradeUpdate (binary frames)', async () => {
    const { broker } = await setup();
    const { s, updates, gaps, statuses } = open();
    await s.start();
    expect(fake!.wsMessages).toEqual([{ action: 'auth', ok: true }, { action: 'listen', streams: ['trade_updates'] }]);
    const ack = await broker.submitOrder(order('ait-s1'));
    expect(ack.status).toBe('accepted');
    await until(() => updates.length === 2);
    const at = fake!.orders()[0]!.filled_at!;
    expect(updates).toEqual([
      { event: 'new', clientOrderId: 'ait-s1', brokerOrderId: ack.brokerOrderId, at: expect.any(String) },
      { event: 'fill', clientOrderId: 'ait-s1', brokerOrderId: ack.brokerOrderId, executionId: `${ack.brokerOrderId}@2`, qty: '2', price: '190.5', at: new Date(at).toISOString() },
    ]);
    expect(s.lastEventAt()).toBe(new Date(at).toISOString());
    expect(gaps).toEqual([]); // a first connection without `since` has nothing to repair
    expect(statuses.map((x) => x.status)).toEqual(['authorized', 'listening']);
  });

  it('after a drop: reconnects, calls onGap with the last event time, and the repair finds the fill it missed', async () => {
    const { broker } = await setup(true); // text frames this time
    const repaired: TTradeUpdate[] = [];
    const { s, updates, gaps, statuses } = open({ onGap: async (since) => void repaired.push(...(await broker.tradeUpdatesSince(since, ['ait-g2']))) });
    await s.start();
    await broker.submitOrder(order('ait-g1'));
    await until(() => updates.some((u) => u.event === 'fill'));
    const seenFill = updates.find((u) => u.event === 'fill')!;

    fake!.setStreamAvailable(false); // the connection drops and cannot come back for now
    await until(() => statuses.some((x) => x.status === 'reconnecting'));
    fake!.scriptFills('SPY', ['1', '2']);
    const ack = await broker.submitOrder(order('ait-g2', '3', 'SPY')); // fills while nobody listens: lost on the stream
    await until(() => fake!.orders().find((o) => o.client_order_id === 'ait-g2')?.status === 'filled');
    expect(updates.filter((u) => u.clientOrderId === 'ait-g2')).toEqual([]);

    fake!.setStreamAvailable(true);
    await until(() => gaps.length === 1 && repaired.length > 0);
    expect(gaps).toEqual([seenFill.at]);
    const missed = repaired.filter((u) => u.clientOrderId === 'ait-g2');
    expect(missed).toEqual([
      { event: 'partial_fill', clientOrderId: 'ait-g2', brokerOrderId: ack.brokerOrderId, executionId: `${ack.brokerOrderId}@1`, qty: '1', price: '600', at: expect.any(String) },
      { event: 'fill', clientOrderId: 'ait-g2', brokerOrderId: ack.brokerOrderId, executionId: `${ack.brokerOrderId}@3`, qty: '2', price: '600', at: expect.any(String) },
    ]);
    // The repair starts a little before the gap: a fill the stream did deliver comes back under the SAME execution id,
    // so recording it again is a no-op (fills are unique by execution id).
    const again = repaired.filter((u) => u.clientOrderId === 'ait-g1');
    expect(again).toEqual([{ ...seenFill, at: expect.any(String) }]);
    expect(fake!.wsConnections()).toBe(2);

    // Live again: a new order's events flow.
    await broker.submitOrder(order('ait-g3', '1'));
    await until(() => updates.some((u) => u.clientOrderId === 'ait-g3' && u.event === 'fill'));
  });

  it('repairs from `since` on the first connection too, and reports an order cancelled during the gap', async () => {
    const { broker, rest } = await setup();
    fake!.setPrice('MSFT', '400');
    const before = new Date(Date.now() - 1000).toISOString();
    const ack = await broker.submitOrder(order('ait-c1', '1', 'AAPL'));
    await rest.submitOrder({ client_order_id: 'ait-c2', symbol: 'MSFT', qty: '1', side: 'buy', type: 'limit', limit_price: '1', time_in_force: 'day' });
    await broker.cancelAllOrders();
    const repaired: TTradeUpdate[] = [];
    const { s, gaps } = open({ since: before, onGap: async (since) => void repaired.push(...(await broker.tradeUpdatesSince(since, ['ait-c1', 'ait-c2']))) });
    await s.start();
    await until(() => repaired.length === 2);
    expect(gaps).toEqual([before]);
    expect(repaired.map((u) => `${u.clientOrderId} ${u.event}`)).toEqual(['ait-c1 fill', 'ait-c2 canceled']);
    expect(repaired[0]!.executionId).toBe(`${ack.brokerOrderId}@1`);
  });

  it('drops repeated events and delivers out-of-order ones, keeping the newest time as the repair point', async () => {
    const { broker } = await setup();
    const { s, updates } = open();
    await s.start();
    fake!.setStreamFaults({ duplicate: true, reorder: true });
    fake!.scriptFills('AAPL', ['1', '1']);
    await broker.submitOrder(order('ait-d1', '2'));
    await until(() => updates.length === 3);
    await new Promise((r) => setTimeout(r, 100)); // the repeats had time to arrive
    expect(updates.map((u) => u.event)).toEqual(['fill', 'partial_fill', 'new']);
    expect(new Set(updates.filter((u) => u.executionId).map((u) => u.executionId)).size).toBe(2);
    const newest = Math.max(...updates.filter((u) => u.executionId).map((u) => Date.parse(u.at)));
    expect(Date.parse(s.lastEventAt()!)).toBe(newest);
    expect(lines.some((l) => l.includes('repeated event dropped'))).toBe(true);
  });

  it('skips malformed and unknown messages without dropping the connection', async () => {
    await setup();
    const { s, updates, statuses } = open();
    await s.start();
    fake!.pushRaw({ stream: 'trade_updates', data: { event: 'fill', order: { id: 'x' } } });
    fake!.pushRaw({ stream: 'something_else', data: {} });
    fake!.pushRaw({ action: 'error', data: { error_message: 'internal server error' } });
    await until(() => statuses.some((x) => x.status === 'error'));
    expect(updates).toEqual([]);
    expect(lines.some((l) => l.includes('malformed trade update skipped'))).toBe(true);
    expect(fake!.wsConnections()).toBe(1);
  });

  it('stops on refused keys with a clear error, and does not reconnect', async () => {
    await setup();
    const { s, statuses } = open({ secret: 'wrong-secret' });
    const err = await s.start().then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(AlpacaError);
    expect((err as AlpacaError).kind).toBe('auth');
    expect((err as AlpacaError).message).toBe('Alpaca stream authorization failed (unauthorized on authenticate); not reconnecting. Check ALPACA_KEY_ID / ALPACA_SECRET_KEY (or the stored key: ai-trader keys list) and that ALPACA_STREAM_URL is the environment of those keys');
    await new Promise((r) => setTimeout(r, 400));
    expect(fake!.wsConnections()).toBe(1);
    expect(statuses.map((x) => x.status)).toEqual(['unauthorized', 'closed']);
  });

  it('close() ends it: no reconnect afterwards', async () => {
    await setup();
    const { s, statuses } = open();
    await s.start();
    await s.close();
    await new Promise((r) => setTimeout(r, 400));
    expect(fake!.wsConnections()).toBe(1);
    expect(statuses.at(-1)?.status).toBe('closed');
  });

  it('never logs the key id or the secret', () => {
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.filter((l) => l.includes(SECRET) || l.includes(KEY))).toEqual([]);
  });
});
