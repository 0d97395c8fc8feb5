// Readiness check 3, the paper record: N New York days with paper orders (READINESS_PAPER_DAYS, default 5), and over
// those days no unreconciled drift, no breaker trip left unexplained and no order without its audit trail — all read
// from stored orders, fills, alerts and audit rows, nothing asked of the broker.
import type { Deps } from '../ports.ts';
import { LIQUIDATE_STRATEGY } from './liquidate.ts';
import { MANUAL_STRATEGY } from './close-position.ts';
import { lastReconciliation } from './reconcile.ts';
import { DAY, fail, pass, type ReadinessCheck } from './readiness-types.ts';

/** How far back paper days are looked for: a record older than this is not a recent record. */
const LOOKBACK_DAYS = 45;

/** An operator's action (manual close, liquidation) must have its audit row within this of the signal it wrote. */
const OPERATOR_AUDIT_SLACK = '15 minutes';

export const paperRecordCheck: ReadinessCheck = {
  id: 'paper.record',
  group: 'paper',
  title: 'Paper trading record: N clean trading days',
  windowSeconds: DAY,
  scheduled: false,
  remedy: 'keep paper trading (BROKER=sim or an Alpaca paper account) until the record is clean; resolve drift (ai-trader status), and resume after each breaker trip with a reason',
  async run(deps: Deps) {
    const need = deps.config.READINESS_PAPER_DAYS;
    const now = deps.clock.now();
    const { rows: days } = await deps.pool.query<{ day: string; orders: number; fills: number }>(
      `SELECT to_char((o."createdAt" AT TIME ZONE 'America/New_York')::date, 'YYYY-MM-DD') AS day, count(DISTINCT o.id)::int AS orders, count(f.id)::int AS fills
         FROM orders o LEFT JOIN fills f ON f."orderId" = o.id
        WHERE o."createdAt" >= $1::timestamptz - make_interval(days => $2) AND o."createdAt" <= $1
        GROUP BY 1 ORDER BY 1 DESC LIMIT $3`,
      [now, LOOKBACK_DAYS, need],
    );
    const evidence = {
      daysNeeded: need, daysFound: days.length, days: days.map((d) => `${d.day}: ${d.orders} orders, ${d.fills} fills`).reverse(),
    } as Record<string, string | number | boolean | null | string[]>;
    if (days.length < need)
      return fail(`${days.length} of ${need} New York days with paper orders in the last ${LOOKBACK_DAYS} days`, evidence, `paper trade for ${need - days.length} more trading day(s)`);
    const from = `${days.at(-1)!.day}`;
    // The period starts at midnight New York of its first day.
    const { rows: [start] } = await deps.pool.query<{ at: Date }>(`SELECT ($1::date::timestamp AT TIME ZONE 'America/New_York') AS at`, [from]);
    const since = start!.at;
    evidence.since = since.toISOString();

    const problems: string[] = [];

    // Drift: an open drift alert, or a last pass that still finds a confirmed difference, is unreconciled.
    const [openDrift, driftEpisodes, last] = await Promise.all([
      deps.prisma.alert.findFirst({ where: { openKey: 'reconcile.drift' } }),
      deps.prisma.alert.count({ where: { key: 'reconcile.drift', lastAt: { gte: since } } }),
      lastReconciliation(deps),
    ]);
    evidence.driftEpisodes = driftEpisodes;
    evidence.lastReconciliation = last ? `${last.at}: ${last.clean ? 'clean' : `${last.drift.length} confirmed difference(s)`}` : null;
    if (openDrift) problems.push(`reconciliation drift unresolved since ${openDrift.firstAt.toISOString()}: ${openDrift.message}`);
    else if (last && last.drift.length) problems.push(`the last reconciliation (${last.at}) found ${last.drift.length} confirmed difference(s)`);

    // Breaker trips: each needs an operator's word after it — a resume (which asks for a reason) or its alert resolved.
    const { rows: trips } = await deps.pool.query<{ seq: string; at: Date; action: string; reason: string | null; explained: boolean }>(
      `SELECT t.seq::text, t.at, t.action, t.reason,
              (EXISTS (SELECT 1 FROM audit_log r WHERE r.action = 'trading.resume' AND r.at >= t.at AND r."actorId" NOT LIKE 'system:%')
               OR EXISTS (SELECT 1 FROM alerts a WHERE a.key LIKE 'breaker.' || substr(t.action, 9) || ':%' AND a."firstAt" <= t.at + interval '1 minute'
                            AND a."lastAt" >= t.at - interval '1 minute' AND a."resolvedAt" IS NOT NULL)) AS explained
         FROM audit_log t WHERE t.action LIKE 'breaker.%' AND t.at >= $1 ORDER BY t.seq`,
      [since],
    );
    const unexplained = trips.filter((t) => !t.explained);
    evidence.breakerTrips = trips.length;
    evidence.breakerTripsUnexplained = unexplained.map((t) => `${t.at.toISOString()} ${t.action}: ${t.reason ?? ''}`);
    if (unexplained.length) problems.push(`${unexplained.length} breaker trip(s) with no operator resume or resolution after them (first ${unexplained[0]!.at.toISOString()} ${unexplained[0]!.action})`);

    // Audit trail of each order: signal → approved risk decision → intent → order, and for an operator's order the
    // audited action that made it; the fills must add up to what the order says it filled.
    const { rows: orders } = await deps.pool.query<{ total: number; untraced: string[]; unaudited: string[]; misfilled: string[] }>(
      `WITH o AS (
         SELECT o.id, o."clientOrderId", o."filledQty", o."createdAt", d.outcome::text AS outcome, s.id AS signal, s.strategy, s."createdAt" AS signal_at
           FROM orders o LEFT JOIN order_intents i ON i.id = o."intentId" LEFT JOIN risk_decisions d ON d.id = i."riskDecisionId"
           LEFT JOIN signals s ON s.id = d."signalId"
          WHERE o."createdAt" >= $1)
       SELECT count(*)::int AS total,
              coalesce(array_agg("clientOrderId") FILTER (WHERE signal IS NULL OR outcome IS DISTINCT FROM 'APPROVED'), '{}') AS untraced,
              coalesce(array_agg("clientOrderId") FILTER (WHERE (strategy = $2 AND NOT EXISTS (SELECT 1 FROM audit_log a WHERE a.action = 'position.close'
                  AND a.at BETWEEN o.signal_at - $4::interval AND o.signal_at + $4::interval))
                OR (strategy = $3 AND NOT EXISTS (SELECT 1 FROM audit_log a WHERE a.action IN ('emergency.liquidate', 'liquidate')
                  AND a.at BETWEEN o.signal_at - interval '6 hours' AND o.signal_at + interval '6 hours'))), '{}') AS unaudited,
              coalesce(array_agg("clientOrderId") FILTER (WHERE "filledQty" <> (SELECT coalesce(sum(f.qty), 0) FROM fills f WHERE f."orderId" = o.id)), '{}') AS misfilled
         FROM o`,
      [since, MANUAL_STRATEGY, LIQUIDATE_STRATEGY, OPERATOR_AUDIT_SLACK],
    );
    const o = orders[0]!;
    evidence.orders = o.total;
    evidence.ordersWithoutTrail = o.untraced.slice(0, 20);
    evidence.operatorOrdersWithoutAudit = o.unaudited.slice(0, 20);
    evidence.ordersWhoseFillsDoNotAddUp = o.misfilled.slice(0, 20);
    if (o.untraced.length) problems.push(`${o.untraced.length} order(s) without an approved signal and risk decision behind them`);
    if (o.unaudited.length) problems.push(`${o.unaudited.length} operator order(s) without the audited action that made them`);
    if (o.misfilled.length) problems.push(`${o.misfilled.length} order(s) whose stored fills do not add up to their filled quantity`);

    if (problems.length) return fail(problems.join('; '), evidence);
    return pass(`${need} New York days with paper orders since ${from} (${o.total} orders, ${trips.length} breaker trip(s) explained, ${driftEpisodes} drift episode(s) resolved)`, evidence);
  },
};
