// The invariants a bar must satisfy before it is stored: any violation is named precisely.
// Hot path of every import, so comparisons use doubles where that is provably exact (see below).
import type { TBar } from '@ai-trader/contracts';
import { dec } from '../money.ts';

/**
 * A decimal string of at most 15 significant digits converts to the nearest double and two distinct such
 * strings never collapse to one double (doubles hold 15 decimal digits exactly), so comparing Numbers
 * orders them exactly like decimals. Bars (≤ 9 integer + 6 fractional digits) practically always qualify;
 * anything longer falls back to decimal.js.
 */
const SHORT = 16; // 15 digits plus a decimal point

/** Sign of a − b for decimal strings. */
function compare(a: string, b: string): number {
  if (a.length <= SHORT && b.length <= SHORT) {
    const x = Number(a), y = Number(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  return dec(a).cmp(b);
}

export function barProblems(bar: TBar): string[] {
  const p: string[] = [];
  for (const k of ['open', 'high', 'low', 'close'] as const) if (compare(bar[k], '0') <= 0) p.push(`${k} ${bar[k]} is not positive`);
  if (compare(bar.high, bar.low) < 0) p.push(`high ${bar.high} < low ${bar.low}`);
  if (compare(bar.high, bar.open) < 0 || compare(bar.high, bar.close) < 0) p.push(`high ${bar.high} < max(open, close)`);
  if (compare(bar.low, bar.open) > 0 || compare(bar.low, bar.close) > 0) p.push(`low ${bar.low} > min(open, close)`);
  return p;
}
