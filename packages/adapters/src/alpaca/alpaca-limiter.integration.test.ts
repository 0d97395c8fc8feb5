// The Alpaca request limit in real Redis: two clients (standing for two processes) share one account's limit and
// never exceed it in any window at the server (run here at 10 per second to keep the test short); a 200-a-minute
// burst is granted at once and the next request told to wait about a minute; a 429's pause holds everyone off.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startFakeAlpaca, type FakeAlpaca } from '../testing/fake-alpaca.ts';
import { AlpacaLimiter, alpacaKeyHash, alpacaKeys } from './alpaca-limiter.ts';
import { AlpacaRest } from './alpaca-rest.ts';

const KEY = `PK${randomBytes(8).toString('hex').toUpperCase()}`;
const SECRET = `sk-${randomBytes(16).toString('hex')}`;
const prefix = `t-alpacalim-${randomBytes(4).toString('hex')}`;
const lines: string[] = [];
const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(s) });
const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const connections: Redis[] = [];
const connect = () => {
  const r = new Redis(redisUrl);
  connections.push(r);
  return r;
};
let fake: FakeAlpaca | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});
afterAll(async () => {
  const r = connect();
  const found = await r.keys(`${prefix}*`);
  if (found.length) await r.del(...found);
  await Promise.all(connections.map((c) => c.quit()));
});

/** Most arrivals in any window [t, t + w) of the sorted times. */
function busiest(at: number[], w: number): number {
  let most = 0;
  for (let i = 0, j = 0; i < at.length; i++) {
    while (j < at.length && at[j]! < at[i]! + w) j++;
    most = Math.max(most, j - i);
  }
  return most;
}

