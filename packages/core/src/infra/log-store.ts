// A pino destination that keeps log lines in the Redis stream `<prefix>:logs` (trimmed with MAXLEN ~), each
// with its category, for the console's Logs page. It batches, never blocks the logger and never throws.
import { LOG_CATEGORIES, type TLogCategory } from '@ai-trader/contracts';
import { Redis } from 'ioredis';

export const logStreamKey = (prefix: string) => `${prefix}:logs`;

/** Lines longer than this are cut (a log line is not a data store). */
const MAX_LINE = 32_768;
const KNOWN = new Set<string>(LOG_CATEGORIES);
/** pino.multistream sets lastLevel & co. on a destination carrying this flag. */
const PINO_METADATA: unique symbol = Symbol.for('pino.metadata') as never;

/** Job queues (a worker's `job failed` line names one) by what they are about. */
const QUEUE_CATEGORY: Array<[RegExp, TLogCategory]> = [
  [/^(execution\.|broker\.|monitor\.outbox)/, 'orders'],
  [/^(portfolio\.|monitor\.reconcile)/, 'positions'],
  [/^(risk\.|monitor\.breakers)/, 'risk'],
  [/^backfill\./, 'backfill'],
  [/^scanner\./, 'scanner'],
  [/^(ingest\.|monitor\.freshness|maintenance\.daily-data)/, 'data'],
];
/** Alert keys (resolveAlert logs only the key) and sources (raiseAlert logs `source`). */
const ALERT_KEY: Array<[RegExp, TLogCategory]> = [
  [/^breaker\./, 'risk'], [/^reconcile\./, 'positions'], [/^(feed\.|data\.)/, 'data'], [/^scanner/, 'scanner'], [/^backfill/, 'backfill'],
];
const ALERT_SOURCE: Record<string, TLogCategory> = {
  risk: 'risk', exits: 'positions', reconciliation: 'positions', 'market-data': 'data', stored: 'data', db: 'data', scanner: 'scanner',
};

/**
 * The category of one parsed log line: its own `category` field (or the part before its dot); else what its child bindings or fields say
 * (a scanner run, a backfill run, a job queue, an alert, an order or intent id, a signal id); else `system`.
 */
export function logCategory(o: Record<string, unknown>): TLogCategory {
  if (typeof o.category === 'string') {
    // `scanner.alerts`, `backfill.news`: a file's subcategory (log-format.ts) of a page category.
    const own = o.category.split('.', 1)[0]!;
    if (KNOWN.has(own)) return own as TLogCategory;
  }
  if ('scannerRun' in o) return 'scanner';
  if ('backfillRun' in o) return 'backfill';
  if (typeof o.queue === 'string') for (const [re, c] of QUEUE_CATEGORY) if (re.test(o.queue)) return c;
  if (typeof o.alert === 'string') {
    if (typeof o.source === 'string' && ALERT_SOURCE[o.source]) return ALERT_SOURCE[o.source]!;
    for (const [re, c] of ALERT_KEY) if (re.test(o.alert)) return c;
  }
  if ('clientOrderId' in o || 'intentId' in o || 'brokerOrderId' in o) return 'orders';
  if ('signalId' in o) return 'risk'; // a signal's line with no category of its own: the risk decision on it
  if (typeof o.name === 'string' && KNOWN.has(o.name)) return o.name as TLogCategory;
  return 'system';
}

export interface LogEntry {
  level: number;
  category: TLogCategory;
  line: string;
}

/** pino writes `{"level":N,…` first; a later `level` field of the log object must not hide it. */
export function toLogEntry(raw: string, levelHint?: number): LogEntry {
  const line = raw.endsWith('\n') ? raw.slice(0, -1) : raw;
  let o: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(line);
    if (parsed && typeof parsed === 'object') o = parsed as Record<string, unknown>;
  } catch {
    /* not JSON (a cut line, a foreign writer): kept as text, category system */
  }
  const head = /^\{"level":(\d+)/.exec(line);
  const level = levelHint || (head ? Number(head[1]) : typeof o.level === 'number' ? o.level : 30);
  return { level, category: logCategory(o), line: line.length > MAX_LINE ? `${line.slice(0, MAX_LINE)}…[cut]` : line };
}

export interface LogStoreOptions {
  redis: Redis;
  prefix: string;
  /** XADD MAXLEN ~ this. */
  maxEntries: number;
  flushMs?: number;
  batchLines?: number;
  /** Lines waiting while Redis is slow; beyond it new lines are dropped (and counted). */
  maxBuffered?: number;
  /** Where the once-a-minute complaint goes (default stderr; never the logger itself). */
  warn?: (message: string) => void;
  /** Owns the connection: close() quits it. */
  ownsRedis?: boolean;
}

