// The one typed configuration of every process, parsed once from the environment at start-up.
// A bad value stops start-up with one line naming the variable (see ConfigError).
import path from 'node:path';
import { z } from 'zod';
import { parseReadinessWindows } from './readiness.ts';

const csv = z
  .string()
  .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean));
const symbolList = csv.pipe(z.array(z.string().regex(/^[A-Z][A-Z0-9.]{0,9}$/, 'symbols are upper-case tickers like SPY')).min(1));
const positiveDecimal = z.string().regex(/^\d+(\.\d+)?$/, 'must be a positive decimal number like 100000 or 2.5');
const url = (schemes: string[]) =>
  z.string().refine((s) => {
    try {
      return schemes.includes(new URL(s).protocol.replace(':', ''));
    } catch {
      return false;
    }
  }, `must be a ${schemes.join(' or ')} URL`);

const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
const ADDRESS = /^[^\s@<>,"]+@[^\s@<>,"]+\.[^\s@<>,"]+$/;
const MAILBOX = new RegExp(`^(?:${ADDRESS.source.slice(1, -1)}|[^<>]*<${ADDRESS.source.slice(1, -1)}>)$`);
const BASE64 = /^(?:[A-Za-z0-9+/]+={0,2}|[A-Za-z0-9_-]+)$/;

/** The length in bytes of a base64 (or base64url) text without decoding it (this module also runs in browsers). */
const base64Bytes = (b64: string) => Math.floor((b64.replace(/=+$/, '').length * 3) / 4);

/**
 * KEYS_ENCRYPTION_KEYS as entries `{ id, base64 }`, or the first problem — naming the entry by its position (and id
 * once that is known to be one), never quoting key material.
 */
export function parseEncryptionKeys(text: string): { keys: Array<{ id: string; base64: string }> } | { error: string } {
  const keys: Array<{ id: string; base64: string }> = [];
  const entries = text.split(',').map((e) => e.trim());
  for (const [i, entry] of entries.entries()) {
    const n = `entry ${i + 1} of ${entries.length}`;
    const colon = entry.indexOf(':');
    if (colon < 0) return { error: `${n} must be id:base64-of-32-bytes (no ':' in it)` };
    const id = entry.slice(0, colon);
    const b64 = entry.slice(colon + 1);
    if (!KEY_ID.test(id)) return { error: `${n}: its id must be 1–32 letters, digits, _ or -` };
    if (keys.some((k) => k.id === id)) return { error: `${n}: id '${id}' is used twice` };
    if (!BASE64.test(b64)) return { error: `${n} (id '${id}'): the key must be base64 (e.g. from openssl rand -base64 32)` };
    if (base64Bytes(b64) !== 32) return { error: `${n} (id '${id}'): the key must be 32 bytes, it is ${base64Bytes(b64)} (e.g. from openssl rand -base64 32)` };
    keys.push({ id, base64: b64 });
  }
  return { keys };
}

/** The worker roles a deployment runs (`all` = every one); readiness expects a live process for each. */
export const WORKER_ROLE_NAMES = ['feed', 'ingest', 'scoring', 'risk', 'execution', 'broker', 'portfolio', 'backfill', 'scheduler'] as const;

export const ZConfig = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
    /** Keep every process's log lines in the Redis stream `<prefix>:logs` for the console's Logs page. */
    LOG_STORE: z.enum(['true', 'false']).default('true').transform((s) => s === 'true'),
    /** The stream is trimmed to about this many lines (XADD MAXLEN ~). */
    LOG_STORE_MAX_ENTRIES: z.coerce.number().int().min(1000).max(10_000_000).default(100_000),
    /** Lowest level kept in the store, independent of LOG_LEVEL (what stdout shows). */
    LOG_STORE_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).default('info'),
    /** stdout: `json`, or `pretty` (the runbook's line form, New York time); unset → pretty in development, else json. */
    LOG_FORMAT: z.enum(['json', 'pretty']).optional(),
    /** The runbook's category files (ai_trader.log, trading/…, backfill/…, scanner/…, errors/…) go under this directory;
     *  unset → logs/ at the workspace root (none when NODE_ENV=test), empty or `off` → no files. */
    LOG_DIR: z.string().optional(),
    /** The files' lines: `json` (one record a line) or `pretty` (the runbook's line form). */
    LOG_FILE_FORMAT: z.enum(['json', 'pretty']).default('json'),
    /** Lowest level written to the files, independent of LOG_LEVEL. */
    LOG_FILE_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).default('info'),
    PORT: z.coerce.number().int().min(1).max(65535).default(3000),
    PUBLIC_URL: url(['http', 'https']).optional(),
    DATABASE_URL: url(['postgres', 'postgresql']).default('postgresql://postgres@127.0.0.1:5432/ai_trader'),
    REDIS_URL: url(['redis', 'rediss']).default('redis://127.0.0.1:6379'),
    // Namespaces every Redis key and BullMQ queue, so tests and several installs can share one Redis.
    REDIS_PREFIX: z.string().regex(/^[a-z0-9_-]{1,40}$/, 'lower-case letters, digits, _ or -').default('ait'),
    SESSION_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
    /** A session unused for this long ends (sign in again). */
    AUTH_SESSION_IDLE_MINUTES: z.coerce.number().int().min(1).max(24 * 60).default(15),
    /** A session ends this long after sign-in, used or not. */
    AUTH_SESSION_MAX_HOURS: z.coerce.number().int().min(1).max(24 * 30).default(8),
    /** This many failed sign-ins in a row lock the account for AUTH_LOCKOUT_MINUTES (audited as auth.lockout). */
    AUTH_LOCKOUT_THRESHOLD: z.coerce.number().int().min(1).max(100).default(5),
    AUTH_LOCKOUT_MINUTES: z.coerce.number().int().min(1).max(24 * 60).default(15),
    /** Sign-in attempts per client IP per minute before 429 (all accounts together). */
    AUTH_IP_SIGN_INS_PER_MINUTE: z.coerce.number().int().min(1).max(10_000).default(20),

    BROKER: z.enum(['sim', 'alpaca']).default('sim'),
    FEED: z.enum(['replay', 'synthetic', 'polygon']).default('replay'),
    ALPACA_KEY_ID: z.string().min(1).optional(),
    ALPACA_SECRET_KEY: z.string().min(1).optional(),
    ALPACA_BASE_URL: url(['http', 'https']).default('https://paper-api.alpaca.markets'),
    ALPACA_STREAM_URL: url(['ws', 'wss']).default('wss://paper-api.alpaca.markets/stream'),
    POLYGON_API_KEY: z.string().min(1).optional(),
    /** Encryption keys of the provider API keys stored in the database (`ai-trader keys`): `id:base64-of-32-bytes`,
     *  comma-separated. Keep an old entry while rows sealed with it remain; KEYS_ENCRYPTION_KEY_ID seals new ones. */
    KEYS_ENCRYPTION_KEYS: z.string().superRefine((s, ctx) => {
      const r = parseEncryptionKeys(s);
      if ('error' in r) ctx.addIssue({ code: 'custom', message: r.error });
    }).optional(),
    KEYS_ENCRYPTION_KEY_ID: z.string().regex(KEY_ID, 'must be an id of KEYS_ENCRYPTION_KEYS (letters, digits, _ or -)').optional(),
    /** The Alpaca account's request limit a minute, shared by every process through Redis (Alpaca's default: 200). */
    ALPACA_REQUESTS_PER_MINUTE: z.coerce.number().int().min(1).max(100_000).default(200),
    /** Of those, how many a minute new orders leave to everything else (cancels, HALT, flatten, reconciliation): a
     *  backlog of entries can never use up what an emergency needs. */
    ALPACA_RESERVED_REQUESTS: z.coerce.number().int().min(0).max(99_999).default(20),
    POLYGON_BASE_URL: url(['http', 'https']).default('https://api.polygon.io'),
    POLYGON_STREAM_URL: url(['ws', 'wss']).default('wss://socket.polygon.io/stocks'),
    // Shared by every process through Redis (the provider counts per key, not per process).
    POLYGON_REQUESTS_PER_SECOND: z.coerce.number().positive().max(1000).default(5),
    POLYGON_DAILY_LIMIT: z.coerce.number().int().positive().optional(),

    WORKER_ROLES: csv
      .pipe(z.array(z.enum(['all', ...WORKER_ROLE_NAMES])).min(1))
      .default(['all']),
    /** How long a worker's claim on a job lasts without renewal (BullMQ lockDuration): a killed worker's job is
     *  taken over after at most this plus WORKER_STALLED_INTERVAL_MS. */
    WORKER_LOCK_DURATION_MS: z.coerce.number().int().min(1000).max(600_000).default(30_000),
    /** How often workers look for jobs whose worker died (BullMQ stalledInterval). */
    WORKER_STALLED_INTERVAL_MS: z.coerce.number().int().min(500).max(600_000).default(15_000),
    /** A job whose worker died more than this many times is failed (then the outbox sweep re-queues an intent). */
    WORKER_MAX_STALLED_COUNT: z.coerce.number().int().min(1).max(100).default(3),
    /** Port of the workers' Prometheus endpoint (GET /metrics); 0 = off. */
    WORKERS_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(0),
    /** Bearer token Prometheus sends to /api/metrics and the workers' endpoint. Unset: loopback only, and off in production. */
    METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters (e.g. openssl rand -hex 24)').optional(),
    /** Each part of a console scrape (Postgres, Redis, queues) gives up after this long and is reported as a scrape error. */
    METRICS_SCRAPE_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(3000),
    /** The scheduled jobs (default: ops/job-definitions.yaml of this repository). */
    JOB_DEFINITIONS_FILE: z.string().min(1).optional(),
    /** The capital ramp's steps (default: ops/capital-ramp.yaml of this repository). */
    CAPITAL_RAMP_FILE: z.string().min(1).optional(),
    /** A worker process whose memory (RSS) passes this many MB closes its workers and exits with code 75, for its
     *  supervisor to start it again; the memory_mb of the scheduled jobs it runs can set a lower ceiling. */
    WORKER_MEMORY_LIMIT_MB: z.coerce.number().int().min(32).max(262_144).optional(),
    /** How often a worker process samples its memory against that ceiling. */
    WORKER_MEMORY_CHECK_MS: z.coerce.number().int().min(100).max(600_000).default(5000),
    /** The console's cached lists are computed again after this long even without a live event (a safety net). */
    CONSOLE_LIST_REFRESH_SECONDS: z.coerce.number().min(1).max(3600).default(60),
    /** An approved intent still PENDING after this long gets its submission job re-queued (the outbox sweep). */
    OUTBOX_SWEEP_AFTER_SECONDS: z.coerce.number().int().min(5).max(86_400).default(60),
    /** A submission held this long behind an older intent of its symbol makes sure that one's job will run (at most
     *  once per this interval per held job): the per-symbol hold repairs itself without waiting for the sweep. */
    OUTBOX_HOLD_RECHECK_SECONDS: z.coerce.number().min(0.5).max(3600).default(5),
    /** Emergency liquidate asks the broker again and again until nothing is open, for at most this long, then reports
     *  what is still open and why. */
    LIQUIDATE_VERIFY_TIMEOUT_SECONDS: z.coerce.number().min(0.1).max(3600).default(30),
    /** Resume needs a clean reconciliation no older than this; an older one (or none) is run again first. */
    RESUME_RECONCILE_MAX_AGE_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
    /** Connections of each process's pg pool (the order path, COPY, partition and maintenance work). */
    PG_POOL_MAX: z.coerce.number().int().min(1).max(500).default(6),
    /** Connections of each process's Prisma pool. */
    PRISMA_POOL_MAX: z.coerce.number().int().min(1).max(500).default(10),
    /** A query waiting longer than this for a free pooled connection fails with an error naming the pool and its
     *  size (PoolExhaustedError), instead of hanging. */
    PG_POOL_ACQUIRE_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
    /** Where `ai-trader db backup` writes its pg_dump files (custom format) and their manifests. */
    BACKUP_DIR: z.string().min(1).default(path.resolve(process.cwd(), 'var/backups')),
    /** Where `ai-trader db archive` writes old bar partitions: gzip CSV and a manifest with sha256 checksums. */
    ARCHIVE_DIR: z.string().min(1).default(path.resolve(process.cwd(), 'var/archive')),
    REPLAY_DATA_DIR: z.string().min(1).default(path.resolve(process.cwd(), '../shared/data')),
    REPLAY_SYMBOLS: symbolList.default(['SPY', 'QQQ', 'AAPL', 'MSFT']),
    // Symbols of the live (Polygon) and synthetic feeds.
    FEED_SYMBOLS: symbolList.default(['SPY', 'QQQ', 'AAPL', 'MSFT']),
    SYNTHETIC_SEED: z.string().min(1).default('demo'),
    REPLAY_START: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date like 2025-06-04').optional(),
    REPLAY_END: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date like 2025-06-04').optional(),
    // Market time per wall-clock time: 300 plays a 5-minute bar every second.
    REPLAY_SPEED: z.coerce.number().positive().max(1_000_000).default(300),
    // realtime: emit on the clock; lockstep: wait until the pipeline is idle before the next bar (deterministic).
    REPLAY_PACING: z.enum(['realtime', 'lockstep']).default('realtime'),
    REPLAY_SESSION: z.enum(['regular', 'all']).default('regular'),
    REPLAY_LOOP: z.enum(['true', 'false']).default('true').transform((s) => s === 'true'),

    // A symbol whose newest bar arrived longer ago than this is stale: health degrades, entries are denied.
    STALE_AFTER_SECONDS: z.coerce.number().int().min(5).max(86_400).default(120),

    ORDER_NOTIONAL: positiveDecimal.default('10000'),
    RISK_MAX_POSITION_QTY: positiveDecimal.default('1000'),
    RISK_MAX_POSITION_NOTIONAL: positiveDecimal.default('50000'),
    /** Sum of |position value| plus working entries, across symbols. */
    RISK_MAX_GROSS_EXPOSURE: positiveDecimal.default('200000'),
    /** Long minus short value plus working entries (long-only today: the same as gross). */
    RISK_MAX_NET_EXPOSURE: positiveDecimal.default('150000'),
    RISK_MAX_OPEN_ORDERS: z.coerce.number().int().min(1).max(10_000).default(20),
    RISK_MAX_ORDERS_PER_MINUTE: z.coerce.number().int().min(1).max(10_000).default(30),
    /** An entry whose reference price is further than this from the last price is refused (bad tick, stale signal). */
    RISK_PRICE_COLLAR_PCT: z.coerce.number().gt(0).max(100).default(5),
    /** Circuit breakers: a loss of this much since the New York day's first equity → REDUCING (exits only). */
    RISK_DAILY_LOSS_LIMIT: positiveDecimal.default('3000'),
    /** Equity this far below its peak → HALTED (orders cancelled). */
    RISK_MAX_DRAWDOWN_PCT: z.coerce.number().gt(0).max(100).default(10),
    /** This many broker rejects in a row → REDUCING. */
    RISK_MAX_CONSECUTIVE_REJECTS: z.coerce.number().int().min(1).max(1000).default(5),
    /** More than this share of broker submissions rejected or failed (unreachable) in the window → REDUCING. */
    RISK_MAX_ERROR_RATE_PCT: z.coerce.number().gt(0).max(100).default(25),
    /** The error-rate breaker's rolling window, in minutes. */
    RISK_ERROR_RATE_WINDOW_MIN: z.coerce.number().int().min(1).max(1440).default(15),
    /** The error-rate breaker judges only a window with at least this many submissions (1 of 1 is no rate). */
    RISK_ERROR_RATE_MIN_SUBMISSIONS: z.coerce.number().int().min(1).max(10_000).default(10),
    // Simulated broker (BROKER=sim). The defaults fill at the next bar's open without slippage, delay or faults (the
    // replay's backtest then matches it to the cent; the volume cap binds only orders beyond 10 % of a bar's volume).
    SIM_STARTING_CASH: positiveDecimal.default('100000'),
    /** Basis points a market order pays above (BUY) or receives below (SELL) the bar's open; the price is rounded to the cent. */
    SIM_SLIPPAGE_BPS: z.coerce.number().min(0).max(1000).default(0),
    /** A bar fills at most this share of its volume, shared by the symbol's open orders oldest first; the rest waits for later bars. */
    SIM_MAX_VOLUME_PCT: z.coerce.number().gt(0).max(100).default(10),
    /** Largest position (shares) a BUY may build at the sim, counting its open BUYs; beyond it → position_limit. Unset: none. */
    SIM_MAX_POSITION_QTY: positiveDecimal.optional(),
    /** Delay of every sim broker call in ms: "2", or "1-5" for a uniform draw. 0 waits not at all (no timer). */
    SIM_LATENCY_MS: z
      .string()
      .regex(/^\d{1,5}(-\d{1,5})?$/, 'must be milliseconds like 2 or a range like 1-5')
      .transform((s) => {
        const [min, max = min] = s.split('-').map(Number) as [number, number?];
        return { min, max };
      })
      .refine((r) => r.min <= r.max, 'range must be low-high')
      .default({ min: 0, max: 0 }),
    /** Fault injection (tests, chaos): share 0–1 of new orders refused with cause `rejected`. */
    SIM_REJECT_RATE: z.coerce.number().min(0).max(1).default(0),
    /** Fault injection: share 0–1 of submissions that throw a broker_down error — half before the order is booked,
     *  half after it (a lost answer: the retry with the same client_order_id finds it). */
    SIM_FAIL_RATE: z.coerce.number().min(0).max(1).default(0),
    /** Seed of the fault draws (same seed, same faults for the same orders). */
    SIM_FAULT_SEED: z.string().min(1).default('sim'),

    // Alert sinks besides the console (alerts.deliver jobs, workers' broker role). The URLs carry credentials or
    // tokens: they are secrets (never echoed, logged only masked).
    /** Generic webhook: every alert POSTed as JSON. */
    ALERT_WEBHOOK_URL: url(['http', 'https']).optional(),
    /** Slack-compatible incoming webhook ({ text, blocks }). */
    ALERT_SLACK_WEBHOOK_URL: url(['http', 'https']).optional(),
    /** E-mail: smtp://user:pass@host:587 (STARTTLS when offered) or smtps://… (TLS from the start). */
    ALERT_SMTP_URL: url(['smtp', 'smtps']).optional(),
    ALERT_EMAIL_FROM: z.string().refine((s) => MAILBOX.test(s), 'must be an address like alerts@example.com or "ai-trader <alerts@example.com>"').optional(),
    ALERT_EMAIL_TO: csv.pipe(z.array(z.string().regex(ADDRESS, 'must be e-mail addresses separated by commas')).min(1, 'must name at least one address')).optional(),
    /** Alerts of this level and above go to the sinks (emergency actions and `ai-trader alert send` always do). */
    ALERT_MIN_LEVEL: z.enum(['info', 'warning', 'critical']).default('warning'),
    /** At most one delivery per alert key in this many minutes (a flapping or repeating alert does not spam). */
    ALERT_REPEAT_MINUTES: z.coerce.number().int().min(0).max(24 * 60).default(15),
    /** One sink attempt (HTTP request or SMTP session) gives up after this long. */
    ALERT_SINK_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),

    /** Go-live readiness (readiness.ts). Prometheus's HTTP API, asked whether its targets are up and its alert rules loaded. */
    PROMETHEUS_URL: url(['http', 'https']).optional(),
    /** Trading days of clean paper trading the paper-record check asks for. */
    READINESS_PAPER_DAYS: z.coerce.number().int().min(1).max(250).default(5),
    /** Partitions must exist this many days ahead. */
    READINESS_PARTITION_DAYS_AHEAD: z.coerce.number().int().min(1).max(365).default(7),
    /** Headroom: at least this share of the backup disk free, and Redis under this share of its maxmemory. */
    READINESS_MIN_DISK_FREE_PCT: z.coerce.number().gt(0).max(100).default(10),
    READINESS_MAX_REDIS_MEMORY_PCT: z.coerce.number().gt(0).max(100).default(80),
    /** Freshness windows per check, overriding the defaults: `paper.record=26h,db.backup-restore=8d`. */
    READINESS_WINDOWS: z.string().superRefine((s, ctx) => {
      const r = parseReadinessWindows(s);
      if ('error' in r) ctx.addIssue({ code: 'custom', message: r.error });
    }).optional(),

    DEMO_ADMIN_EMAIL: z.string().email().default('admin@example.com'),
    DEMO_ADMIN_PASSWORD: z.string().min(12, 'must be at least 12 characters').optional(),
  })
  .superRefine((c, ctx) => {
    if (c.ALPACA_RESERVED_REQUESTS >= c.ALPACA_REQUESTS_PER_MINUTE)
      ctx.addIssue({ code: 'custom', path: ['ALPACA_RESERVED_REQUESTS'], message: `must be below ALPACA_REQUESTS_PER_MINUTE (${c.ALPACA_REQUESTS_PER_MINUTE}): new orders need some of the limit` });
    // With an encryption key the provider keys may be stored (ai-trader keys add): the runtime then says, at first
    // use, if neither a stored active key nor these variables exist. Without one, they are the only source.
    const stored = c.KEYS_ENCRYPTION_KEYS !== undefined;
    const orStore = ' (or store keys: set KEYS_ENCRYPTION_KEYS and run ai-trader keys add)';
    if (c.BROKER === 'alpaca' && !stored)
      for (const k of ['ALPACA_KEY_ID', 'ALPACA_SECRET_KEY'] as const)
        if (!c[k]) ctx.addIssue({ code: 'custom', path: [k], message: `is required when BROKER=alpaca${orStore}` });
    if ((c.ALPACA_KEY_ID === undefined) !== (c.ALPACA_SECRET_KEY === undefined)) {
      const [missing, other] = c.ALPACA_KEY_ID === undefined ? ['ALPACA_KEY_ID', 'ALPACA_SECRET_KEY'] : ['ALPACA_SECRET_KEY', 'ALPACA_KEY_ID'];
      ctx.addIssue({ code: 'custom', path: [missing], message: `is required with ${other} (they are one key pair)` });
    }
    if (c.FEED === 'polygon' && !c.POLYGON_API_KEY && !stored)
      ctx.addIssue({ code: 'custom', path: ['POLYGON_API_KEY'], message: `is required when FEED=polygon${orStore}` });
    if (c.ALERT_SMTP_URL !== undefined)
      for (const k of ['ALERT_EMAIL_FROM', 'ALERT_EMAIL_TO'] as const)
        if (c[k] === undefined) ctx.addIssue({ code: 'custom', path: [k], message: 'is required with ALERT_SMTP_URL (who sends the alert e-mails, and to whom)' });
    if (c.ALERT_SMTP_URL === undefined)
      for (const k of ['ALERT_EMAIL_FROM', 'ALERT_EMAIL_TO'] as const)
        if (c[k] !== undefined) ctx.addIssue({ code: 'custom', path: [k], message: 'is set but ALERT_SMTP_URL is not (alert e-mails need an SMTP server)' });
    if (c.KEYS_ENCRYPTION_KEY_ID !== undefined) {
      const r = stored ? parseEncryptionKeys(c.KEYS_ENCRYPTION_KEYS!) : null;
      if (!r) ctx.addIssue({ code: 'custom', path: ['KEYS_ENCRYPTION_KEY_ID'], message: 'is set but KEYS_ENCRYPTION_KEYS is not' });
      else if ('keys' in r && !r.keys.some((k) => k.id === c.KEYS_ENCRYPTION_KEY_ID))
        ctx.addIssue({ code: 'custom', path: ['KEYS_ENCRYPTION_KEY_ID'], message: `names no entry of KEYS_ENCRYPTION_KEYS (its ids: ${r.keys.map((k) => k.id).join(', ')})` });
    }
  });

