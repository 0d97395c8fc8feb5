// The per-key request budget in real Redis: two clients (standing for two processes) share one pace, usage is
// counted per UTC day, 95 % of the daily limit is warned about, and a spent limit stops requests before they are sent.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeMinuteBars, startFakePolygon, type FakePolygon } from '../testing/fake-polygon.ts';
import { polygonKeyHash, polygonKeys } from './polygon-budget.ts';
import { PolygonError } from './polygon-error.ts';
import { PolygonRest } from './polygon-rest.ts';

const KEY = `sk-live-${randomBytes(8).toString('hex')}`;
const prefix = `t-polybudget-${randomBytes(4).toString('hex')}`;
const lines: string[] = [];
const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(s) });
const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const connections: Redis[] = [];
let fake: FakePolygon | undefined;

function connect(): Redis {
  const r = new Redis(redisUrl);
  connections.push(r);
  return r;
}
let redis: Redis;
beforeAll(() => {
  redis = connect();
});
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});
afterAll(async () => {
  const found = await redis.keys(`${prefix}*`); // ${prefix}:… and ${prefix}-rl:…
  if (found.length) await redis.del(...found);
  await Promise.all(connections.map((c) => c.quit()));
});

async function drain(gen: AsyncGenerator<unknown>): Promise<void> {
  for await (const _ of gen) void _;
}
const day = () => new Date().toISOString().slice(0, 10);

describe('shared rate limit', () => {
  it('two clients with 10 requests/s together stay within ~11 requests in any 1 s window', async () => {
    // One page per bar: 15 requests per client, 30 in all, ≈ 3 s at 10/s.
    fake = await startFakePolygon({ apiKey: KEY, pageSize: 1, rateLimitPerSecond: 12, bars: { AAPL: makeMinuteBars('2024-01-02T14:30:00Z', 15), MSFT: makeMinuteBars('2024-01-02T14:30:00Z', 15) } });
    // Node loads its fetch (undici) on first use, ~100 ms that would land between a slot and its request and
    // bunch the first few arrivals; a production process pays it once. Warm it up outside the measurement.
    await fetch(`${fake.restUrl}/warm-up`).then((r) => r.text());
    fake.requests.length = 0;
    const make = () => new PolygonRest({ baseUrl: fake!.restUrl, apiKey: KEY, redis: connect(), prefix: `${prefix}-rl`, requestsPerSecond: 10, logger });
    const query = (ticker: string) => ({ ticker, multiplier: 1, timespan: 'minute', from: '2024-01-02', to: '2024-01-02' }) as const;
    await Promise.all([drain(make().aggregates(query('AAPL'))), drain(make().aggregates(query('MSFT')))]);

    const log = fake.requests;
    expect(log).toHaveLength(30);
    expect(log.every((r) => r.status === 200)).toBe(true); // the fake's own per-second limit was never hit
    expect(new Set(log.map((r) => r.path.split('/')[4]))).toEqual(new Set(['AAPL', 'MSFT']));
    const at = log.map((r) => r.at).sort((a, b) => a - b);
    const busiest = Math.max(...at.map((t) => at.filter((u) => u >= t && u < t + 1000).length));
    expect(busiest, `arrivals (ms): ${at.map((t) => Math.round(t - at[0]!)).join(',')}`).toBeLessThanOrEqual(11);
    expect(at[at.length - 1]! - at[0]!).toBeGreaterThan(2500); // paced, not sent in a burst
    const keys = await redis.keys(`${prefix}-rl:polygon:rl:*`);
    expect(keys).toEqual([`${prefix}-rl:polygon:rl:${polygonKeyHash(KEY)}`]);
  });
});

describe('daily usage', () => {
  it('counts requests per key and UTC day, warns from 95 %, and stops at the limit without calling', async () => {
    fake = await startFakePolygon({ apiKey: KEY, bars: { AAPL: makeMinuteBars('2024-01-02T14:30:00Z', 2) } });
    const rest = new PolygonRest({ baseUrl: fake.restUrl, apiKey: KEY, redis, prefix, requestsPerSecond: 1000, dailyLimit: 100, logger });
    const q = { ticker: 'AAPL', multiplier: 1, timespan: 'minute', from: '2024-01-02', to: '2024-01-02' } as const;

    await drain(rest.aggregates(q));
    expect(await rest.usage()).toEqual({ day: day(), count: 1, limit: 100 });
    const usageKey = polygonKeys(prefix, KEY).usage(day());
    expect(usageKey).toBe(`${prefix}:polygon:usage:${polygonKeyHash(KEY)}:${day()}`);
    const ttl = await redis.ttl(usageKey);
    expect(ttl).toBeGreaterThan(2 * 86_400);
    expect(ttl).toBeLessThanOrEqual(3 * 86_400);
    expect(lines.some((l) => l.includes('Rate limit approaching'))).toBe(false);

    await redis.set(usageKey, 94, 'KEEPTTL'); // as if other processes had spent 93 more today
    await drain(rest.aggregates(q));
    const warnings = () => lines.map((l) => JSON.parse(l) as { level: number; msg: string }).filter((l) => l.msg.startsWith('Rate limit approaching'));
    expect(warnings()).toEqual([expect.objectContaining({ level: 40, msg: 'Rate limit approaching: 95/100 requests' })]);

    await redis.set(usageKey, 99, 'KEEPTTL');
    await drain(rest.aggregates(q));
    expect(warnings().map((w) => w.msg)).toEqual(['Rate limit approaching: 95/100 requests', 'Rate limit approaching: 100/100 requests']);
    expect(await rest.usage()).toEqual({ day: day(), count: 100, limit: 100 });

    const sent = fake.requests.length;
    const err = await drain(rest.aggregates(q)).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(PolygonError);
    expect((err as PolygonError).kind).toBe('quota_exhausted');
    expect((err as PolygonError).message).toContain(`Polygon daily limit reached: 100/100 requests used on ${day()} (UTC); nothing sent`);
    expect(fake.requests.length).toBe(sent);
    expect((await rest.usage()).count).toBe(100);
  });

  it('keeps no count when no limit is set, and reports limit null', async () => {
    fake = await startFakePolygon({ apiKey: KEY, bars: {} });
    const other = `${KEY}-b`;
    const rest = new PolygonRest({ baseUrl: fake.restUrl, apiKey: other, redis, prefix, requestsPerSecond: 1000, logger });
    expect(await rest.usage()).toEqual({ day: day(), count: 0, limit: null });
  });

  it('never logs the key', () => {
    expect(lines.filter((l) => l.includes(KEY))).toEqual([]);
  });
});
