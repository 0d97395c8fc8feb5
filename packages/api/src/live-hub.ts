// One Redis subscription per console process, fanned out to every open SSE subscription, with bursts
// of events coalesced so a busy pipeline does not make each browser re-read many times a second. It also counts the
// events of each kind, which is what the console's caches key their answers by (snapshot-cache.ts).
import { EventEmitter } from 'node:events';
import { ZLiveEvent, type TLiveEvent } from '@ai-trader/contracts';
import { createRedis, keys, type EventBus } from '@ai-trader/core';
import type { Redis } from 'ioredis';

export type LiveKind = TLiveEvent['kind'];

export class LiveHub {
  private readonly emitter = new EventEmitter();
  private sub: Redis | null = null;
  /** Events seen per kind (from Redis, and published by this process: see `telling`). */
  private readonly seen = new Map<LiveKind, number>();
  /** Bumped whenever the subscription is lost or made again: events may have gone by unseen in between. */
  private epoch = 0;
  private listening = false;

  constructor(private readonly redisUrl: string, private readonly prefix: string) {
    this.emitter.setMaxListeners(0);
  }

  private ensure(): void {
    if (this.sub) return;
    const sub = createRedis(this.redisUrl, { name: 'console-live' });
    this.sub = sub;
    const channel = keys(this.prefix).live;
    // Listening from the moment Redis confirms the subscription, after every (re)connection, until the connection drops.
    sub.on('ready', () => {
      sub.subscribe(channel).then(
        () => {
          if (sub.status !== 'ready' || this.sub !== sub) return;
          this.epoch++;
          this.listening = true;
        },
        () => undefined, // the connection dropped meanwhile: the next 'ready' tries again
      );
    });
    sub.on('close', () => {
      this.epoch++;
      if (this.sub === sub) this.listening = false;
    });
    sub.on('message', (ch: string, msg: string) => {
      if (ch !== channel) return;
      let e: TLiveEvent;
      try {
        e = ZLiveEvent.parse(JSON.parse(msg));
      } catch {
        return; // a malformed message is ignored: the next good one refreshes the page anyway
      }
      this.bump(e.kind);
      this.emitter.emit('event', e);
    });
  }

  private bump(kind: LiveKind): void {
    this.seen.set(kind, (this.seen.get(kind) ?? 0) + 1);
  }

  /**
   * Where the data behind `kinds` stands, as far as this process can tell: equal stamps mean no event of those kinds
   * arrived in between, so an answer computed after the first is still the answer. Null while the hub is not
   * subscribed (starting, or the connection to Redis is down): then no event would tell of a change.
   */
  stamp(kinds: readonly LiveKind[]): string | null {
    this.ensure();
    if (!this.listening) return null;
    let s = `${this.epoch}`;
    for (const k of kinds) s += `:${this.seen.get(k) ?? 0}`;
    return s;
  }

  /** `bus`, telling this hub of each event as it is published: a write made through this process is never followed
   *  by a cached answer from before it, even in the moment before its event comes back from Redis. */
  telling(bus: EventBus): EventBus {
    return {
      publish: (kind) => {
        this.bump(kind);
        return bus.publish(kind);
      },
    };
  }

  /** Yields the set of kinds that changed, at most once per `coalesceMs`, until `signal` aborts. */
  async *changes(signal: AbortSignal, coalesceMs = 250): AsyncGenerator<Set<TLiveEvent['kind']>> {
    this.ensure();
    let pending = new Set<TLiveEvent['kind']>();
    let wake: (() => void) | null = null;
    const onEvent = (e: TLiveEvent) => {
      pending.add(e.kind);
      wake?.();
    };
    const onAbort = () => wake?.();
    this.emitter.on('event', onEvent);
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      while (!signal.aborted) {
        if (!pending.size) await new Promise<void>((r) => (wake = r));
        wake = null;
        if (signal.aborted) break;
        await new Promise((r) => setTimeout(r, coalesceMs));
        const batch = pending;
        pending = new Set();
        yield batch;
      }
    } finally {
      this.emitter.off('event', onEvent);
      signal.removeEventListener('abort', onAbort);
    }
  }

  async close(): Promise<void> {
    const sub = this.sub;
    this.sub = null;
    this.listening = false;
    this.epoch++;
    await sub?.quit().catch(() => undefined);
  }
}
