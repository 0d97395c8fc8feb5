// The fake Polygon behaves like the real one where our client depends on it: next_url without the key,
// 401 without a key, faults on schedule, a per-second limit, and the WebSocket auth/subscribe/AM protocol.
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { makeMinuteBars, startFakePolygon, type FakePolygon } from './fake-polygon.ts';

const KEY = 'fake-key-1';
let fake: FakePolygon | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const get = async (url: string) => {
  const res = await fetch(url);
  return { status: res.status, headers: res.headers, text: await res.text() };
};
const aggsPath = '/v2/aggs/ticker/AAPL/range/1/minute/2024-01-02/2024-01-02';

describe('fake Polygon REST', () => {
  it('pages aggregates through next_url, which carries no apiKey', async () => {
    fake = await startFakePolygon({ apiKey: KEY, pageSize: 4, bars: { AAPL: makeMinuteBars('2024-01-02T14:30:00Z', 10) } });
    const ts: number[] = [];
    let url: string | undefined = `${fake.restUrl}${aggsPath}?adjusted=true&sort=asc&apiKey=${KEY}`;
    while (url) {
      const body = JSON.parse((await get(url)).text) as { results?: Array<{ t: number }>; next_url?: string };
      ts.push(...(body.results ?? []).map((r) => r.t));
      expect(body.next_url ?? '').not.toContain('apiKey');
      url = body.next_url ? `${body.next_url}&apiKey=${KEY}` : undefined;
    }
    expect(ts).toHaveLength(10);
    expect(ts).toEqual([...ts].sort((a, b) => a - b));
    expect(fake.requests.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(fake.requests.every((r) => !r.path.includes(KEY))).toBe(true);
  });

  it('answers 401 without the key and leaves gap days out', async () => {
    fake = await startFakePolygon({ apiKey: KEY, bars: { AAPL: [...makeMinuteBars('2024-01-02T14:30:00Z', 3), ...makeMinuteBars('2024-01-03T14:30:00Z', 3)] }, faults: { gapDays: ['2024-01-02'] } });
    expect((await get(`${fake.restUrl}${aggsPath}`)).status).toBe(401);
    const body = JSON.parse((await get(`${fake.restUrl}/v2/aggs/ticker/AAPL/range/1/minute/2024-01-01/2024-01-05?apiKey=${KEY}`)).text) as { results: Array<{ t: number }> };
    expect(body.results.map((r) => new Date(r.t).toISOString().slice(0, 10))).toEqual(['2024-01-03', '2024-01-03', '2024-01-03']);
  });

  it('injects 429 with Retry-After, 503, HTML and garbage on schedule', async () => {
    fake = await startFakePolygon({ apiKey: KEY, bars: {}, faults: { status429Every: 3, retryAfterSeconds: 2, status5xxEvery: 4, htmlErrorOnce: true, garbageOnce: true } });
    const answers: Array<Awaited<ReturnType<typeof get>>> = [];
    for (let i = 0; i < 5; i++) answers.push(await get(`${fake.restUrl}${aggsPath}?apiKey=${KEY}`));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 429, 503, 200]);
    expect(answers[0]?.text).toMatch(/^<html>/);
    expect(() => JSON.parse(answers[1]?.text ?? '')).toThrow();
    expect(answers[2]?.headers.get('retry-after')).toBe('2');
    expect(answers[4]?.text).toContain('"status":"OK"');
  });

  it('serves the same pages as a scan of the whole series: any order, equal timestamps, gap days, ms bounds', async () => {
    // Three days, given out of order, with two bars sharing a timestamp and a row whose ts does not parse.
    const days = ['2024-01-02', '2024-01-03', '2024-01-04'].flatMap((d) => makeMinuteBars(`${d}T14:30:00Z`, 7));
    const twin = { ...days[3]!, close: '999.75' };
    const rows = [...days.filter((_, i) => i % 2), twin, ...days.filter((_, i) => !(i % 2)), { ...days[0]!, ts: 'not a time' }];
    const gapDays = ['2024-01-03'];
    fake = await startFakePolygon({ apiKey: KEY, pageSize: 4, bars: { AAPL: rows }, faults: { gapDays } });
    // What every request of the fake did before it kept an index: parse, filter and sort the whole series, answer
    // the first page, and point next_url at the timestamp of the bar after it (so a page boundary inside bars with
    // equal timestamps repeats them, as it always did).
    const scan = (lo: number, hi: number) => rows.map((r) => ({ r, t: Date.parse(r.ts) }))
      .filter(({ r, t }) => t >= lo && t <= hi && !gapDays.includes(r.ts.slice(0, 10))).sort((a, b) => a.t - b.t)
      .map(({ r, t }) => ({ t, c: Number(r.close) }));
    const pager = (lo: number, hi: number) => {
      const out: Array<Array<{ t: number; c: number }>> = [];
      for (let rest = scan(lo, hi); ; rest = scan(rest[4]!.t, hi)) {
        out.push(rest.slice(0, 4));
        if (rest.length <= 4) return out;
      }
    };
    const t0 = Date.parse(days[0]!.ts);
    const ranges: Array<[string, string, number, number]> = [
      ['2024-01-01', '2024-01-05', 0, Date.parse('2024-01-05T23:59:59.999Z')],
      ['2024-01-02', '2024-01-02', Date.parse('2024-01-02'), Date.parse('2024-01-02T23:59:59.999Z')],
      ['2024-01-03', '2024-01-03', Date.parse('2024-01-03'), Date.parse('2024-01-03T23:59:59.999Z')],
      [String(t0 + 120_000), String(t0 + 86_400_000 * 2 + 180_000), t0 + 120_000, t0 + 86_400_000 * 2 + 180_000],
      [String(t0 + 60_000), String(t0 + 60_000), t0 + 60_000, t0 + 60_000],
      ['2024-01-05', '2024-01-09', Date.parse('2024-01-05'), Date.parse('2024-01-09T23:59:59.999Z')],
      ['2024-01-04', '2024-01-02', Date.parse('2024-01-04'), Date.parse('2024-01-02T23:59:59.999Z')],
      ['garbage', '2024-01-04', Number.NaN, 0],
    ];
    for (const [from, to, lo, hi] of ranges) {
      const got: Array<Array<{ t: number; c: number }>> = [];
      let url: string | undefined = `${fake.restUrl}/v2/aggs/ticker/AAPL/range/1/minute/${from}/${to}?apiKey=${KEY}`;
      for (let pages = 0; url; pages++) {
        expect(pages).toBeLessThan(20);
        const body = JSON.parse((await get(url)).text) as { results?: Array<{ t: number; c: number }>; next_url?: string; resultsCount: number };
        expect(body.resultsCount).toBe(body.results?.length ?? 0);
        got.push((body.results ?? []).map(({ t, c }) => ({ t, c })));
        url = body.next_url ? `${body.next_url}&apiKey=${KEY}` : undefined;
      }
      expect(got, `${from} … ${to}`).toEqual(pager(lo, hi));
    }
    expect(scan(0, Date.parse('2024-01-05')).filter((b) => b.t === Date.parse(days[3]!.ts)).map((b) => b.c)).toEqual([103.75, 999.75]);
  });

  it('pages through a long history as fast as through a short one (no rescan of the series per request)', async () => {
    // A year of minutes (≈ 100k bars) next to a single day: a page of either should cost about the same. Timed
    // against each other, interleaved, so a busy machine slows both alike; a whole-series scan per request made
    // the long one ≈ 20 times slower.
    const start = Date.parse('2024-01-02T14:30:00Z');
    fake = await startFakePolygon({ apiKey: KEY, pageSize: 50, bars: { LONG: makeMinuteBars('2024-01-02T14:30:00Z', 100_000), SHORT: makeMinuteBars('2024-01-02T14:30:00Z', 500) } });
    const page = async (ticker: string, from: number) => {
      const began = performance.now();
      const body = JSON.parse((await get(`${fake!.restUrl}/v2/aggs/ticker/${ticker}/range/1/minute/${from}/${from + 86_400_000}?apiKey=${KEY}`)).text) as { results: Array<{ t: number }> };
      expect(body.results.map((r) => r.t)).toEqual(Array.from({ length: 50 }, (_, k) => from + k * 60_000));
      return performance.now() - began;
    };
    await page('LONG', start); // the first request of a ticker sorts its series once
    await page('SHORT', start);
    let long = 0, short = 0;
    for (let i = 0; i < 50; i++) {
      long += await page('LONG', start + (i * 997 % 90_000) * 60_000);
      short += await page('SHORT', start + (i % 400) * 60_000);
    }
    expect(long, `50 pages: ${Math.round(long)} ms from 100k bars, ${Math.round(short)} ms from 500`).toBeLessThan(3 * short + 100);
  }, 20_000);

  it('answers 429 beyond rateLimitPerSecond', async () => {
    fake = await startFakePolygon({ apiKey: KEY, bars: {}, rateLimitPerSecond: 3 });
    // Start just after a second boundary so all requests fall into the same wall-clock second.
    await new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000) + 5));
    const statuses = await Promise.all(Array.from({ length: 6 }, async () => (await get(`${fake!.restUrl}${aggsPath}?apiKey=${KEY}`)).status));
    expect(statuses.filter((s) => s === 429)).toHaveLength(3);
  });
});

