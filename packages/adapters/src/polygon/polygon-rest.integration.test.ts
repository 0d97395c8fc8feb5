// PolygonRest against the fake Polygon and real Redis: pagination, retries (429 / 5xx / network), bad bodies,
// auth, news — and the API key never appearing in a log line or an error message.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeMinuteBars, startFakePolygon, type FakePolygon, type FakePolygonOptions } from '../testing/fake-polygon.ts';
import { PolygonError } from './polygon-error.ts';
import { PolygonRest, type PolygonRestOptions } from './polygon-rest.ts';

const KEY = `sk-live-${randomBytes(8).toString('hex')}`;
const prefix = `t-polyrest-${randomBytes(4).toString('hex')}`;
const lines: string[] = [];
const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(s) });
const errors: string[] = [];
let redis: Redis;
let fake: FakePolygon | undefined;

beforeAll(() => {
  redis = new Redis(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379');
});
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});
afterAll(async () => {
  const found = await redis.keys(`${prefix}:*`);
  if (found.length) await redis.del(...found);
  await redis.quit();
});

const AAPL = makeMinuteBars('2024-01-02T14:30:00Z', 23);
const aggs = { ticker: 'AAPL', multiplier: 1, timespan: 'minute', from: '2024-01-02', to: '2024-01-02' } as const;

async function setup(o: Partial<FakePolygonOptions> = {}, c: Partial<PolygonRestOptions> = {}) {
  fake = await startFakePolygon({ apiKey: KEY, bars: { AAPL }, pageSize: 5, ...o });
  return new PolygonRest({ baseUrl: fake.restUrl, apiKey: KEY, redis, prefix, requestsPerSecond: 1000, logger, ...c });
}
async function collect<T>(gen: AsyncGenerator<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of gen) out.push(x);
  return out;
}
async function failure(p: Promise<unknown>): Promise<PolygonError> {
  try {
    await p;
  } catch (e) {
    errors.push(String(e), (e as Error).stack ?? '');
    if (e instanceof PolygonError) return e;
    throw e;
  }
  throw new Error('expected a PolygonError');
}
const noWait = async () => {};

