// The per-key request budget in real Redis: two clients (standing for two processes) share one pace, callers that
// wake late still get (nearly) the whole rate without any 1 s window holding more than the limit, a pause holds
// everyone off, usage is counted per UTC day, 95 % of the daily limit is warned about, and a spent limit stops
// requests before they are sent.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeMinuteBars, startFakePolygon, type FakePolygon } from '../testing/fake-polygon.ts';
import { PolygonBudget, polygonKeyHash, polygonKeys, slotIntervalUs } from './polygon-budget.ts';
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
  it('two clients with 10 requests/s together stay within 10 requests in any 1 s window', async () => {
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
    expect(busiest, `arrivals (ms): ${at.map((t) => Math.round(t - at[0]!)).join(',')}`).toBeLessThanOrEqual(10);
    expect(at[at.length - 1]! - at[0]!).toBeGreaterThan(2500); // paced, not sent in a burst
    const keys = await redis.keys(`${prefix}-rl:polygon:rl:*`);
    expect(keys).toEqual([`${prefix}-rl:polygon:rl:${polygonKeyHash(KEY)}`]);
  });
});

describe('pacing with late callers', () => {
  const nowMs = () => performance.timeOrigin + performance.now();
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  /** Most grants in any 1 s window [t, t + 1 s) of the sorted times. */
  const busiest = (at: number[]) => {
    let most = 0;
    for (let i = 0, j = 0; i < at.length; i++) {
      while (j < at.length && at[j]! < at[i]! + 1000) j++;
      most = Math.max(most, j - i);
    }
    return most;
  };

  /** `callers` hungry callers of one key, each with its own connection (as separate processes would have), take
   *  slots until `total` are granted. Told to wait, a caller sleeps that long plus late() ms, like a busy event loop.
   *  `meanwhile` runs alongside. Returns the grant times (ms), sorted. */
  async function race(o: { rps: number; callers: number; total: number; late: () => number; meanwhile?: (b: PolygonBudget) => Promise<void> }): Promise<number[]> {
    const apiKey = `${KEY}-${randomBytes(4).toString('hex')}`;
    const budgets = Array.from({ length: o.callers }, () => new PolygonBudget(connect(), prefix, apiKey, o.rps, undefined));
    const granted: number[] = [];
    const callers = budgets.map(async (b) => {
      while (granted.length < o.total) {
        const slot = await b.acquire();
        if (slot.kind === 'granted') granted.push(nowMs());
        else if (slot.kind === 'wait') await sleep(slot.waitMs + o.late());
      }
    });
    await Promise.all([...callers, o.meanwhile?.(budgets[0]!)]);
    return granted.sort((a, b) => a - b);
  }
  const show = (at: number[]) => `grants (ms): ${at.map((t) => Math.round(t - at[0]!)).join(',')}`;

  it('recovers lateness: four callers 1–5 ms late keep the schedule (≥ 0.85 of 100/s), and no 1 s window holds more than 100', async () => {
    // Without the slack each grant starts the next interval when it happens, so the lateness (what the callers add,
    // whole-ms waits, timers, the round trip) adds to every interval: ≈ 10 ms + 3 ms, about three quarters of the rate
    // (0.72–0.77 measured before the slack); with it the slots keep their schedule, 1 / 1.03 of the rate (0.94–0.97
    // measured). The bar sits between the two so a loaded CI machine does not fail it; the bench measures the rate.
    const at = await race({ rps: 100, callers: 4, total: 400, late: () => 1 + 4 * Math.random() });
    const rate = (at.length - 1) / ((at.at(-1)! - at[0]!) / 1000);
    expect(rate, show(at)).toBeGreaterThanOrEqual(85);
    expect(busiest(at), show(at)).toBeLessThanOrEqual(100);
  });

  it('never lets more than N into a 1 s window when callers stall beyond the slack', async () => {
    // A third of the waits overshoot by 15–60 ms (longer than the slack of 10 ms), the rest by 0–3 ms: a late grant
    // followed by punctual ones is the bunching the slack must not allow beyond N per second.
    const at = await race({ rps: 50, callers: 3, total: 150, late: () => (Math.random() < 0.33 ? 15 + 45 * Math.random() : 3 * Math.random()) });
    expect(busiest(at), show(at)).toBeLessThanOrEqual(50);
  });

  it('holds every caller off during a pause and does not make the pause up afterwards', async () => {
    let pausedAt = 0, pauseSet = 0;
    const at = await race({
      rps: 100, callers: 4, total: 150, late: () => 1 + 2 * Math.random(),
      meanwhile: async (b) => {
        await sleep(500);
        pausedAt = nowMs();
        await b.pause(400);
        pauseSet = nowMs();
      },
    });
    expect(pauseSet).toBeGreaterThan(0);
    expect(at.filter((t) => t > pauseSet + 2 && t < pausedAt + 398), show(at)).toEqual([]);
    // After the pause the pace is N again from its end: no burst of the slots the pause took away.
    const after = at.filter((t) => t >= pausedAt + 398 && t < pausedAt + 400 + 300);
    expect(after.length, show(at)).toBeLessThanOrEqual(Math.floor(300_000 / slotIntervalUs(100)) + 2);
    expect(after.length, show(at)).toBeGreaterThanOrEqual(20);
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
    expect(ttl).toBeGreaterThan(34 * 86_400); // kept 35 days: `ai-trader audit api-usage --days N` reads them back
    expect(ttl).toBeLessThanOrEqual(35 * 86_400);
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
