// Reading the audit trail: filtered pages and the CSV export (the console), and the runbook's reports (the CLI):
// order decisions with their audit trail over a date range, auth events, and provider API usage per key and day.
import {
  AUDIT_CSV_MAX_ROWS, type TAuditCsv, type TAuditFilter, type TAuditPage, type TAuditRow, type TOrderRow,
} from '@ai-trader/contracts';
import type { Deps } from '../ports.ts';
import { listOrders, newYorkMidnight } from './orders-view.ts';

type ViewDeps = Pick<Deps, 'pool'>;

interface DbRow {
  seq: string;
  id: string;
  at: Date;
  actorId: string | null;
  actorEmail: string;
  action: string;
  reason: string | null;
  before: unknown;
  after: unknown;
  prevHash: string;
  hash: string;
}

const COLUMNS = `seq::text, id::text, at, "actorId", "actorEmail", action, reason, before, after, "prevHash", hash`;

const toRow = (r: DbRow): TAuditRow => ({
  seq: r.seq, id: r.id, at: r.at.toISOString(), actorId: r.actorId, actorEmail: r.actorEmail, action: r.action, reason: r.reason,
  before: r.before ?? null, after: r.after ?? null, hash: r.hash,
});

const nextDay = (day: string) => new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);

/** WHERE conditions of a filter; `p` adds a parameter and returns its placeholder. */
function filterSql(f: TAuditFilter, p: (v: unknown) => string): string[] {
  return [
    f.actor ? `starts_with(lower("actorEmail"), ${p(f.actor.toLowerCase())})` : null,
    f.actionPrefix ? `starts_with(action, ${p(f.actionPrefix)})` : null,
    f.from ? `at >= ${p(newYorkMidnight(f.from))}::timestamptz` : null,
    f.to ? `at < ${p(newYorkMidnight(nextDay(f.to)))}::timestamptz` : null,
  ].filter((c): c is string => c !== null);
}

/** One page, newest first (chain order), paged by seq. */
export async function listAuditPage(deps: ViewDeps, q: { filter: TAuditFilter; limit: number; cursor?: string | null | undefined }): Promise<TAuditPage> {
  const params: unknown[] = [];
  const p = (v: unknown) => `$${params.push(v)}`;
  const where = filterSql(q.filter, p);
  if (q.cursor) where.push(`seq < ${p(q.cursor)}::bigint`);
  const { rows } = await deps.pool.query<DbRow>(
    `SELECT ${COLUMNS} FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY audit_log.seq DESC LIMIT ${p(q.limit + 1)}`,
    params,
  );
  const page = rows.slice(0, q.limit);
  return { rows: page.map(toRow), nextCursor: rows.length > q.limit ? page[page.length - 1]!.seq : null };
}

export const AUDIT_CSV_HEADER = ['seq', 'id', 'at_utc', 'actor_id', 'actor_email', 'action', 'reason', 'before', 'after', 'prev_hash', 'hash'] as const;