describe('PolygonRest.aggregates', () => {
  it('follows next_url and yields every bar exactly once, in order, as TBar', async () => {
    const rest = await setup();
    const pages = await collect(rest.aggregates(aggs));
    expect(pages.map((p) => p.length)).toEqual([5, 5, 5, 5, 3]);
    expect(pages.flat()).toEqual(AAPL.map((r) => ({ symbol: 'AAPL', timeframe: '1m', source: 'polygon', ...r })));
    expect(fake!.requests.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(fake!.requests.every((r) => r.keyOk)).toBe(true); // the key was added to every next_url
    expect(fake!.requests[0]?.path).toBe('/v2/aggs/ticker/AAPL/range/1/minute/2024-01-02/2024-01-02?adjusted=true&sort=asc&limit=50000');
    expect(fake!.requests[1]?.path).toMatch(/^\/v2\/aggs\/ticker\/AAPL\/range\/1\/minute\/\d+\/2024-01-02\?cursor=/);
  });

  it('waits out a 429 for its Retry-After, then retries', async () => {
    const rest = await setup({ faults: { status429Every: 2, retryAfterSeconds: 1 }, bars: { AAPL: AAPL.slice(0, 10) } });
    const bars = (await collect(rest.aggregates(aggs))).flat();
    expect(bars.map((b) => b.ts)).toEqual(AAPL.slice(0, 10).map((r) => r.ts));
    const [, limited, retried] = fake!.requests;
    expect([limited?.status, retried?.status]).toEqual([429, 200]);
    expect(retried!.at - limited!.at).toBeGreaterThanOrEqual(950);
    expect(lines.some((l) => l.includes('Polygon HTTP 429 on GET /v2/aggs/ticker/AAPL') && l.includes('retry 1/6 in 1000 ms'))).toBe(true);
  });

  it('retries 5xx with jittered exponential backoff', async () => {
    const delays: number[] = [];
    const rest = await setup({ faults: { status5xxEvery: 2 } }, { sleep: async (ms) => void delays.push(ms) });
    expect((await collect(rest.aggregates(aggs))).flat()).toHaveLength(23);
    expect(fake!.requests.filter((r) => r.status === 503).length).toBeGreaterThanOrEqual(4);
    // every retry here is a first retry of its page: full jitter in [0, 500)
    expect(delays.length).toBe(fake!.requests.filter((r) => r.status === 503).length);
    expect(delays.every((d) => d >= 0 && d < 500)).toBe(true);
  });

  it('gives up after maxRetries with kind server, quoting the page without the key', async () => {
    const rest = await setup({ faults: { status5xxEvery: 1 } }, { maxRetries: 3, sleep: noWait });
    const e = await failure(collect(rest.aggregates(aggs)));
    expect(e.kind).toBe('server');
    expect(e.status).toBe(503);
    expect(e.message).toContain('GET /v2/aggs/ticker/AAPL/range/1/minute/2024-01-02/2024-01-02?adjusted=true&sort=asc&limit=50000 failed after 4 attempts; last: HTTP 503');
    expect(fake!.requests).toHaveLength(4);
  });

  it('quotes an error page that echoes the request URL with the key scrubbed, even where the quote is cut', async () => {
    // A proxy page echoing the URL: the key straddles the 120-character cut of the quote.
    // 109 characters, then the key: scrubbing after cutting at 120 would leak its first 11 characters.
    const fetchImpl = (async (url: URL) => new Response(`Bad gateway: ${'.'.repeat(88)}?apiKey=${url.searchParams.get('apiKey')}`, { status: 502 })) as unknown as typeof fetch;
    const rest = new PolygonRest({ baseUrl: 'https://api.polygon.io', apiKey: KEY, redis, prefix, requestsPerSecond: 1000, logger, fetchImpl, maxRetries: 0 });
    const e = await failure(collect(rest.aggregates(aggs)));
    expect(e.kind).toBe('server');
    expect(e.message).toContain('apiKey=***');
    expect(e.message).toMatch(/\.\?apiKey=\*\*\*"$/);
    expect(e.message).not.toContain(KEY.slice(0, 10));
  });

  it('turns an HTML page into bad_response with a clear message, without retrying', async () => {
    const rest = await setup({ faults: { htmlErrorOnce: true } });
    const e = await failure(collect(rest.aggregates(aggs)));
    expect(e.kind).toBe('bad_response');
    expect(e.message).toMatch(/^Polygon answered GET \/v2\/aggs\/ticker\/AAPL\/range\/1\/minute\/2024-01-02\/2024-01-02\?adjusted=true&sort=asc&limit=50000 \(HTTP 200\) with a body that is not JSON: "<html><head><title>Service temporarily unavailable/);
    expect(fake!.requests).toHaveLength(1);
  });

  it('turns garbage JSON into bad_response', async () => {
    const rest = await setup({ faults: { garbageOnce: true } });
    const e = await failure(collect(rest.aggregates(aggs)));
    expect(e.kind).toBe('bad_response');
    expect(e.message).toContain('not JSON: "{"ticker":"AAPL","results":[{"o":1.5,"h":"');
  });

  it('rejects a fractional volume naming ticker and t', async () => {
    const rest = await setup({ bars: { AAPL: [{ ...AAPL[0]!, volume: 12.5 }] } });
    const e = await failure(collect(rest.aggregates(aggs)));
    expect(e.kind).toBe('bad_response');
    expect(e.message).toContain(`AAPL at 2024-01-02T14:30:00Z (t=${Date.parse('2024-01-02T14:30:00Z')}) has a fractional volume 12.5`);
  });

  it('does not retry an auth error', async () => {
    fake = await startFakePolygon({ apiKey: 'the-right-key', bars: { AAPL } });
    const rest = new PolygonRest({ baseUrl: fake.restUrl, apiKey: KEY, redis, prefix, requestsPerSecond: 1000, logger });
    const e = await failure(collect(rest.aggregates(aggs)));
    expect(e.kind).toBe('auth');
    expect(e.message).toContain('Polygon refused the API key (HTTP 401)');
    expect(fake.requests).toHaveLength(1);
  });

  it('reports not_found, rate_limited and network failures by kind', async () => {
    await setup();
    let rest = new PolygonRest({ baseUrl: `${fake!.restUrl}/nothing-here`, apiKey: KEY, redis, prefix, requestsPerSecond: 1000, logger });
    expect((await failure(collect(rest.aggregates(aggs)))).kind).toBe('not_found');
    rest = await setup({ faults: { status429Every: 1 } }, { maxRetries: 2, sleep: noWait });
    expect((await failure(collect(rest.aggregates(aggs)))).kind).toBe('rate_limited');
    const closedUrl = fake!.restUrl;
    await fake!.close();
    fake = undefined;
    rest = new PolygonRest({ baseUrl: closedUrl, apiKey: KEY, redis, prefix, requestsPerSecond: 1000, logger, maxRetries: 1, sleep: noWait });
    const e = await failure(collect(rest.aggregates(aggs)));
    expect([e.kind, e.message]).toEqual(['server', expect.stringContaining('last: network error (ECONNREFUSED)')]);
  });

  it('refuses to send the key to a next_url on another host', async () => {
    const fetchImpl = (async () =>
      new Response(JSON.stringify({ status: 'OK', results: [{ o: 1, h: 1, l: 1, c: 1, v: 1, t: 1704205800000 }], next_url: 'https://evil.example.com/v2/aggs?cursor=x' }))) as typeof fetch;
    const rest = new PolygonRest({ baseUrl: 'https://api.polygon.io', apiKey: KEY, redis, prefix, requestsPerSecond: 1000, logger, fetchImpl });
    const e = await failure(collect(rest.aggregates(aggs)));
    expect(e.message).toContain('points at https://evil.example.com, not the Polygon API');
  });

  it('rejects sizes TBar cannot carry before any request', async () => {
    const rest = await setup();
    await expect(collect(rest.aggregates({ ...aggs, multiplier: 15 }))).rejects.toThrow(/15 minute have no TBar timeframe/);
    expect(fake!.requests).toHaveLength(0);
  });
});

describe('PolygonRest.news', () => {
  it('pages articles and maps them', async () => {
    const article = (i: number, tickers: string[]) => ({
      id: `n${i}`, publisher: { name: 'Investing.com', logo_url: 'l', homepage_url: 'h' }, title: `T${i}`, author: 'Sam',
      published_utc: `2024-06-2${i}T18:33:53Z`, article_url: `https://x/${i}`, tickers, keywords: ['Fed'], description: 'd',
    });
    const rest = await setup({ pageSize: 2, news: [article(1, ['AAPL']), article(2, ['MSFT']), article(3, ['AAPL', 'MSFT']), article(4, ['AAPL']), article(9, ['AAPL'])] });
    const pages = await collect(rest.news({ ticker: 'AAPL', from: '2024-06-20', to: '2024-06-25' }));
    expect(pages.map((p) => p.map((a) => a.id))).toEqual([['n1', 'n3'], ['n4']]);
    expect(pages[0]?.[0]).toEqual({ id: 'n1', tickers: ['AAPL'], title: 'T1', publisher: 'Investing.com', author: 'Sam', publishedUtc: '2024-06-21T18:33:53Z', url: 'https://x/1', description: 'd', keywords: ['Fed'] });
    expect(fake!.requests[0]?.path).toContain('published_utc.gte=2024-06-20&published_utc.lte=2024-06-25&order=asc&sort=published_utc&limit=1000');
  });
});

describe('the API key', () => {
  it('appears in no log line and no error message', () => {
    expect(lines.length).toBeGreaterThan(0);
    expect(errors.length).toBeGreaterThan(0);
    // Any 10-character piece of the key, so a key cut by a quote would be caught too.
    const pieces = Array.from({ length: KEY.length - 9 }, (_, i) => KEY.slice(i, i + 10));
    expect(lines.filter((l) => pieces.some((p) => l.includes(p)))).toEqual([]);
    expect(errors.filter((m) => pieces.some((p) => m.includes(p)))).toEqual([]);
  });
});
