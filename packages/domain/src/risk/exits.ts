// Exits of a long position: stop-loss, take-profit and trailing stop. Levels are prices, set from the entry's
// reference price when risk approves it (so the broker-side orders and the engine's watch use the same numbers);
// the engine checks every new bar of the symbol against them. Inside one bar the order of high and low is
// unknown, so the check is conservative: the stop before the target, the trailing stop against the high-water
// mark before this bar raises it.
import Decimal from 'decimal.js';
import { dec, type Dec } from '../money.ts';

export interface ExitRules {
  stopLossPct?: number | undefined; // e.g. 2 = exit 2 % below the entry
  takeProfitPct?: number | undefined; // e.g. 4 = exit 4 % above the entry
  trailingStopPct?: number | undefined; // e.g. 3 = exit 3 % below the highest price since entry
}

export interface ExitLevels {
  stopLoss: Dec | null;
  takeProfit: Dec | null;
  trailPct: Dec | null;
}

const cents = (v: Dec) => v.toDecimalPlaces(2, Decimal.ROUND_HALF_EVEN);

/** Prices of the exits for an entry at `entry` (rounded to the cent, as a broker takes them). */
export function exitLevels(entry: Dec, rules: ExitRules | null | undefined): ExitLevels {
  const pct = (p: number) => dec(p).div(100);
  return {
    stopLoss: rules?.stopLossPct ? cents(entry.times(dec(1).minus(pct(rules.stopLossPct)))) : null,
    takeProfit: rules?.takeProfitPct ? cents(entry.times(dec(1).plus(pct(rules.takeProfitPct)))) : null,
    trailPct: rules?.trailingStopPct ? dec(rules.trailingStopPct) : null,
  };
}

export type ExitReason = 'stop_loss' | 'take_profit' | 'trailing_stop';

export interface ArmedPosition {
  qty: Dec;
  stopPrice: Dec | null;
  targetPrice: Dec | null;
  trailPct: Dec | null;
  highWater: Dec | null;
}

export interface ExitCheck {
  trigger: { reason: ExitReason; level: Dec; message: string } | null;
  /** The high-water mark after this bar (null when no trailing stop is armed). */
  highWater: Dec | null;
}

/** Whether a bar crosses one of the position's exits. */
export function checkExit(p: ArmedPosition, bar: { high: Dec; low: Dec }): ExitCheck {
  const highWater = p.trailPct ? Decimal.max(p.highWater ?? bar.high, bar.high) : null;
  if (p.qty.lte(0)) return { trigger: null, highWater };
  if (p.stopPrice && bar.low.lte(p.stopPrice))
    return { trigger: { reason: 'stop_loss', level: p.stopPrice, message: `low ${bar.low.toFixed()} reached the stop-loss ${p.stopPrice.toFixed()}` }, highWater };
  if (p.trailPct && p.highWater) {
    const level = cents(p.highWater.times(dec(1).minus(p.trailPct.div(100))));
    if (bar.low.lte(level))
      return { trigger: { reason: 'trailing_stop', level, message: `low ${bar.low.toFixed()} reached the trailing stop ${level.toFixed()} (${p.trailPct.toFixed()} % under ${p.highWater.toFixed()})` }, highWater };
  }
  if (p.targetPrice && bar.high.gte(p.targetPrice))
    return { trigger: { reason: 'take_profit', level: p.targetPrice, message: `high ${bar.high.toFixed()} reached the take-profit ${p.targetPrice.toFixed()}` }, highWater };
  return { trigger: null, highWater };
}
