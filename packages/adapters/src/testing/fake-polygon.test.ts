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
