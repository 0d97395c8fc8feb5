// A bar's own invariants as kinded problems (which check failed, and a sentence), for series validation.
// validate-bar.ts keeps the sentence-only barProblems that ingest uses; these name the values too.
import type { TBar } from '@ai-trader/contracts';
import { compareDecimal, SHORT_DECIMAL } from '../money.ts';
import type { TBarProblemKind } from './bar-problem.ts';
import { decimalNumber } from './bar-numbers.ts';

export interface BarCheck {
  kind: TBarProblemKind;
  detail: string;
}

const DECIMAL = /^-?\d+(\.\d+)?$/;
const INTEGER = /^-?\d+$/;
const PRICES = ['open', 'high', 'low', 'close'] as const;

const NONE: BarCheck[] = [];
Object.freeze(NONE);
const WHOLE = /^\d+$/;
const short = (v: string) => v.length <= SHORT_DECIMAL;

/** A bar's invariant violations, each with its kind; the same (frozen, empty) array when there are none. */
export function barChecks(bar: TBar): BarCheck[] {
  // The usual bar, decided with one conversion per value (this runs for every bar imported).
  const { open, high, low, close } = bar;
  if (short(open) && short(high) && short(low) && short(close) && DECIMAL.test(open) && DECIMAL.test(high) && DECIMAL.test(low) && DECIMAL.test(close) && WHOLE.test(bar.volume)) {
    const o = decimalNumber(open), h = decimalNumber(high), l = decimalNumber(low), c = decimalNumber(close);
    if (o > 0 && h > 0 && l > 0 && c > 0 && h >= l && h >= o && h >= c && l <= o && l <= c) return NONE;
  }
  return allChecks(bar);
}

function allChecks(bar: TBar): BarCheck[] {
  const p: BarCheck[] = [];
  // A value typed TBar may still come from an unchecked source (a DB row, a test); dec() would throw on it.
  let numbers = true;
  for (const k of PRICES) {
    if (DECIMAL.test(bar[k])) continue;
    p.push({ kind: 'malformed', detail: `${k} '${bar[k]}' is not a decimal number` });
    numbers = false;
  }
  if (!INTEGER.test(bar.volume)) p.push({ kind: 'malformed', detail: `volume '${bar.volume}' is not a whole number` });
  else if (bar.volume.charCodeAt(0) === 45 /* - */ && !/^-0+$/.test(bar.volume)) p.push({ kind: 'negative_volume', detail: `volume ${bar.volume} is negative` });
  if (!numbers) return p;

  // Exact comparisons (doubles where that is exact, decimal.js otherwise).
  const cmp = compareDecimal;
  for (const k of PRICES) if (cmp(bar[k], '0') <= 0) p.push({ kind: 'non_positive_price', detail: `${k} ${bar[k]} is not positive` });
  if (cmp(bar.high, bar.low) < 0) p.push({ kind: 'ohlc_inconsistent', detail: `high ${bar.high} < low ${bar.low}` });
  if (cmp(bar.high, bar.open) < 0 || cmp(bar.high, bar.close) < 0) p.push({ kind: 'ohlc_inconsistent', detail: `high ${bar.high} < max(open ${bar.open}, close ${bar.close})` });
  if (cmp(bar.low, bar.open) > 0 || cmp(bar.low, bar.close) > 0) p.push({ kind: 'ohlc_inconsistent', detail: `low ${bar.low} > min(open ${bar.open}, close ${bar.close})` });
  return p;
}
