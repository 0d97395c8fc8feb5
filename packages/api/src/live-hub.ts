// One Redis subscription per console process, fanned out to every open SSE subscription, with bursts
// of events coalesced so a busy pipeline does not make each browser re-read many times a second.
import { EventEmitter } from 'node:events';
import { ZLiveEvent, type TLiveEvent } from '@ai-trader/contracts';
import { createRedis, keys } from '@ai-trader/core';
import type { Redis } from 'ioredis';

export class LiveHub {
  private readonly emitter = new EventEmitter();
  private sub: Redis | null = null;

  constructor(private readonly redisUrl: string, private readonly prefix: string) {
    this.emitter.setMaxListeners(0);
  }

  private ensure(): void {
    if (this.sub) return;
    const sub = createRedis(this.redisUrl, { name: 'console-live' });
    this.sub = sub;
    const channel = keys(this.prefix).live;
    void sub.subscribe(channel);
    sub.on('message', (ch: string, msg: string) => {
      if (ch !== channel) return;
      try {
        this.emitter.emit('event', ZLiveEvent.parse(JSON.parse(msg)));
      } catch {
        /* a malformed message is ignored: the next good one refreshes the page anyway */
      }
    });
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
    await this.sub?.quit().catch(() => undefined);
    this.sub = null;
  }
}
