// Credentials for running clients that follow a rotation without a restart: looked up when needed and cached for a
// short TTL, re-read at once when a rotation is announced on Redis (a missed message only delays it to the TTL).
import type { Logger } from 'pino';
import type { CredentialSource } from '../ports.ts';
import { createRedis, keys } from './redis.ts';

export interface CachedCredentialsOptions<T> {
  load(): Promise<T>;
  /** Whether two loads are the same credentials (a change notifies the listeners). */
  same(a: T, b: T): boolean;
  /** How long a lookup is reused (default 30 s). */
  ttlMs?: number;
  logger: Logger;
  what: string; // e.g. "Alpaca credentials", for log lines
  /** Once, at the first get/refresh/onChange (e.g. to subscribe to change announcements only when used). */
  onFirstUse?(): void;
}

export class CachedCredentials<T> implements CredentialSource<T> {
  private cached: { value: T; at: number } | undefined;
  private loading: Promise<T> | undefined;
  private readonly listeners = new Set<() => void>();
  private used = false;

  constructor(private readonly o: CachedCredentialsOptions<T>) {}

  private use(): void {
    if (this.used) return;
    this.used = true;
    this.o.onFirstUse?.();
  }

  get(): Promise<T> {
    this.use();
    const c = this.cached;
    if (c && Date.now() - c.at < (this.o.ttlMs ?? 30_000)) return Promise.resolve(c.value);
    return this.refresh();
  }

  /** Looks up again (one lookup at a time: callers arriving meanwhile share it); notifies listeners on a change. */
  refresh(): Promise<T> {
    this.use();
    this.loading ??= this.o.load().then(
      (value) => {
        this.loading = undefined;
        const before = this.cached?.value;
        this.cached = { value, at: Date.now() };
        if (before !== undefined && !this.o.same(before, value)) {
          this.o.logger.info(`${this.o.what} changed; clients switch to the new key`);
          for (const l of this.listeners) l();
        }
        return value;
      },
      (e: unknown) => {
        this.loading = undefined;
        throw e;
      },
    );
    return this.loading;
  }

  onChange(listener: () => void): () => void {
    this.use();
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** A rotation was announced: re-read now if this process uses these credentials (failures are logged; the next
   *  get() tries again). */
  changed(): void {
    if (!this.used) return;
    this.refresh().catch((e: unknown) => this.o.logger.error({ err: (e as Error).message }, `${this.o.what}: re-reading after a key change failed`));
  }
}

/** Listens for announced key changes (rotate-api-key.ts) on its own connection; `onChange(provider)` per message. */
export function subscribeApiKeyChanges(opts: { url: string; prefix: string; name: string; logger: Logger; onChange(provider: string): void }): { close(): Promise<void> } {
  const sub = createRedis(opts.url, { forBullWorker: true, name: `${opts.name}-keys` });
  const channel = keys(opts.prefix).apiKeysChanged;
  sub.subscribe(channel).catch((e: unknown) => opts.logger.error({ err: (e as Error).message }, 'cannot subscribe to API key changes; rotations reach this process only through the credentials TTL'));
  sub.on('message', (ch: string, text: string) => {
    if (ch !== channel) return;
    try {
      const { provider } = JSON.parse(text) as { provider?: unknown };
      if (typeof provider === 'string') opts.onChange(provider);
    } catch {
      opts.logger.warn('unreadable API key change message ignored');
    }
  });
  return {
    async close() {
      await sub.quit().catch(() => undefined);
    },
  };
}
