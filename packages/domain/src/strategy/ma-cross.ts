// Moving-average cross: BUY when the fast simple average crosses above the slow one, SELL when it
// crosses below. Needs slow+1 closes (oldest first) to see both sides of the cross.
import type Decimal from 'decimal.js';
import type { TOrderSide } from '@ai-trader/contracts';
import { Dec } from '../money.ts';

export interface MaCrossParams {
  fast: number;
  slow: number;
}

export interface MaCrossResult {
  side: TOrderSide;
  fastNow: Decimal;
  slowNow: Decimal;
  fastPrev: Decimal;
  slowPrev: Decimal;
}

function sma(values: readonly Decimal[], end: number, n: number): Decimal {
  let s = new Dec(0);
  for (let i = end - n; i < end; i++) s = s.plus(values[i]!);
  return s.div(n);
}

export function maCross(closes: readonly Decimal[], p: MaCrossParams): MaCrossResult | null {
  if (p.fast < 1 || p.slow <= p.fast) throw new RangeError(`maCross needs 1 <= fast < slow (got fast=${p.fast}, slow=${p.slow})`);
  if (closes.length < p.slow + 1) return null;
  const end = closes.length;
  const fastNow = sma(closes, end, p.fast), slowNow = sma(closes, end, p.slow);
  const fastPrev = sma(closes, end - 1, p.fast), slowPrev = sma(closes, end - 1, p.slow);
  const wasAbove = fastPrev.gt(slowPrev), isAbove = fastNow.gt(slowNow);
  const wasBelow = fastPrev.lt(slowPrev), isBelow = fastNow.lt(slowNow);
  // A touch (equal averages) is not a cross: it must go from one strict side to the other,
  // or from equal to a strict side, so a flat market does not flip-flop.
  if (isAbove && !wasAbove) return { side: 'BUY', fastNow, slowNow, fastPrev, slowPrev };
  if (isBelow && !wasBelow) return { side: 'SELL', fastNow, slowNow, fastPrev, slowPrev };
  return null;
}
