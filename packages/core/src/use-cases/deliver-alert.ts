// Alert delivery to the sinks beyond the console (webhook, Slack-compatible webhook, e-mail). A raise that the
// policy picks queues one `alerts.deliver` job (natural id: alert + count); the job sends to every configured
// sink at once, keeps each sink's outcome in Redis, and is retried with backoff for the sinks that have not
// taken it yet — a sink that is down delays nobody else and loses nothing until the retries run out.
import { ALERT_LEVEL_RANK, ALERT_SINK_NAMES, type TAlertDelivery, type TAlertSinkName, type TAlertSinkResult, type TConfig } from '@ai-trader/contracts';
import type { AlertMessage, AlertSink, Deps } from '../ports.ts';

/** Outcomes are kept this long after the last attempt (the console and `alert send` read them). */
const RECORD_TTL_SECONDS = 30 * 86_400;

const gateKey = (prefix: string, key: string) => `${prefix}:alerts:gate:${key}`;
const recordKey = (prefix: string, alertId: string) => `${prefix}:alerts:delivery:${alertId}`;

/** The sinks the configuration names (the adapters build one per name). */
export function configuredAlertSinks(config: TConfig): TAlertSinkName[] {
  const on: Record<TAlertSinkName, boolean> = { webhook: !!config.ALERT_WEBHOOK_URL, slack: !!config.ALERT_SLACK_WEBHOOK_URL, email: !!config.ALERT_SMTP_URL };
  return ALERT_SINK_NAMES.filter((n) => on[n]);
}

/**
 * Which raises go out: every one from an emergency action (the operator's own act: each press is news, and the
 * issue promises one per action); otherwise one at or above ALERT_MIN_LEVEL that opened the alert, or bumped a
 * critical one — at most one per key every ALERT_REPEAT_MINUTES, so a flapping or repeating alert does not spam.
 */
export function alertDeliveryPolicy(config: TConfig, a: { level: TAlertDelivery['level']; source: string }, opened: boolean): 'always' | 'rate-limited' | 'none' {
  if (!configuredAlertSinks(config).length) return 'none';
  if (a.source === 'emergency') return 'always';
  if (ALERT_LEVEL_RANK[a.level] < ALERT_LEVEL_RANK[config.ALERT_MIN_LEVEL]) return 'none';
  return opened || a.level === 'critical' ? 'rate-limited' : 'none';
}

/**
 * Queues the delivery of one raise when the policy says so. Never throws: the alert is already on the console,
 * and the action that raised it (a breaker trip, a halt) must not fail because Redis refused the job; that is logged.
 */
export async function queueAlertDelivery(deps: Pick<Deps, 'config' | 'redis' | 'jobs' | 'logger'>, d: TAlertDelivery, opened: boolean): Promise<boolean> {
  const policy = alertDeliveryPolicy(deps.config, d, opened);
  if (policy === 'none') return false;
  const gate = gateKey(deps.config.REDIS_PREFIX, d.key);
  let gated = false;
  try {
    if (policy === 'rate-limited' && deps.config.ALERT_REPEAT_MINUTES > 0) {
      gated = (await deps.redis.set(gate, d.at, 'EX', deps.config.ALERT_REPEAT_MINUTES * 60, 'NX')) === 'OK';
      if (!gated) {
        deps.logger.debug({ alert: d.key, count: d.count }, 'alert delivery skipped: one went out within ALERT_REPEAT_MINUTES');
        return false;
      }
    }
    await deps.jobs.add('alerts.deliver', d);
    return true;
  } catch (e) {
    if (gated) await deps.redis.del(gate).catch(() => undefined);
    deps.logger.error({ alert: d.key, err: (e as Error).message }, 'alert delivery could not be queued (the alert is on the console only)');
    return false;
  }
}

interface SinkRecord {
  /** The raise (alert count) this outcome belongs to. */
  count: number;
  status: 'sent' | 'failed';
  attempts: number;
  at: string;
  error: string | null;
  willRetry: boolean;
  target: string;
}