describe('fake Polygon WebSocket', () => {
  it('authenticates, subscribes and pushes AM events to subscribers only', async () => {
    fake = await startFakePolygon({ apiKey: KEY });
    const ws = new WebSocket(fake.wsUrl);
    const frames: unknown[] = [];
    ws.on('message', (d) => frames.push(...(JSON.parse(d.toString()) as unknown[])));
    await new Promise((r) => ws.once('open', r));
    ws.send(JSON.stringify({ action: 'auth', params: KEY }));
    ws.send(JSON.stringify({ action: 'subscribe', params: 'AM.AAPL' }));
    await until(() => frames.length >= 3);
    expect(fake.pushMinute('MSFT', makeMinuteBars('2024-01-02T14:30:00Z', 1)[0]!)).toBe(0);
    expect(fake.pushMinute('AAPL', makeMinuteBars('2024-01-02T14:30:00Z', 1)[0]!)).toBe(1);
    await until(() => frames.length >= 4);
    expect(frames).toEqual([
      { ev: 'status', status: 'connected', message: 'Connected Successfully' },
      { ev: 'status', status: 'auth_success', message: 'authenticated' },
      { ev: 'status', status: 'success', message: 'subscribed to: AM.AAPL' },
      expect.objectContaining({ ev: 'AM', sym: 'AAPL', o: 100.25, v: 1000, s: Date.parse('2024-01-02T14:30:00Z') }),
    ]);
    expect(fake.wsMessages).toEqual([{ action: 'auth', ok: true }, { action: 'subscribe', params: 'AM.AAPL' }]);
    ws.close();
  });

  it('answers a wrong key with auth_failed and closes', async () => {
    fake = await startFakePolygon({ apiKey: KEY });
    const ws = new WebSocket(fake.wsUrl);
    const frames: Array<{ status?: string }> = [];
    ws.on('message', (d) => frames.push(...(JSON.parse(d.toString()) as Array<{ status?: string }>)));
    await new Promise((r) => ws.once('open', r));
    ws.send(JSON.stringify({ action: 'auth', params: 'wrong' }));
    const code = await new Promise<number>((r) => ws.once('close', r));
    expect(code).toBe(1008);
    expect(frames.map((f) => f.status)).toEqual(['connected', 'auth_failed']);
  });
});

async function until(pred: () => boolean, timeoutMs = 3000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
