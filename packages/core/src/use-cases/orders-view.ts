// What the Orders page reads: one row per risk decision — denied (our risk, with its code) or approved (the intent,
// its order at the broker and its fills) — filtered, newest first, paged by a (time, id) cursor; the state timeline
// of one row; and the same filtered rows as CSV for the export.
import {
  WORKING_ROW_STATUSES, ZOrderRowStatus, type TOrderRow, type TOrderRowStatus, type TOrdersFilter, type TOrdersPage, type TOrderTimeline, type TTimelineStep,
} from '@ai-trader/contracts';
import { dec, etOffsetMinutes } from '@ai-trader/domain';
import type { Deps } from '../ports.ts';

type ViewDeps = Pick<Deps, 'pool' | 'clock'>;

const STATUS = `CASE WHEN d.outcome = 'DENIED' THEN 'denied' WHEN o.id IS NOT NULL THEN o.status::text
  WHEN i.status = 'BLOCKED' THEN 'blocked' WHEN i.status = 'FAILED' THEN 'failed' ELSE 'pending' END`;

const COLUMNS = `
  d.id, d."signalId", s.strategy, s.symbol, s.side::text AS side, COALESCE(i."createdAt", d."createdAt") AS at, s."barTs",
  s.price::text AS "refPrice", i.qty::text AS qty, ${STATUS} AS status, i."isEntry", i."exitReason", i."statusReason", i."failCause",
  d."reasonCode", d.message, o.id AS "orderId", o."clientOrderId", o.broker, o."filledQty"::text AS "filledQty",
  o."avgFillPrice"::text AS "avgFillPrice", o."submittedAt", o."rejectCause", o."rejectReason", o."updatedAt" AS "orderUpdatedAt",
  s.detail, s."createdAt" AS "signalAt", d."createdAt" AS "decidedAt", i."createdAt" AS "intentAt", i."updatedAt" AS "intentUpdatedAt"`;

interface DbRow {
  id: string;
  signalId: string;
  strategy: string;
  symbol: string;
  side: 'BUY' | 'SELL';
  at: Date;
  barTs: Date;
  refPrice: string;
  qty: string | null;
  status: TOrderRowStatus;
  isEntry: boolean | null;
  exitReason: string | null;
  statusReason: string | null;
  failCause: string | null;
  reasonCode: string | null;
  message: string;
  orderId: string | null;
  clientOrderId: string | null;
  broker: string | null;
  filledQty: string | null;
  avgFillPrice: string | null;
  submittedAt: Date | null;
  rejectCause: string | null;
  rejectReason: string | null;
  orderUpdatedAt: Date | null;
  detail: { reason?: string; exitReason?: string; actor?: { email?: string } } | null;
  signalAt: Date;
  decidedAt: Date;
  intentAt: Date | null;
  intentUpdatedAt: Date | null;
}

const WORKING = new Set<TOrderRowStatus>(WORKING_ROW_STATUSES);
const num = (v: string | null) => (v === null ? null : dec(v).toFixed());

function toRow(r: DbRow): TOrderRow {
  const why: TOrderRow['why'] =
    r.status === 'denied' ? { kind: 'denied', code: r.reasonCode, message: r.message }
    : r.status === 'rejected' ? { kind: 'rejected', code: r.rejectCause, message: r.rejectReason ?? 'rejected by the broker' }
    : r.status === 'blocked' ? { kind: 'blocked', code: null, message: r.statusReason ?? 'blocked by the trading state at submission' }
    : r.status === 'failed' ? { kind: 'failed', code: r.failCause, message: r.statusReason ?? 'the broker could not be reached' }
    : null;
  return {
    id: r.id, signalId: r.signalId, strategy: r.strategy, symbol: r.symbol, side: r.side, at: r.at.toISOString(), barTs: r.barTs.toISOString(),
    refPrice: dec(r.refPrice).toFixed(), qty: num(r.qty), status: r.status, working: WORKING.has(r.status), isEntry: r.isEntry, exitReason: r.exitReason,
    order: r.clientOrderId
      ? { clientOrderId: r.clientOrderId, broker: r.broker!, filledQty: dec(r.filledQty!).toFixed(), avgFillPrice: num(r.avgFillPrice), submittedAt: r.submittedAt?.toISOString() ?? null }
      : null,
    why,
  };
}