type DeliverDeps = Pick<Deps, 'config' | 'redis' | 'logger' | 'clock' | 'alertSinks'>;

/**
 * Sends one delivery to every configured sink that has not taken it yet (a retry skips the ones that did, and the
 * ones that refused for good), all at once, and records each outcome. `isLastAttempt`: a failure is then final.
 * `callerReports`: the caller shows every outcome to a person (`alert send`), so failures are logged at info, not as
 * warnings or errors of their own. Returns every sink's result (unconfigured ones included) and whether a retry
 * could still help.
 */
export async function deliverAlert(deps: DeliverDeps, d: TAlertDelivery, opts: { isLastAttempt: boolean; callerReports?: boolean }): Promise<{ results: TAlertSinkResult[]; retry: boolean }> {
  const key = recordKey(deps.config.REDIS_PREFIX, d.alertId);
  // Without Redis the sinks are still worth trying (an operator's alert in an outage); only the bookkeeping is lost.
  const before = await readRecords(deps, d.alertId).catch((e: unknown) => {
    deps.logger.warn({ alert: d.key, err: (e as Error).message }, 'alert delivery records unreadable; sending to every sink');
    return {} as Partial<Record<TAlertSinkName, SinkRecord>>;
  });
  const msg: AlertMessage = { ...d, atNewYork: newYorkTime(new Date(d.at)) };
  const scrub = secretScrubber(deps.config);
  let retry = false;
  const outcome = async (sink: AlertSink): Promise<SinkRecord> => {
    const prev = before[sink.name]?.count === d.count ? before[sink.name]! : null;
    if (prev && (prev.status === 'sent' || !prev.willRetry)) return prev; // taken, or refused for good: not again
    const attempts = (prev?.attempts ?? 0) + 1;
    let rec: SinkRecord;
    try {
      await withDeadline(sink.send(msg), deps.config.ALERT_SINK_TIMEOUT_MS + 1000, `${sink.name}: no answer within ${deps.config.ALERT_SINK_TIMEOUT_MS} ms`);
      rec = { count: d.count, status: 'sent', attempts, at: deps.clock.now().toISOString(), error: null, willRetry: false, target: sink.target };
      deps.logger.info({ alert: d.key, sink: sink.name, target: sink.target, attempts }, `alert sent to ${sink.name}`);
    } catch (e) {
      const permanent = (e as { permanent?: boolean }).permanent === true;
      const error = scrub(e instanceof Error ? e.message : String(e));
      const willRetry = !permanent && !opts.isLastAttempt;
      if (!permanent) retry = true;
      rec = { count: d.count, status: 'failed', attempts, at: deps.clock.now().toISOString(), error, willRetry, target: sink.target };
      const line = { alert: d.key, sink: sink.name, target: sink.target, attempts, error };
      if (opts.callerReports) deps.logger.info(line, `alert delivery to ${sink.name} failed`);
      else if (willRetry) deps.logger.warn(line, `alert delivery to ${sink.name} failed; will retry`);
      else deps.logger.error(line, `alert delivery to ${sink.name} failed for good`);
    }
    await deps.redis.multi().hset(key, sink.name, JSON.stringify(rec)).expire(key, RECORD_TTL_SECONDS).exec()
      .catch((e: unknown) => deps.logger.warn({ alert: d.key, sink: sink.name, err: (e as Error).message }, 'alert delivery outcome not recorded'));
    return rec;
  };
  const recs = await Promise.all(deps.alertSinks.map(async (s) => [s.name, await outcome(s)] as const));
  const byName = new Map(recs);
  const results = ALERT_SINK_NAMES.map((name): TAlertSinkResult => {
    const r = byName.get(name);
    if (!r) return { sink: name, target: null, status: 'not_configured', attempts: 0, at: null, error: null, willRetry: false };
    return { sink: name, target: r.target, status: r.status, attempts: r.attempts, at: r.at, error: r.error, willRetry: r.willRetry };
  });
  return { results, retry };
}

