// The lists over HTTP from the cache (real Postgres, Redis and tRPC's fetch handler, as the console's route runs it):
// the cached answer is byte for byte the fresh one; signed-in callers only; a write shows as soon as its event has
// arrived; concurrent requests share one computation; ETag/304; errors and other procedures are never cached.
import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRuntime, type TestRuntime } from '@ai-trader/adapters/testing';
import type { TActor, TLiveEvent } from '@ai-trader/contracts';
import { ingestBar } from '@ai-trader/core';
import { seedSpyPosition, spyBar } from './test-book.ts';
import { cachedQuery } from './cached-queries.ts';
import { LiveHub } from './live-hub.ts';
import { appRouter } from './root.ts';

const bar = spyBar;
const viewer: TActor = { id: 'v1', email: 'viewer@example.com', role: 'viewer' };
const admin: TActor = { id: 'a1', email: 'admin@example.com', role: 'admin' };
const input = (v: unknown) => `?input=${encodeURIComponent(JSON.stringify({ json: v }))}`;

describe('cachedQuery', () => {
  let rt: TestRuntime;
  let hub: LiveHub;
  let handled = 0;

  beforeAll(async () => {
    rt = await createTestRuntime('cachedq');
    rt.deps.clock = { now: () => new Date('2025-06-04T15:00:00.000Z') }; // asOf is the same in every answer
    hub = new LiveHub(rt.config.REDIS_URL, rt.config.REDIS_PREFIX);
    await seedSpyPosition(rt.deps);
    for (let i = 0; hub.stamp(['bar']) === null; i++) {
      if (i > 200) throw new Error('the hub did not subscribe');
      await new Promise((r) => setTimeout(r, 25));
    }
  });
  afterAll(async () => {
    await hub?.close();
    await rt?.cleanup();
  });

  const request = (path: string, headers: Record<string, string> = {}) => new Request(`http://console.test/api/trpc/${path}`, { headers });
  /** tRPC alone, as the route answers a request that is not cached. */
  const fresh = (req: Request, actor: TActor | null) =>
    fetchRequestHandler({ endpoint: '/api/trpc', req, router: appRouter, createContext: () => ({ deps: rt.deps, live: hub, actor }) });
  const get = (path: string, actor: TActor | null = viewer, headers?: Record<string, string>) => {
    const req = request(path, headers);
    return cachedQuery(hub, req, actor, () => {
      handled++;
      return fresh(req, actor);
    });
  };
  const text = (res: Response) => res.text();
  /** Published as a worker does (through Redis); returns once the hub has the event. */
  async function arrived(write: () => Promise<unknown>, kind: TLiveEvent['kind']) {
    const before = hub.stamp([kind]);
    await write();
    await expect.poll(() => hub.stamp([kind])).not.toBe(before);
  }

  it('answers byte for byte what tRPC answers fresh, from one computation per version', async () => {
    const paths = ['positions.list', `orders.list${input({ filter: { view: 'all' }, limit: 1000 })}`, `orders.list${input({ filter: { view: 'history', symbol: 'SPY' } })}`,
      `positions.list,orders.list?batch=1&input=${encodeURIComponent(JSON.stringify({ 1: { json: { limit: 5 } } }))}`];
    for (const path of paths) {
      const n = handled;
      const first = await get(path);
      expect(first.status).toBe(200);
      expect(first.headers.get('cache-control')).toBe('private, no-cache, no-transform');
      const cached = await get(path);
      expect(handled - n).toBe(1);
      const want = await text(await fresh(request(path), viewer));
      expect(await text(first)).toBe(want);
      expect(await text(cached)).toBe(want);
    }
    const list = JSON.parse(await text(await get('positions.list'))) as { result: { data: { json: { positions: { symbol: string; qty: string }[] } } } };
    expect(list.result.data.json.positions.map((p) => [p.symbol, p.qty])).toEqual([['SPY', '16']]);
  });

  it('answers anonymous callers as tRPC does (401), cached answer or not', async () => {
    expect((await get('positions.list')).status).toBe(200);
    const n = handled;
    const res = await get('positions.list', null);
    expect(res.status).toBe(401);
    expect(await text(res)).toContain('sign in first');
    expect(handled - n).toBe(1);
    expect((await get('positions.list', admin)).status).toBe(200);
    expect(handled - n).toBe(1);
  });

  it('shows a write as soon as its event has arrived, and is not disturbed by events of other kinds', async () => {
    const lastPrice = async () => (JSON.parse(await text(await get('positions.list'))) as { result: { data: { json: { positions: { lastPrice: string }[] } } } }).result.data.json.positions[0]!.lastPrice;
    expect(await lastPrice()).toBe('601');
    let n = handled;
    await arrived(() => rt.deps.events.publish('audit'), 'audit');
    expect(await lastPrice()).toBe('601');
    expect(handled).toBe(n);
    await arrived(() => ingestBar(rt.deps, bar('2025-06-04T13:40:00Z', '603.5')), 'bar');
    expect(await lastPrice()).toBe('603.5');
    expect(handled).toBe(n + 1);
    // The orders list does not show prices: a bar leaves it cached.
    const orders = `orders.list${input({ filter: { view: 'all' }, limit: 50 })}`;
    await get(orders);
    n = handled;
    await arrived(() => ingestBar(rt.deps, bar('2025-06-04T13:45:00Z', '604')), 'bar');
    await get(orders);
    expect(handled).toBe(n);
  });

  it('shares one computation among the requests that come while it runs', async () => {
    await arrived(() => rt.deps.events.publish('position'), 'position');
    const n = handled;
    const answers = await Promise.all(Array.from({ length: 25 }, () => get('positions.list')));
    expect(handled - n).toBe(1);
    expect(new Set(await Promise.all(answers.map(text))).size).toBe(1);
  });

  it('answers 304 to a caller that has the current answer, 200 once it changed', async () => {
    const first = await get('positions.list');
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^"[\w-]{32}"$/);
    const same = await get('positions.list', viewer, { 'if-none-match': `"other", ${etag}` });
    expect(same.status).toBe(304);
    expect(await same.arrayBuffer()).toHaveProperty('byteLength', 0);
    await arrived(() => ingestBar(rt.deps, bar('2025-06-04T13:50:00Z', '610')), 'bar');
    const changed = await get('positions.list', viewer, { 'if-none-match': etag });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(etag);
    expect(await text(changed)).toContain('"lastPrice":"610"');
  });

  it('never keeps an error, and passes other procedures and streamed batches through', async () => {
    const bad = `orders.list${input({ filter: { view: 'all' }, cursor: 'nope' })}`;
    let n = handled;
    expect((await get(bad)).status).toBe(400);
    expect((await get(bad)).status).toBe(400);
    expect(handled - n).toBe(2);
    n = handled;
    for (const path of [`positions.detail${input({ symbol: 'SPY' })}`, 'me', `positions.list,positions.detail?batch=1&input=${encodeURIComponent(JSON.stringify({ 1: { json: { symbol: 'SPY' } } }))}`]) {
      expect((await get(path)).status).toBe(200);
      expect((await get(path)).status).toBe(200);
    }
    expect((await get('positions.list?batch=1&input=%7B%7D', viewer, { 'trpc-accept': 'application/jsonl' })).status).toBe(200);
    expect(handled - n).toBe(7);
  });
});