/** Midnight of a New York date, as an instant (DST changes at 2:00, so the offset just after midnight UTC+5h is the day's). */
export function newYorkMidnight(day: string): Date {
  const utc = Date.parse(`${day}T00:00:00Z`);
  if (Number.isNaN(utc)) throw new RangeError(`not a date: '${day}' (expected YYYY-MM-DD)`);
  return new Date(utc - etOffsetMinutes(utc + 5 * 3_600_000) * 60_000);
}

const nextDay = (day: string) => new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);

/** The statuses a filter admits (view ∩ status). */
export function statusesFor(f: Pick<TOrdersFilter, 'view' | 'status'>): TOrderRowStatus[] {
  return ZOrderRowStatus.options.filter((s) => (f.view === 'working' ? WORKING.has(s) : f.view === 'history' ? !WORKING.has(s) : true) && (!f.status || f.status === s));
}

function parseCursor(cursor: string | undefined): { at: Date; id: string } | null {
  if (!cursor) return null;
  const [at, id] = cursor.split('|');
  const t = new Date(at ?? '');
  if (!id || Number.isNaN(t.getTime())) throw new RangeError(`cursor '${cursor}' is not a nextCursor from a previous page`);
  return { at: t, id };
}

/**
 * One page, newest first. Two halves, each walking its own time index: approved decisions through their intents
 * (order_intents.createdAt), denied ones through risk_decisions; merged by (time, id).
 */
export async function listOrders(deps: ViewDeps, q: { filter: TOrdersFilter; limit: number; cursor?: string | undefined }): Promise<TOrdersPage> {
  const f = q.filter;
  const statuses = statusesFor(f);
  const cursor = parseCursor(q.cursor);
  const params: unknown[] = [];
  const p = (v: unknown) => `$${params.push(v)}`;
  const from = f.from ? p(newYorkMidnight(f.from)) : null;
  const to = f.to ? p(newYorkMidnight(nextDay(f.to))) : null;
  const sym = f.symbol ? p(f.symbol) : null;
  const side = f.side ? p(f.side) : null;
  const cAt = cursor ? p(cursor.at) : null;
  const cId = cursor ? p(cursor.id) : null;
  const limit = p(q.limit + 1);
  const where = (time: string, t: string) =>
    [
      from && `${time} >= ${from}::timestamptz`, to && `${time} < ${to}::timestamptz`, sym && `${t}.symbol = ${sym}`, side && `${t}.side = ${side}::"OrderSide"`,
      cAt && `${time} <= ${cAt}::timestamptz AND (${time}, d.id) < (${cAt}::timestamptz, ${cId}::uuid)`,
    ].filter(Boolean);

  const halves: string[] = [];
  const approved = statuses.filter((s) => s !== 'denied');
  if (approved.length) {
    const w = [...where('i."createdAt"', 'i'), approved.length < ZOrderRowStatus.options.length - 1 ? `(${STATUS}) = ANY(${p(approved)}::text[])` : null].filter(Boolean);
    halves.push(`(SELECT ${COLUMNS}
        FROM order_intents i JOIN risk_decisions d ON d.id = i."riskDecisionId" JOIN signals s ON s.id = d."signalId"
        LEFT JOIN orders o ON o."intentId" = i.id
       ${w.length ? `WHERE ${w.join(' AND ')}` : ''}
       ORDER BY i."createdAt" DESC, d.id DESC LIMIT ${limit})`);
  }
  if (statuses.includes('denied')) {
    // Denied decisions have no intent; risk_decisions has no time index yet, so this half scans them (see the report).
    // Without a filter on the signal, the page's decisions are picked first and only they are joined by key.
    const w = [`d.outcome = 'DENIED'`, ...where('d."createdAt"', 's')];
    const decisions = sym || side ? 'risk_decisions d' : `(SELECT * FROM risk_decisions d WHERE ${w.join(' AND ')} ORDER BY d."createdAt" DESC, d.id DESC LIMIT ${limit}) d`;
    halves.push(`(SELECT ${COLUMNS}
        FROM ${decisions} JOIN signals s ON s.id = d."signalId"
        LEFT JOIN order_intents i ON i."riskDecisionId" = d.id LEFT JOIN orders o ON o."intentId" = i.id
       WHERE ${w.join(' AND ')}
       ORDER BY d."createdAt" DESC, d.id DESC LIMIT ${limit})`);
  }
  if (!halves.length) return { asOf: deps.clock.now().toISOString(), rows: [], nextCursor: null };
  const { rows } = await deps.pool.query<DbRow>(`SELECT * FROM (${halves.join(' UNION ALL ')}) r ORDER BY at DESC, id DESC LIMIT ${limit}`, params);
  const page = rows.slice(0, q.limit);
  const last = page[page.length - 1];
  return {
    asOf: deps.clock.now().toISOString(),
    rows: page.map(toRow),
    nextCursor: rows.length > q.limit && last ? `${last.at.toISOString()}|${last.id}` : null,
  };
}

