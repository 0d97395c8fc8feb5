// PolygonStream against the fake Polygon WebSocket: auth, subscribe, AM events as TBar, unknown events ignored,
// reconnect + re-auth + re-subscribe after a drop, no reconnect after close(), and auth_failed stopping for good.
import { randomBytes } from 'node:crypto';
import type { TBar } from '@ai-trader/contracts';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { makeMinuteBars, startFakePolygon, type FakePolygon } from '../testing/fake-polygon.ts';
import { PolygonError } from './polygon-error.ts';
import { PolygonStream, type PolygonStreamStatus } from './polygon-stream.ts';

const KEY = `sk-live-${randomBytes(8).toString('hex')}`;
const lines: string[] = [];
const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(s) });
let fake: FakePolygon | undefined;
let stream: PolygonStream | undefined;
afterEach(async () => {
  await stream?.close().catch(() => {});
  await fake?.close();
  stream = undefined;
  fake = undefined;
});

function open(apiKey: string) {
  const bars: TBar[] = [];
  const statuses: PolygonStreamStatus[] = [];
  stream = new PolygonStream({
    url: fake!.wsUrl, apiKey, symbols: ['AAPL', 'MSFT'], logger, reconnectBaseMs: 50, reconnectCapMs: 200,
    onBar: (b) => void bars.push(b),
    onStatus: (s) => void statuses.push(s),
  });
  return { s: stream, bars, statuses };
}
const [b0, b1, b2] = makeMinuteBars('2024-01-02T14:30:00Z', 3) as [ReturnType<typeof makeMinuteBars>[0], ReturnType<typeof makeMinuteBars>[0], ReturnType<typeof makeMinuteBars>[0]];

describe('PolygonStream', () => {
  it('authenticates, subscribes, and delivers AM events as TBar', async () => {
    fake = await startFakePolygon({ apiKey: KEY });
    const { s, bars, statuses } = open(KEY);
    await s.start();
    expect(fake.wsMessages).toEqual([{ action: 'auth', ok: true }, { action: 'subscribe', params: 'AM.AAPL,AM.MSFT' }]);
    expect(statuses.map((x) => x.status)).toEqual(['connected', 'auth_success', 'success', 'success']);

    fake.pushRaw([{ ev: 'T', sym: 'AAPL', p: 187.1, s: 100 }, { ev: 'XYZ' }, { ev: 'AM', sym: 'AAPL', o: 'bad' }]); // ignored
    expect(fake.pushMinute('AAPL', b0)).toBe(1);
    expect(fake.pushMinute('MSFT', b1)).toBe(1);
    await until(() => bars.length === 2);
    expect(bars).toEqual([
      { symbol: 'AAPL', timeframe: '1m', ts: '2024-01-02T14:30:00Z', open: '100.25', high: '101.5', low: '99.05', close: '100.75', volume: '1000', source: 'polygon' },
      { symbol: 'MSFT', timeframe: '1m', ts: '2024-01-02T14:31:00Z', open: '101.25', high: '102.5', low: '100.05', close: '101.75', volume: '1001', source: 'polygon' },
    ]);
    expect(lines.some((l) => l.includes('malformed AM event skipped'))).toBe(true);
  });

  it('reconnects after the server drops it, re-authenticates and re-subscribes; close() ends it', async () => {
    fake = await startFakePolygon({ apiKey: KEY });
    const { s, bars, statuses } = open(KEY);
    await s.start();
    fake.dropConnections();
    await until(() => fake!.wsMessages.filter((m) => m.action === 'subscribe').length === 2 && fake!.pushMinute('AAPL', b2) === 1);
    await until(() => bars.length === 1);
    expect(bars[0]?.ts).toBe('2024-01-02T14:32:00Z');
    expect(fake.wsConnections()).toBe(2);
    expect(fake.wsMessages).toEqual([
      { action: 'auth', ok: true }, { action: 'subscribe', params: 'AM.AAPL,AM.MSFT' },
      { action: 'auth', ok: true }, { action: 'subscribe', params: 'AM.AAPL,AM.MSFT' },
    ]);
    expect(statuses.some((x) => x.status === 'reconnecting')).toBe(true);

    await s.close();
    await new Promise((r) => setTimeout(r, 400)); // several reconnect intervals
    expect(fake.wsConnections()).toBe(2);
    expect(statuses.at(-1)?.status).toBe('closed');
  });

  it('stops on auth_failed with a clear error and does not reconnect', async () => {
    fake = await startFakePolygon({ apiKey: 'the-right-key' });
    const { s, statuses } = open(KEY);
    const err = await s.start().then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(PolygonError);
    expect((err as PolygonError).kind).toBe('auth');
    expect((err as PolygonError).message).toBe(
      'Polygon stream authentication failed (authentication failed); not reconnecting. Check POLYGON_API_KEY (or the stored key: ai-trader keys list) and that its plan includes stocks WebSocket data',
    );
    await new Promise((r) => setTimeout(r, 400));
    expect(fake.wsConnections()).toBe(1);
    expect(fake.wsMessages).toEqual([{ action: 'auth', ok: false }]);
    expect(statuses.map((x) => x.status)).toEqual(['connected', 'auth_failed', 'closed']);
    expect(lines.some((l) => l.includes('Polygon stream authentication failed'))).toBe(true);
  });

  it('never logs the key', () => {
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.filter((l) => l.includes(KEY))).toEqual([]);
  });
});

async function until(pred: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