/** A CSV field: quoted when it must be; free text that a spreadsheet would run as a formula is prefixed with '. */
function csvField(v: string | null, text = false): string {
  if (v === null) return '';
  const s = text && /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The filtered rows as CSV, newest first, at most AUDIT_CSV_MAX_ROWS (truncated says there were more). */
export async function auditCsv(deps: ViewDeps, filter: TAuditFilter, maxRows = AUDIT_CSV_MAX_ROWS): Promise<TAuditCsv> {
  const params: unknown[] = [];
  const p = (v: unknown) => `$${params.push(v)}`;
  const where = filterSql(filter, p);
  // Text forms straight from Postgres: jsonb as stored, so the export is what the chain hashed.
  const { rows } = await deps.pool.query<Record<string, string | null>>(
    `SELECT seq::text, id::text, at, "actorId", "actorEmail", action, reason, before::text AS before, after::text AS after, "prevHash", hash
       FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY audit_log.seq DESC LIMIT ${p(maxRows + 1)}`,
    params,
  );
  const lines = [AUDIT_CSV_HEADER.join(',')];
  for (const r of rows.slice(0, maxRows)) {
    const at = (r.at as unknown as Date).toISOString();
    lines.push([
      csvField(r.seq!), csvField(r.id!), csvField(at), csvField(r.actorId!, true), csvField(r.actorEmail!, true), csvField(r.action!, true),
      csvField(r.reason!, true), csvField(r.before!), csvField(r.after!), csvField(r.prevHash!), csvField(r.hash!),
    ].join(','));
  }
  return { csv: `${lines.join('\r\n')}\r\n`, rows: Math.min(rows.length, maxRows), truncated: rows.length > maxRows };
}

// ---------- the runbook's reports (CLI) ----------

/** Actions about orders and the trading state (operator or automatic), shown with the decisions they concern. */
const TRADE_ACTION_PREFIXES = ['order.', 'orders.', 'position.', 'trading.', 'broker.'];

export interface AuditTradesReport {
  from: string;
  to: string;
  /** Every risk decision of the range (denied, or the intent with its order), oldest first, each with the audit
   *  rows that name its order (cancels). */
  decisions: (TOrderRow & { audit: TAuditRow[] })[];
  /** Audit rows of the range about orders and trading that name no single order (HALT, cancel-all, closes, repairs). */
  actions: TAuditRow[];
  /** More than `limit` decisions: the newest `limit` are listed. */
  truncated: boolean;
}

/** Order decisions and orders of New York days from…to (inclusive) with their audit trail (`audit trades`). */
export async function auditTrades(deps: Pick<Deps, 'pool' | 'clock'>, q: { from: string; to: string; limit?: number }): Promise<AuditTradesReport> {
  if (q.to < q.from) throw new RangeError(`--end-date ${q.to} is before --start-date ${q.from}`);
  const limit = q.limit ?? 5000;
  const decisions: TOrderRow[] = [];
  let cursor: string | undefined;
  let truncated = false;
  do {
    const page = await listOrders(deps, { filter: { view: 'all', from: q.from, to: q.to }, limit: Math.min(200, limit - decisions.length), cursor });
    decisions.push(...page.rows);
    cursor = page.nextCursor ?? undefined;
    if (cursor && decisions.length >= limit) {
      truncated = true;
      break;
    }
  } while (cursor);
  const { rows } = await deps.pool.query<DbRow>(
    `SELECT ${COLUMNS} FROM audit_log WHERE at >= $1 AND at < $2 AND action LIKE ANY($3::text[]) ORDER BY audit_log.seq`,
    [newYorkMidnight(q.from), newYorkMidnight(nextDay(q.to)), TRADE_ACTION_PREFIXES.map((a) => `${a}%`)],
  );
  const byOrder = new Map<string, TAuditRow[]>();
  const actions: TAuditRow[] = [];
  for (const r of rows.map(toRow)) {
    const coid = (r.after as { clientOrderId?: unknown } | null)?.clientOrderId;
    if (typeof coid === 'string') byOrder.set(coid, [...(byOrder.get(coid) ?? []), r]);
    else if (r.action !== 'order.decision') actions.push(r); // a denied decision is listed among the decisions already
  }
  const listed = new Set<string>();
  const withAudit = decisions.reverse().map((d) => {
    const audit = d.order ? byOrder.get(d.order.clientOrderId) ?? [] : [];
    if (d.order) listed.add(d.order.clientOrderId);
    return { ...d, audit };
  });
  // Rows about an order decided outside the range still belong to the range's trail.
  for (const [coid, list] of byOrder) if (!listed.has(coid)) actions.push(...list);
  actions.sort((a, b) => Number(a.seq) - Number(b.seq));
  return { from: q.from, to: q.to, decisions: withAudit, actions, truncated };
}

/** What better-auth hooks write (packages/api/src/auth.ts). */
export const AUTH_ACTIONS = ['auth.sign-in', 'auth.sign-in-failed', 'auth.sign-out'] as const;

/** Sign-ins, failed sign-ins and sign-outs of the last `days` days, newest first (`audit auth`). */
export async function authEvents(deps: Pick<Deps, 'pool' | 'clock'>, q: { days: number; limit: number; actor?: string | undefined }): Promise<TAuditRow[]> {
  const since = new Date(deps.clock.now().getTime() - q.days * 86_400_000);
  const params: unknown[] = [AUTH_ACTIONS, since];
  const actor = q.actor ? `AND starts_with(lower("actorEmail"), $${params.push(q.actor.toLowerCase())})` : '';
  const { rows } = await deps.pool.query<DbRow>(
    `SELECT ${COLUMNS} FROM audit_log WHERE action = ANY($1::text[]) AND at >= $2 ${actor} ORDER BY audit_log.seq DESC LIMIT $${params.push(q.limit)}`,
    params,
  );
  return rows.map(toRow);
}

export interface ApiUsageRow {
  /** polygon | alpaca | … (the client that counts). */
  provider: string;
  /** First 12 hex of sha256 of the key (the key itself is never stored). */
  keyHash: string;
  /** UTC day. */
  day: string;
  requests: number;
}

/**
 * Requests per provider key and UTC day over the last `days` days (`audit api-usage`), from the daily counters the
 * provider clients keep in Redis (`<prefix>:<provider>:usage:<key hash>:<day>`, incremented on every request sent).
 * Days without a counter are absent: no request, or the counter has expired (Polygon keeps them 3 days).
 */
export async function apiUsage(deps: Pick<Deps, 'redis' | 'config' | 'clock'>, q: { days: number }): Promise<{ days: string[]; rows: ApiUsageRow[] }> {
  const prefix = deps.config.REDIS_PREFIX;
  const today = Date.parse(deps.clock.now().toISOString().slice(0, 10));
  const days = Array.from({ length: q.days }, (_, i) => new Date(today - i * 86_400_000).toISOString().slice(0, 10));
  const wanted = new Set(days);
  const shape = new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:([a-z0-9-]+):usage:([0-9a-f]+):(\\d{4}-\\d{2}-\\d{2})$`);
  const found: { key: string; provider: string; keyHash: string; day: string }[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await deps.redis.scan(cursor, 'MATCH', `${prefix}:*:usage:*`, 'COUNT', 1000);
    for (const key of keys) {
      const m = shape.exec(key);
      if (m && wanted.has(m[3]!)) found.push({ key, provider: m[1]!, keyHash: m[2]!, day: m[3]! });
    }
    cursor = next;
  } while (cursor !== '0');
  const counts = found.length ? await deps.redis.mget(...found.map((f) => f.key)) : [];
  const rows = found
    .map((f, i) => ({ provider: f.provider, keyHash: f.keyHash, day: f.day, requests: Number(counts[i] ?? 0) }))
    .sort((a, b) => a.provider.localeCompare(b.provider) || a.keyHash.localeCompare(b.keyHash) || b.day.localeCompare(a.day));
  return { days, rows };
}
