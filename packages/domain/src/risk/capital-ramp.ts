// The capital ramp's pure parts: a step's caps in money, the trading days a step has lasted, and the verdict of
// an evaluation (advance, hold, step back). The caller gathers the facts (incidents, readiness, the clock).
import type Decimal from 'decimal.js';
import type { TRampStep, TRampVerdictKind } from '@ai-trader/contracts';
import { isTradingDay, regularSession, toEt } from '../calendar/nyse.ts';
import { dec } from '../money.ts';

/** The caps of a step at an equity: percent of equity, to the cent. */
export function rampCaps(step: TRampStep, equity: Decimal): { maxGrossExposure: Decimal; maxOrderNotional: Decimal } {
  const of = (pct: number) => equity.times(dec(String(pct))).div(100).toDecimalPlaces(2);
  return { maxGrossExposure: of(step.gross_exposure_pct_of_equity), maxOrderNotional: of(step.order_notional_pct_of_equity) };
}

const DAY_MS = 86_400_000;

/**
 * Trading days whose whole regular session lies in [from, to] (New York sessions, holidays and early closes
 * included): a step that started mid-session counts from the next session; today counts once it has closed.
 */
export function tradingDaysWithin(from: Date, to: Date): number {
  if (to <= from) return 0;
  let n = 0;
  const first = toEt(from).date, last = toEt(to).date;
  for (let d = first; d <= last; d = new Date(Date.parse(`${d}T12:00:00Z`) + DAY_MS).toISOString().slice(0, 10)) {
    if (!isTradingDay(d)) continue;
    const s = regularSession(d)!;
    if (d === first && toEt(from).minutes > s.open) continue;
    if (d === last && toEt(to).minutes < s.close) continue;
    n++;
  }
  return n;
}

/** Something that happened during the step and steps the ramp back: a breaker trip, a drift, an emergency action. */
export interface RampIncident {
  kind: 'breaker' | 'drift' | 'emergency';
  at: Date;
  what: string;
}

export interface RampFacts {
  stepIndex: number;
  stepCount: number;
  step: TRampStep;
  stepStartedAt: Date;
  now: Date;
  incidents: readonly RampIncident[]; // since the step started, oldest first
  readiness: { green: boolean; detail: string };
}

export interface RampDecision {
  kind: Extract<TRampVerdictKind, 'advanced' | 'held' | 'stepped-back'>;
  /** The step to be on after this evaluation (the same one when held). */
  toIndex: number;
  reason: string;
  cleanTradingDays: number;
}

const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * Any incident in the step steps back (from the first step: the step starts again); otherwise the ramp advances
 * after min_trading_days whole trading days with readiness green, and holds with the reason when not.
 */
export function decideRamp(f: RampFacts): RampDecision {
  const days = tradingDaysWithin(f.stepStartedAt, f.now);
  const first = f.incidents[0];
  if (first) {
    const more = f.incidents.length > 1 ? ` (and ${f.incidents.length - 1} more)` : '';
    const what = `${first.kind === 'breaker' ? 'breaker trip' : first.kind} at ${iso(first.at)}: ${first.what}${more}`;
    if (f.stepIndex === 0) return { kind: 'stepped-back', toIndex: 0, reason: `${what}; already at the first step, which starts again`, cleanTradingDays: days };
    return { kind: 'stepped-back', toIndex: f.stepIndex - 1, reason: what, cleanTradingDays: days };
  }
  if (f.stepIndex >= f.stepCount - 1) return { kind: 'held', toIndex: f.stepIndex, reason: `at the last step "${f.step.name}" (${days} clean trading days)`, cleanTradingDays: days };
  if (days < f.step.min_trading_days)
    return { kind: 'held', toIndex: f.stepIndex, reason: `${days} of ${f.step.min_trading_days} clean trading days`, cleanTradingDays: days };
  if (!f.readiness.green) return { kind: 'held', toIndex: f.stepIndex, reason: `readiness not green: ${f.readiness.detail}`, cleanTradingDays: days };
  return { kind: 'advanced', toIndex: f.stepIndex + 1, reason: `${days} clean trading days, readiness green`, cleanTradingDays: days };
}