const iso = (d: Date | null) => d?.toISOString() ?? null;

/** Every step of one decision, in the order they happen: signal → risk → intent → submission → fills → end. */
export async function orderTimeline(deps: ViewDeps, q: { id: string }): Promise<TOrderTimeline | null> {
  const { rows } = await deps.pool.query<DbRow>(
    `SELECT ${COLUMNS} FROM risk_decisions d JOIN signals s ON s.id = d."signalId"
       LEFT JOIN order_intents i ON i."riskDecisionId" = d.id LEFT JOIN orders o ON o."intentId" = i.id
      WHERE d.id = $1`,
    [q.id],
  );
  const r = rows[0];
  if (!r) return null;
  const row = toRow(r);
  const steps: TTimelineStep[] = [];
  const manual = r.detail?.actor?.email ? `manual close by ${r.detail.actor.email}: ${r.detail.reason ?? ''}` : null;
  steps.push({
    kind: 'signal', at: iso(r.signalAt), tone: 'info',
    title: `Signal: ${r.strategy} ${r.side} ${r.symbol}`,
    detail: [`bar ${r.barTs.toISOString()} at ${row.refPrice}`, manual ?? r.detail?.reason ?? null].filter(Boolean).join(' · '),
  });
  steps.push(r.status === 'denied'
    ? { kind: 'risk', at: iso(r.decidedAt), tone: 'bad', title: `Denied by risk${r.reasonCode ? ` (${r.reasonCode})` : ''}`, detail: r.message }
    : { kind: 'risk', at: iso(r.decidedAt), tone: 'ok', title: 'Approved by risk', detail: r.message });
  if (r.intentAt) {
    steps.push({
      kind: 'intent', at: iso(r.intentAt), tone: 'info',
      title: `Intent: ${r.side} ${row.qty ?? '?'} ${r.symbol}${r.isEntry ? ' (entry)' : r.exitReason ? ` (exit: ${r.exitReason})` : ''}`,
      detail: r.status === 'pending' ? 'waiting for the execution worker' : null,
    });
  }
  if (r.status === 'blocked') steps.push({ kind: 'blocked', at: iso(r.intentUpdatedAt), tone: 'bad', title: 'Blocked at submission', detail: r.statusReason });
  if (r.status === 'failed') steps.push({ kind: 'failed', at: iso(r.intentUpdatedAt), tone: 'bad', title: `Failed to reach the broker${r.failCause ? ` (${r.failCause})` : ''}`, detail: r.statusReason });
  if (r.orderId) {
    steps.push({ kind: 'submitted', at: iso(r.submittedAt), tone: 'info', title: `Sent to ${r.broker} as ${r.clientOrderId}`, detail: r.status === 'rejected' ? null : 'accepted by the broker' });
    if (r.status === 'rejected')
      steps.push({ kind: 'rejected', at: iso(r.orderUpdatedAt), tone: 'bad', title: `Rejected by the broker${r.rejectCause ? ` (${r.rejectCause})` : ''}`, detail: r.rejectReason });
    const { rows: fills } = await deps.pool.query<{ qty: string; price: string; filledAt: Date }>(
      `SELECT qty::text, price::text, "filledAt" FROM fills WHERE "orderId" = $1 ORDER BY "filledAt", id`, [r.orderId]);
    let filled = dec(0);
    for (const x of fills) {
      filled = filled.plus(x.qty);
      steps.push({ kind: 'fill', at: iso(x.filledAt), tone: 'ok', title: `Fill ${dec(x.qty).toFixed()} @ ${dec(x.price).toFixed()}`, detail: `${filled.toFixed()} of ${row.qty} filled (market time)` });
    }
    // Who cancelled, and why (audit_log by its time index, from the order's submission on).
    const { rows: audits } = await deps.pool.query<{ at: Date; actorEmail: string; reason: string | null }>(
      `SELECT at, "actorEmail", reason FROM audit_log WHERE at >= $1 AND action = 'order.cancel' AND after->>'clientOrderId' = $2 ORDER BY at LIMIT 5`,
      [new Date((r.submittedAt ?? r.decidedAt).getTime() - 60_000), r.clientOrderId],
    );
    for (const a of audits) steps.push({ kind: 'audit', at: iso(a.at), tone: 'info', title: `Cancel requested by ${a.actorEmail}`, detail: a.reason });
    if (r.status === 'canceled') steps.push({ kind: 'canceled', at: iso(r.orderUpdatedAt), tone: 'bad', title: 'Canceled', detail: row.order && row.order.filledQty !== '0' ? `after ${row.order.filledQty} filled` : 'nothing filled' });
    if (r.status === 'expired') steps.push({ kind: 'expired', at: iso(r.orderUpdatedAt), tone: 'bad', title: 'Expired at the broker', detail: null });
  }
  return { row, steps };
}

