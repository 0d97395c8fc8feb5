// Answers kept per data version (real Redis: the hub's subscription): the change event of a kind drops the answers
// that depend on it and no other; callers during a computation share it, but a caller after an event never gets the
// answer computed before it; nothing is kept while the hub is not listening; errors are not kept.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestRuntime, type TestRuntime } from '@ai-trader/adapters/testing';
import { LiveHub, type LiveKind } from './live-hub.ts';
import { SnapshotCache } from './snapshot-cache.ts';

function deferred<T>() {
  let resolve!: (v: T) => void, reject!: (e: Error) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

describe('SnapshotCache', () => {
  let rt: TestRuntime;
  let hub: LiveHub;
  beforeAll(async () => {
    rt = await createTestRuntime('snapcache');
  });
  afterEach(async () => hub?.close());
  afterAll(async () => rt?.cleanup());

  /** A hub that is subscribed (its stamp is not null). */
  async function listeningHub(): Promise<LiveHub> {
    const h = new LiveHub(rt.config.REDIS_URL, rt.config.REDIS_PREFIX);
    await expect.poll(() => h.stamp(['position'])).not.toBeNull();
    return h;
  }
  /** Publishes as a worker does (through Redis) and waits until the hub has the event. */
  async function changed(kind: LiveKind) {
    const before = hub.stamp([kind]);
    await rt.deps.events.publish(kind);
    await expect.poll(() => hub.stamp([kind])).not.toBe(before);
  }

  it('computes once per version, and again after an event of a kind the answer depends on', async () => {
    hub = await listeningHub();
    const cache = new SnapshotCache(hub, { maxEntries: 10, maxAgeMs: 60_000 });
    let n = 0;
    const get = () => cache.get('positions', ['position', 'order'], async () => ++n);
    expect(await get()).toBe(1);
    expect(await get()).toBe(1);
    await changed('audit'); // not a kind it shows
    expect(await get()).toBe(1);
    await changed('order');
    expect(await get()).toBe(2);
    expect(await get()).toBe(2);
    await changed('position');
    expect(await get()).toBe(3);
  });

  it('lets callers during a computation share it, but not callers after an event', async () => {
    hub = await listeningHub();
    const cache = new SnapshotCache(hub, { maxEntries: 10, maxAgeMs: 60_000 });
    const runs: ReturnType<typeof deferred<string>>[] = [];
    const get = () => cache.get('orders', ['order'], () => {
      const d = deferred<string>();
      runs.push(d);
      return d.promise;
    });
    const early = Array.from({ length: 20 }, get);
    expect(runs).toHaveLength(1);
    await changed('order'); // a write committed while the first computation runs
    const late = get();
    expect(runs).toHaveLength(2);
    runs[1]!.resolve('after the write');
    runs[0]!.resolve('before the write');
    expect(new Set(await Promise.all(early))).toEqual(new Set(['before the write']));
    expect(await late).toBe('after the write');
    expect(await get()).toBe('after the write'); // the older answer finishing last did not replace it
    expect(runs).toHaveLength(2);
  });

  it('keeps nothing while the hub is not listening', async () => {
    hub = new LiveHub(rt.config.REDIS_URL, rt.config.REDIS_PREFIX);
    const cache = new SnapshotCache(hub, { maxEntries: 10, maxAgeMs: 60_000 });
    let n = 0;
    // Before Redis has confirmed the subscription, an event could go by unseen.
    expect(await cache.get('k', ['order'], async () => ++n)).toBe(1);
    await expect.poll(() => hub.stamp(['order'])).not.toBeNull();
    expect(await cache.get('k', ['order'], async () => ++n)).toBe(2);
    expect(await cache.get('k', ['order'], async () => ++n)).toBe(2);
    await hub.close();
    expect(await cache.get('k', ['order'], async () => ++n)).toBe(3);
  });

  it('does not keep a failure or an answer it is told not to keep', async () => {
    hub = await listeningHub();
    const cache = new SnapshotCache(hub, { maxEntries: 10, maxAgeMs: 60_000, keep: (v) => v !== 'not ok' });
    await expect(cache.get('e', ['order'], async () => { throw new Error('database down'); })).rejects.toThrow('database down');
    expect(await cache.get('e', ['order'], async () => 'ok')).toBe('ok');
    expect(await cache.get('x', ['order'], async () => 'not ok')).toBe('not ok');
    expect(await cache.get('x', ['order'], async () => 'second')).toBe('second');
  });

  it('after maxAgeMs computes again in the background, serving the answer it has meanwhile', async () => {
    hub = await listeningHub();
    const cache = new SnapshotCache(hub, { maxEntries: 10, maxAgeMs: 30 });
    expect(await cache.get('k', ['order'], async () => 'first')).toBe('first');
    await new Promise((r) => setTimeout(r, 50));
    const again = deferred<string>();
    expect(await cache.get('k', ['order'], () => again.promise)).toBe('first');
    again.resolve('second');
    await expect.poll(() => cache.get('k', ['order'], async () => 'not asked')).toBe('second');
  });

  it('drops the least recently used answers beyond maxEntries', async () => {
    hub = await listeningHub();
    const cache = new SnapshotCache(hub, { maxEntries: 2, maxAgeMs: 60_000 });
    for (const k of ['a', 'b', 'a', 'c']) await cache.get(k, ['order'], async () => k);
    expect(cache.size).toBe(2);
    expect(await cache.get('a', ['order'], async () => 'recomputed a')).toBe('a');
    expect(await cache.get('b', ['order'], async () => 'recomputed b')).toBe('recomputed b');
  });

  it('learns of this process\'s own writes at once, before their event comes back from Redis', async () => {
    hub = await listeningHub();
    const cache = new SnapshotCache(hub, { maxEntries: 10, maxAgeMs: 60_000 });
    const bus = hub.telling({ publish: () => new Promise<void>(() => undefined) }); // Redis never answers
    let n = 0;
    expect(await cache.get('k', ['position'], async () => ++n)).toBe(1);
    void bus.publish('position');
    expect(await cache.get('k', ['position'], async () => ++n)).toBe(2);
  });
});
