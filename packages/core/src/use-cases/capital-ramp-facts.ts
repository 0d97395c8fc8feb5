// What the capital ramp's evaluation reads: the book (equity, and gross exposure as risk counts it), the incidents
// since a step began (breaker trips, reconciliation drift, emergency actions), and the readiness verdict.
import { ZRampState, RAMP_SETTING_KEY, type TRampState } from '@ai-trader/contracts';
import { dec, type RampIncident } from '@ai-trader/domain';
import type Decimal from 'decimal.js';
import { latestCloses } from '../infra/latest-bars.ts';
import { readinessReport } from './readiness.ts';
import type { Deps } from '../ports.ts';
import { riskExposure, WORKING_ORDERS } from './check-risk.ts';

/** Readiness as the ramp needs it: green or not, and why. */
export interface ReadinessVerdict {
  green: boolean;
  detail: string;
}
/** Where the ramp gets readiness from, over the step so far: a parameter, so the evaluation is tested with its own verdicts. */
export type ReadinessSource = (deps: Deps, step: { since: Date; now: Date }) => Promise<ReadinessVerdict>;

const isoSecond = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * The go-live readiness checks (readiness.ts), as "stayed green through the step": the report now has every check
 * passed and fresh, and no check failed at any time since the step began (a failure fixed since still holds it).
 */
export const readinessChecks: ReadinessSource = async (deps, step) => {
  const now = readinessFromReport(await readinessReport(deps));
  if (!now.green) return now;
  const { rows } = await deps.pool.query<{ check: string; finishedAt: Date; summary: string }>(
    `SELECT "check", "finishedAt", summary FROM readiness_results WHERE status = 'fail' AND "finishedAt" > $1 AND "finishedAt" <= $2 ORDER BY "finishedAt" LIMIT 3`,
    [step.since, step.now],
  );
  if (!rows.length) return now;
  return { green: false, detail: `not green all through the step: ${rows.map((r) => `${r.check} failed at ${isoSecond(r.finishedAt)}: ${r.summary}`).join('; ').slice(0, 400)}` };
};

/** The stored state, or null when the ramp has never run; a row that no longer parses is an error naming it. */
export async function readRampState(db: Pick<Deps['prisma'], 'setting'>): Promise<TRampState | null> {
  const row = await db.setting.findUnique({ where: { key: RAMP_SETTING_KEY } });
  if (!row) return null;
  const parsed = ZRampState.safeParse(row.value);
  if (!parsed.success) throw new Error(`settings row ${RAMP_SETTING_KEY} is not a ramp state (${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}); set a step again with ai-trader ramp set-step`);
  return parsed.data;
}

/** Equity (cash plus positions at their last price) and gross exposure (plus working entries), as risk counts them. */
export async function rampBook(deps: Pick<Deps, 'pool' | 'redis' | 'config'>): Promise<{ equity: Decimal; grossExposure: Decimal }> {
  const { rows: [r] } = await deps.pool.query<{ cash: string | null; buy: string; positions: { symbol: string; qty: string; avgCost: string }[] }>(
    `WITH working AS (${WORKING_ORDERS})
     SELECT (SELECT cash::text FROM portfolio_account WHERE id = 1) AS cash,
            (SELECT coalesce(sum(rem * px), 0)::text FROM working WHERE side = 'BUY') AS buy,
            (SELECT coalesce(json_agg(json_build_object('symbol', symbol, 'qty', qty::text, 'avgCost', "avgCost"::text)), '[]'::json) FROM positions WHERE qty <> 0) AS positions`,
  );
  if (!r?.cash) throw new Error('portfolio_account is missing: the worker start-up creates it');
  const last = await latestCloses(deps, r.positions.map((p) => p.symbol), '5m');
  const marked = riskExposure(r.positions, last, dec(0));
  return { equity: dec(r.cash).plus(marked.net).toDecimalPlaces(2), grossExposure: riskExposure(r.positions, last, dec(r.buy)).gross.toDecimalPlaces(2) };
}

/** Audit actions that are emergency actions (an operator's or a breaker's): any of them in a step steps it back. */
const EMERGENCY_ACTIONS = ['trading.halt', 'trading.stop-entries', 'orders.cancel-all'];

/**
 * Incidents in (since, until], oldest first: a breaker trip (its alert breaker.*, or its audited state change),
 * a reconciliation drift (alert reconcile.drift, or its audit row), an emergency action (halt, stop entries, cancel
 * all, emergency.*). An alert counts while it is raised again in the window (lastAt), not only when first opened.
 */
export async function rampIncidents(deps: Pick<Deps, 'pool'>, since: Date, until: Date): Promise<RampIncident[]> {
  const { rows } = await deps.pool.query<{ kind: RampIncident['kind']; at: Date; what: string }>(
    `SELECT CASE WHEN key LIKE 'breaker.%' THEN 'breaker' ELSE 'drift' END AS kind, "lastAt" AS at, message AS what
       FROM alerts WHERE (key LIKE 'breaker.%' OR key = 'reconcile.drift') AND "lastAt" > $1 AND "lastAt" <= $2
     UNION ALL
     SELECT CASE WHEN action LIKE 'breaker.%' THEN 'breaker' WHEN action = 'reconcile.drift' THEN 'drift' ELSE 'emergency' END,
            at, action || ' by ' || "actorEmail" || coalesce(': ' || reason, '')
       FROM audit_log
      WHERE (action LIKE 'breaker.%' OR action = 'reconcile.drift' OR action LIKE 'emergency.%' OR action = ANY($3)) AND at > $1 AND at <= $2
     ORDER BY at LIMIT 50`,
    [since, until, EMERGENCY_ACTIONS],
  );
  return rows.map((r) => ({ kind: r.kind, at: r.at, what: r.what.length > 200 ? `${r.what.slice(0, 199)}…` : r.what }));
}

/** Readiness from the readiness checks' report: green only when every check passed and is fresh; else the ones that are not. */
export function readinessFromReport(r: { ready: boolean; items: readonly { id: string; status: string; summary: string }[] }): ReadinessVerdict {
  if (r.ready) return { green: true, detail: 'every readiness check passed and is fresh' };
  const bad = r.items.filter((i) => i.status !== 'pass');
  return { green: false, detail: bad.length ? bad.map((i) => `${i.id} ${i.status}: ${i.summary}`).join('; ').slice(0, 400) : 'not ready' };
}