export const ORDERS_CSV_HEADER = [
  'decided_at', 'symbol', 'side', 'strategy', 'status', 'qty', 'filled_qty', 'avg_fill_price', 'ref_price', 'bar_ts',
  'client_order_id', 'submitted_at', 'why_kind', 'why_code', 'why_message', 'exit_reason', 'decision_id',
] as const;

/** A CSV field: quoted when it must be; text that a spreadsheet would run as a formula is prefixed with '. */
function csvField(v: string | null, text = false): string {
  if (v === null) return '';
  const s = text && /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function orderCsvLine(r: TOrderRow): string {
  return [
    csvField(r.at), csvField(r.symbol), csvField(r.side), csvField(r.strategy, true), csvField(r.status), csvField(r.qty), csvField(r.order?.filledQty ?? null),
    csvField(r.order?.avgFillPrice ?? null), csvField(r.refPrice), csvField(r.barTs), csvField(r.order?.clientOrderId ?? null), csvField(r.order?.submittedAt ?? null),
    csvField(r.why?.kind ?? null), csvField(r.why?.code ?? null, true), csvField(r.why?.message ?? null, true), csvField(r.exitReason, true), csvField(r.id),
  ].join(',');
}

/** The rows of a filter as CSV lines (header first), page by page; at most `maxRows` rows. */
export async function* ordersCsv(deps: ViewDeps, filter: TOrdersFilter, maxRows = 50_000): AsyncGenerator<string> {
  yield `${ORDERS_CSV_HEADER.join(',')}\r\n`;
  let cursor: string | undefined;
  let n = 0;
  while (n < maxRows) {
    const page = await listOrders(deps, { filter, limit: Math.min(500, maxRows - n), cursor });
    if (page.rows.length) yield page.rows.map((r) => `${orderCsvLine(r)}\r\n`).join('');
    n += page.rows.length;
    if (!page.nextCursor) return;
    cursor = page.nextCursor;
  }
}