export type TConfig = z.infer<typeof ZConfig>;

export class ConfigError extends Error {
  constructor(readonly variable: string, detail: string) {
    super(`Invalid configuration: ${variable} ${detail}`);
    this.name = 'ConfigError';
  }
}

const SECRET_KEYS = new Set(['SESSION_SECRET', 'ALPACA_KEY_ID', 'ALPACA_SECRET_KEY', 'POLYGON_API_KEY', 'DEMO_ADMIN_PASSWORD', 'KEYS_ENCRYPTION_KEYS', 'KEYS_ENCRYPTION_KEY_ID',
  'ALERT_WEBHOOK_URL', 'ALERT_SLACK_WEBHOOK_URL', 'ALERT_SMTP_URL', 'METRICS_TOKEN']);

/** Parses the environment; throws ConfigError naming the first bad variable. Empty strings count as unset. */
export function parseConfig(env: Record<string, string | undefined>): TConfig {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const res = ZConfig.safeParse(cleaned);
  if (res.success) return res.data;
  const issue = res.error.issues[0]!;
  const variable = String(issue.path[0] ?? 'environment');
  const raw = cleaned[variable];
  const shown = raw && /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? redactUrl(raw) : raw;
  const got = SECRET_KEYS.has(variable) || raw === undefined ? '' : ` (got '${shown}')`;
  return raise(new ConfigError(variable, `${issue.message}${got}`));
}

function raise(e: Error): never {
  throw e;
}

/** A copy of a URL safe to print: the password is replaced. */
export function redactUrl(u: string): string {
  try {
    const x = new URL(u);
    if (x.password) x.password = '***';
    return x.toString();
  } catch {
    return '<unparseable url>';
  }
}

/** A URL that may carry a token in its path or query (webhooks: Slack's is all token): scheme, host and port
 *  only, the rest masked — e.g. https://hooks.slack.com/*** — and no user or password. */
export function maskSecretUrl(u: string): string {
  try {
    const x = new URL(u);
    const rest = (x.pathname && x.pathname !== '/') || x.search || x.hash ? '/***' : '';
    return `${x.protocol}//${x.username || x.password ? '***@' : ''}${x.host}${rest}`;
  } catch {
    return '<unparseable url>';
  }
}