/** The latest delivery outcome per sink of each alert (for the console): alert id → results of the sinks tried. */
export async function alertDeliveries(deps: Pick<Deps, 'config' | 'redis'>, alertIds: readonly string[]): Promise<Map<string, (TAlertSinkResult & { count: number })[]>> {
  const out = new Map<string, (TAlertSinkResult & { count: number })[]>();
  if (!alertIds.length) return out;
  const m = deps.redis.multi();
  for (const id of alertIds) m.hgetall(recordKey(deps.config.REDIS_PREFIX, id));
  const replies = (await m.exec()) ?? [];
  alertIds.forEach((id, i) => {
    const hash = (replies[i]?.[1] ?? {}) as Record<string, string>;
    const rows = Object.entries(hash).flatMap(([sink, v]) => {
      const r = parseRecord(v);
      return r ? [{ sink: sink as TAlertSinkName, target: r.target, status: r.status, attempts: r.attempts, at: r.at, error: r.error, willRetry: r.willRetry, count: r.count }] : [];
    });
    if (rows.length) out.set(id, rows.sort((a, b) => ALERT_SINK_NAMES.indexOf(a.sink) - ALERT_SINK_NAMES.indexOf(b.sink)));
  });
  return out;
}

async function readRecords(deps: Pick<Deps, 'config' | 'redis'>, alertId: string): Promise<Partial<Record<TAlertSinkName, SinkRecord>>> {
  const hash = await deps.redis.hgetall(recordKey(deps.config.REDIS_PREFIX, alertId));
  return Object.fromEntries(Object.entries(hash).flatMap(([k, v]) => {
    const r = parseRecord(v);
    return r ? [[k, r]] : [];
  }));
}

function parseRecord(v: string): SinkRecord | null {
  try {
    return JSON.parse(v) as SinkRecord;
  } catch {
    return null;
  }
}

const nyFormat = new Intl.DateTimeFormat('en-US', {
  timeZone: 'America/New_York', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
  hourCycle: 'h23', timeZoneName: 'short',
});

/** New York wall time with its zone, e.g. "2025-06-04 10:05:03 EDT". */
export function newYorkTime(t: Date): string {
  const p = Object.fromEntries(nyFormat.formatToParts(t).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second} ${p.timeZoneName}`;
}

/**
 * Masks what must never be recorded, logged or printed — the sink URLs, the SMTP password, the webhook paths (tokens),
 * the database and Redis passwords — in a text, should a library's error message quote one. The sinks word their
 * errors without them; this is the net.
 */
export function secretScrubber(config: Partial<Pick<TConfig, 'ALERT_WEBHOOK_URL' | 'ALERT_SLACK_WEBHOOK_URL' | 'ALERT_SMTP_URL' | 'DATABASE_URL' | 'REDIS_URL'>>): (s: string) => string {
  const secrets = new Set<string>();
  for (const u of [config.ALERT_WEBHOOK_URL, config.ALERT_SLACK_WEBHOOK_URL, config.ALERT_SMTP_URL, config.DATABASE_URL, config.REDIS_URL]) {
    if (!u) continue;
    if (u !== config.DATABASE_URL && u !== config.REDIS_URL) secrets.add(u);
    try {
      const x = new URL(u);
      if (x.password) {
        secrets.add(x.password);
        secrets.add(decodeURIComponent(x.password));
      }
      if (x.protocol.startsWith('http')) for (const part of [`${x.pathname}${x.search}`, x.pathname, x.search.slice(1)]) if (part.length >= 6) secrets.add(part);
    } catch {
      // not a URL: the whole value is masked above
    }
  }
  const list = [...secrets].filter((s) => s.length >= 4).sort((a, b) => b.length - a.length);
  return (s) => list.reduce((acc, secret) => acc.split(secret).join('***'), s);
}

async function withDeadline<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
