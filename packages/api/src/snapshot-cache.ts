// Answers computed once per version of the data they show: the LiveHub counts the live events of each kind, so an
// answer computed after the last event of the kinds it depends on is still the answer — for every caller — until the
// next such event arrives. Callers that ask while it is being computed wait for that one computation.
import { observeCache } from '@ai-trader/core';
import type { LiveHub, LiveKind } from './live-hub.ts';

interface Entry {
  stamp: string;
  value: Promise<unknown>;
  /** When its computation started (performance.now()): the data is at least that fresh. */
  at: number;
  settled: boolean;
  refreshing: boolean;
}

export interface SnapshotCacheOptions {
  /** Entries kept (least recently used dropped first). */
  maxEntries: number;
  /**
   * A safety net, not the invalidation: an answer older than this is computed again in the background while the old
   * one is still served, in case a change came without its event (a write that publishes none, a message lost).
   */
  maxAgeMs: number;
  /** Whether a computed value may be kept (e.g. only successful answers); a value not kept still goes to its waiters. */
  keep?: (value: unknown) => boolean;
}

export class SnapshotCache {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly hub: LiveHub, private readonly opts: SnapshotCacheOptions) {}

  /**
   * The answer for `key` at the current version of `kinds`: cached, being computed, or computed now by `compute`.
   * One key must always be computed the same way (same kinds, same type of answer).
   */
  get<T>(key: string, kinds: readonly LiveKind[], compute: () => Promise<T>): Promise<T> {
    const stamp = this.hub.stamp(kinds);
    if (stamp === null) {
      observeCache('snapshot', 'bypass');
      return compute(); // not listening: nothing would tell us the answer changed
    }
    const e = this.entries.get(key);
    if (e && e.stamp === stamp) {
      observeCache('snapshot', 'hit');
      this.entries.delete(key); // most recently used goes last
      this.entries.set(key, e);
      if (e.settled && !e.refreshing && performance.now() - e.at > this.opts.maxAgeMs) this.refresh(key, e, compute);
      return e.value as Promise<T>;
    }
    observeCache('snapshot', 'miss');
    return this.fill(key, stamp, compute);
  }

  /** How many answers are kept (for tests and metrics). */
  get size(): number {
    return this.entries.size;
  }

  private fill<T>(key: string, stamp: string, compute: () => Promise<T>): Promise<T> {
    const e: Entry = { stamp, value: Promise.resolve(), at: performance.now(), settled: false, refreshing: false };
    const value = compute();
    e.value = value;
    this.entries.delete(key);
    this.entries.set(key, e);
    while (this.entries.size > this.opts.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    value.then(
      (v) => {
        e.settled = true;
        if (this.opts.keep && !this.opts.keep(v) && this.entries.get(key) === e) this.entries.delete(key);
      },
      () => {
        if (this.entries.get(key) === e) this.entries.delete(key); // the next caller tries again
      },
    );
    return value;
  }

  /** Computes the answer again at the same version; the old one is served until the new one is there. */
  private refresh(key: string, e: Entry, compute: () => Promise<unknown>): void {
    e.refreshing = true;
    const at = performance.now();
    compute().then(
      (v) => {
        e.refreshing = false;
        if (this.entries.get(key) !== e || (this.opts.keep && !this.opts.keep(v))) return;
        e.value = Promise.resolve(v);
        e.at = at;
      },
      () => {
        e.refreshing = false;
        e.at = performance.now(); // keep serving the answer we have; try again after another maxAgeMs
      },
    );
  }
}

const shared = new WeakMap<LiveHub, SnapshotCache>();

/** The answers a hub's live subscriptions share: a change pushed to N open pages is computed once, not N times. */
export function sharedSnapshots(hub: LiveHub): SnapshotCache {
  let c = shared.get(hub);
  if (!c) shared.set(hub, (c = new SnapshotCache(hub, { maxEntries: 64, maxAgeMs: 10_000 })));
  return c;
}
