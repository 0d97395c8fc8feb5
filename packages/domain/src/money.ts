// Decimal arithmetic for money and quantities: decimal.js, configured once, never JS floats.
import Decimal from 'decimal.js';

export const Dec = Decimal.clone({ precision: 40, rounding: Decimal.ROUND_HALF_EVEN });
export type Dec = Decimal;

export const dec = (v: Decimal.Value): Decimal => new Dec(v);
export const ZERO = new Dec(0);

/** Canonical string for storage and transport: no exponent, trailing zeros trimmed. */
export const decStr = (v: Decimal): string => v.toFixed();

/** Rounds money to cents for display-level totals (storage keeps full precision). */
export const toCents = (v: Decimal): Decimal => v.toDecimalPlaces(2, Decimal.ROUND_HALF_EVEN);

/**
 * A decimal string of at most 15 significant digits converts to the nearest double and two distinct such
 * strings never collapse to one double (doubles hold 15 decimal digits exactly), so comparing Numbers
 * orders them exactly like decimals. Bars (≤ 9 integer + 6 fractional digits) practically always qualify;
 * anything longer falls back to decimal.js.
 */
export const SHORT_DECIMAL = 16; // 15 digits plus a decimal point

/** Sign of a − b for decimal strings, exact. */
export function compareDecimal(a: string, b: string): number {
  if (a.length <= SHORT_DECIMAL && b.length <= SHORT_DECIMAL) {
    const x = Number(a), y = Number(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  return new Dec(a).cmp(b);
}