describe('AlpacaLimiter', () => {
  it('two clients of one account together stay within the limit in every window at the server, with no 429', async () => {
    // The fake enforces the same limit on arrival times and would answer 429 to a request beyond it.
    fake = await startFakeAlpaca({ keyId: KEY, secretKey: SECRET, rateLimit: { requests: 10, windowMs: 1000 } });
    // The margin covers the time from a grant to the request's arrival: 50 ms was too little on a loaded machine (a
    // request delayed more than that behind a later one let 11 arrive within one second: a 429 and its retry).
    const make = () => new AlpacaRest({ baseUrl: fake!.restUrl, keyId: KEY, secretKey: SECRET, redis: connect(), prefix, rateLimit: { requests: 10, windowMs: 1000, marginMs: 250 }, logger });
    await fetch(`${fake.restUrl}/warm-up`).then((r) => r.text()); // load undici outside the measurement
    fake.requests.length = 0;
    const a = make(), b = make();
    await Promise.all([
      (async () => { for (let i = 0; i < 15; i++) await a.getClock(); })(),
      (async () => { for (let i = 0; i < 15; i++) await b.getAccount(); })(),
    ]);
    const log = fake.requests;
    expect(log).toHaveLength(30);
    expect(log.filter((r) => r.status !== 200)).toEqual([]);
    const at = log.map((r) => r.at).sort((x, y) => x - y);
    expect(busiest(at, 1000), `arrivals (ms): ${at.map((t) => Math.round(t - at[0]!)).join(',')}`).toBeLessThanOrEqual(10);
    expect(at.at(-1)! - at[0]!).toBeGreaterThan(2000); // three windows' worth: paced, not sent at once
    expect(busiest(at, 200)).toBeGreaterThanOrEqual(5); // …and bursts are allowed within a window
    // The window, and the day's usage counter (every request sent counts, for `ai-trader audit api-usage`).
    const usage = alpacaKeys(prefix, KEY).usage(new Date().toISOString().slice(0, 10));
    expect((await connect().keys(`${prefix}:alpaca:*`)).sort()).toEqual([alpacaKeys(prefix, KEY).window, usage].sort());
    expect(await connect().get(usage)).toBe('30');
    expect(await connect().ttl(usage)).toBeGreaterThan(30 * 24 * 3600);
    expect(alpacaKeys(prefix, KEY).window).toBe(`${prefix}:alpaca:rl:${alpacaKeyHash(KEY)}`);
  });

  it("grants Alpaca's 200 a minute at once, then asks the 201st to wait about a minute", async () => {
    const limiter = new AlpacaLimiter({ redis: connect(), prefix, keyId: `${KEY}-burst` });
    const slots = await Promise.all(Array.from({ length: 200 }, () => limiter.acquire()));
    expect(slots.every((s) => s.kind === 'granted')).toBe(true);
    expect(Math.max(...slots.map((s) => (s.kind === 'granted' ? s.inWindow : 0)))).toBe(200);
    const next = await limiter.acquire();
    expect(next.kind).toBe('wait');
    expect(next.kind === 'wait' && next.waitMs).toBeGreaterThan(59_000);
    expect(next.kind === 'wait' && next.waitMs).toBeLessThanOrEqual(61_000);
  });

  it('a pause (after a 429) holds every client of the account off, then lets them go', async () => {
    const keyId = `${KEY}-pause`;
    const one = new AlpacaLimiter({ redis: connect(), prefix, keyId });
    const two = new AlpacaLimiter({ redis: connect(), prefix, keyId });
    expect((await two.acquire()).kind).toBe('granted');
    await one.pause(300);
    const held = await two.acquire();
    expect(held.kind).toBe('wait');
    expect(held.kind === 'wait' && held.waitMs).toBeGreaterThan(250);
    const began = Date.now();
    await two.take();
    expect(Date.now() - began).toBeGreaterThanOrEqual(240);
  });

  it('entries leave the reserve to every other request, and wait until the grant that makes room leaves', async () => {
    const limiter = new AlpacaLimiter({ redis: connect(), prefix, keyId: `${KEY}-lanes`, limit: 10, reserved: 3, windowMs: 60_000 });
    const first = await limiter.acquire('other'); // one ordinary request first: the oldest grant
    expect(first.kind).toBe('granted');
    await new Promise((r) => setTimeout(r, 300));
    const entries = [];
    for (let i = 0; i < 7; i++) entries.push(await limiter.acquire('entries'));
    // 1 + 6 entries fill the entries' 7; the 7th entry waits — until the oldest grant leaves, about a minute.
    expect(entries.map((s) => s.kind)).toEqual(['granted', 'granted', 'granted', 'granted', 'granted', 'granted', 'wait']);
    const held = entries[6]!;
    expect(held.kind === 'wait' && held.waitMs).toBeGreaterThan(59_000);
    // The reserve is still there for everything else: three more, then the full limit holds.
    const others = [];
    for (let i = 0; i < 4; i++) others.push((await limiter.acquire('other')).kind);
    expect(others).toEqual(['granted', 'granted', 'granted', 'wait']);
    // Full (10 in the window): an entry now needs four grants to leave — it waits for the fourth oldest (an entry taken
    // 300 ms after the first grant), not for the oldest.
    const entry = await limiter.acquire('entries');
    expect(entry.kind === 'wait' && held.kind === 'wait' && entry.waitMs - held.waitMs).toBeGreaterThan(200);
    expect(entry.kind === 'wait' && entry.waitMs).toBeLessThanOrEqual(61_000);
  });

  it('rejects a nonsensical limit or reserve', () => {
    expect(() => new AlpacaLimiter({ redis: connections[0]!, prefix, keyId: KEY, limit: 0 })).toThrow('limit must be a positive whole number (got 0)');
    expect(() => new AlpacaLimiter({ redis: connections[0]!, prefix, keyId: KEY, limit: 10, reserved: 10 })).toThrow('reserved must be a whole number from 0 to 9, below the limit of 10 (got 10)');
  });

  it('never logs the key id or the secret', () => {
    expect(lines.filter((l) => l.includes(SECRET) || l.includes(KEY))).toEqual([]);
  });
});
