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