/** A pino destination (`write(line)`) with the metadata flag, so pino.multistream hands it the numeric level. */
export class LogStore {
  readonly [PINO_METADATA] = true;
  /** Set by pino.multistream before each write. */
  lastLevel = 0;
  stored = 0;
  dropped = 0;
  private buf: LogEntry[] = [];
  private timer: NodeJS.Timeout | null = null;
  private inFlight: Promise<void> | null = null;
  private closed = false;
  private lastWarnAt = Number.NEGATIVE_INFINITY;
  private readonly key: string;
  private readonly flushMs: number;
  private readonly batchLines: number;
  private readonly maxBuffered: number;
  private readonly warnOut: (m: string) => void;

  constructor(private readonly o: LogStoreOptions) {
    this.key = logStreamKey(o.prefix);
    this.flushMs = o.flushMs ?? 250;
    this.batchLines = o.batchLines ?? 200;
    this.maxBuffered = o.maxBuffered ?? 10_000;
    this.warnOut = o.warn ?? ((m) => void process.stderr.write(`${m}\n`));
  }

  write(chunk: string): void {
    try {
      if (this.closed || this.buf.length >= this.maxBuffered) {
        this.dropped++;
        if (!this.closed) this.complain('log store: Redis is behind; lines dropped');
        return;
      }
      this.buf.push(toLogEntry(chunk, this.lastLevel));
      if (this.buf.length >= this.batchLines) this.kick();
      else this.timer ??= setTimeout(() => this.kick(), this.flushMs).unref();
    } catch (e) {
      this.dropped++;
      this.complain(`log store: line not kept: ${(e as Error).message}`);
    }
  }

  /** Stores what is buffered now (and waits for a flush already running). */
  async flush(): Promise<void> {
    this.kick();
    while (this.inFlight) await this.inFlight;
  }

  /** Flushes and stops taking lines (later lines are dropped); quits the connection if it owns it. */
  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
    if (!this.o.ownsRedis) return;
    if (this.o.redis.status === 'ready') await this.o.redis.quit().catch(() => this.o.redis.disconnect());
    else this.o.redis.disconnect(); // down or still connecting: nothing left to send
  }

  private kick(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.inFlight || !this.buf.length) return; // the running flush takes what has arrived since
    this.inFlight = this.drain().finally(() => (this.inFlight = null));
  }

  private async drain(): Promise<void> {
    while (this.buf.length) {
      const batch = this.buf.splice(0, this.batchLines);
      try {
        const p = this.o.redis.pipeline();
        for (const e of batch) p.xadd(this.key, 'MAXLEN', '~', this.o.maxEntries, '*', 'level', e.level, 'category', e.category, 'line', e.line);
        const res = (await p.exec()) ?? [];
        const failed = res.filter(([err]) => err).length;
        this.stored += batch.length - failed;
        if (failed) {
          this.dropped += failed;
          this.complain(`log store: ${failed} line(s) dropped: ${res.find(([err]) => err)![0]!.message}`);
        }
      } catch (e) {
        this.dropped += batch.length;
        this.complain(`log store: ${batch.length} line(s) dropped: ${(e as Error).message}`);
      }
    }
  }

  /** At most once a minute, straight to stderr (logging it would feed the store that is failing). */
  private complain(message: string): void {
    const now = Date.now();
    if (now - this.lastWarnAt < 60_000) return;
    this.lastWarnAt = now;
    try {
      this.warnOut(`${message} (${this.dropped} dropped so far)`);
    } catch {
      /* nowhere left to say it */
    }
  }
}

/**
 * The store's own connection: a stuck log write must not queue behind (or in front of) trading commands,
 * and a command fails after one reconnect attempt instead of piling up while Redis is down.
 */
export function createLogStore(opts: { url: string; name: string; prefix: string; maxEntries: number; warn?: (m: string) => void }): LogStore {
  const redis = new Redis(opts.url, { maxRetriesPerRequest: 1, connectionName: `${opts.name}-logs`, lazyConnect: false });
  const store = new LogStore({ redis, prefix: opts.prefix, maxEntries: opts.maxEntries, ownsRedis: true, ...(opts.warn ? { warn: opts.warn } : {}) });
  // Connection errors are reported by the failing flushes; without a listener ioredis prints each retry.
  redis.on('error', () => undefined);
  return store;
}
