// A position's figures for the console (market value, unrealised P&L and %, realised P&L, where the trailing stop
// stands) in scaled integers: exact sums and products of decimal strings as BigInt counts of 10^-scale. For 1,000
// positions decimal.js's parsing, arithmetic and printing took ~9 of the list's ~23 ms (bench/README.md, issue 8).
// The results are decimal.js's to the digit: money rounded half-even to the cent, the % to 2 places — whenever a
// product fits decimal.js's 40 significant digits (every real position); beyond that these are the exact ones.
import { dec } from '../money.ts';

/** n × 10^-s. */
export interface Scaled {
  n: bigint;
  s: number;
}

const PLAIN = /^(-?)(\d+)(?:\.(\d+))?$/;
const POW10: bigint[] = Array.from({ length: 48 }, (_, i) => 10n ** BigInt(i));
const pow10 = (k: number) => POW10[k] ?? 10n ** BigInt(k);

/** A decimal string as a scaled integer (plain ones — Postgres numeric text, toFixed() — directly; others, such as
 *  exponent forms, through decimal.js). */
export function scaled(v: string): Scaled {
  const m = PLAIN.exec(v) ?? PLAIN.exec(dec(v).toFixed());
  if (!m) throw new RangeError(`'${v}' is not a finite decimal`);
  const frac = m[3] ?? '';
  return { n: BigInt(`${m[1]}${m[2]}${frac}`), s: frac.length };
}

const align = (a: Scaled, s: number) => (a.s === s ? a.n : a.n * pow10(s - a.s));
const plus = (a: Scaled, b: Scaled): Scaled => {
  const s = Math.max(a.s, b.s);
  return { n: align(a, s) + align(b, s), s };
};
const minus = (a: Scaled, b: Scaled): Scaled => plus(a, { n: -b.n, s: b.s });
const times = (a: Scaled, b: Scaled): Scaled => ({ n: a.n * b.n, s: a.s + b.s });

/** num / den rounded half-even to an integer (den ≠ 0). */
function divHalfEven(num: bigint, den: bigint): bigint {
  if (den < 0n) {
    num = -num;
    den = -den;
  }
  const q = num / den, r = num % den; // q rounds toward zero, r has num's sign
  const twice = (r < 0n ? -r : r) * 2n;
  if (twice < den || (twice === den && q % 2n === 0n)) return q;
  return num < 0n ? q - 1n : q + 1n;
}

/** Rounded half-even to `dp` places (decimal.js toDecimalPlaces with ROUND_HALF_EVEN). */
function roundTo(a: Scaled, dp: number): Scaled {
  return a.s <= dp ? a : { n: divHalfEven(a.n, pow10(a.s - dp)), s: dp };
}

/** a / b × 100, rounded half-even to `dp` places (b ≠ 0). */
function percentOf(a: Scaled, b: Scaled, dp: number): Scaled {
  // a.n·10^-a.s / (b.n·10^-b.s) · 100 · 10^dp = a.n·10^(b.s + 2 + dp) / (b.n·10^a.s)
  return { n: divHalfEven(a.n * pow10(b.s + 2 + dp), b.n * pow10(a.s)), s: dp };
}

/** decimal.js's toFixed() form: no exponent, no trailing zeros, never "-0". */
export function scaledStr(a: Scaled): string {
  const neg = a.n < 0n;
  let digits = (neg ? -a.n : a.n).toString();
  if (a.s > 0) {
    digits = digits.padStart(a.s + 1, '0');
    const int = digits.slice(0, -a.s), frac = digits.slice(-a.s).replace(/0+$/, '');
    digits = frac ? `${int}.${frac}` : int;
  }
  return neg && digits !== '0' ? `-${digits}` : digits;
}

export interface PositionFigures {
  marketValue: string;
  unrealizedPnl: string;
  /** Unrealised P&L as a % of the cost of what is held; null when unpriced or nothing is held. */
  unrealizedPct: string | null;
  realizedPnl: string;
  /** highWater × (1 − trailPct / 100), to the cent; null without both. */
  trailStop: string | null;
  /** The three money figures in cents, for totals. */
  cents: { marketValue: bigint; unrealizedPnl: bigint; realizedPnl: bigint };
}

const ZERO: Scaled = { n: 0n, s: 0 };
const HUNDRED: Scaled = { n: 100n, s: 0 };

/**
 * The figures of a position at `last` (at its average cost while unpriced): market value qty × price and unrealised
 * P&L (last − avgCost) × qty to the cent, the % of the cost qty × avgCost to 2 places, realised P&L to the cent.
 */
export function positionFigures(
  p: { qty: string; avgCost: string; realizedPnl: string; highWater: string | null; trailPct: string | null },
  last: string | null | undefined,
): PositionFigures {
  const qty = scaled(p.qty), avgCost = scaled(p.avgCost);
  const px = last ? scaled(last) : null;
  const mv = roundTo(times(qty, px ?? avgCost), 2);
  const upnlRaw = px ? times(minus(px, avgCost), qty) : ZERO;
  const upnl = roundTo(upnlRaw, 2);
  const rpnl = roundTo(scaled(p.realizedPnl), 2);
  const cost = times(qty, avgCost);
  const trail = p.highWater && p.trailPct ? times(scaled(p.highWater), minus(HUNDRED, scaled(p.trailPct))) : null;
  return {
    marketValue: scaledStr(mv),
    unrealizedPnl: scaledStr(upnl),
    unrealizedPct: px && cost.n !== 0n ? scaledStr(percentOf(upnlRaw, cost, 2)) : null,
    realizedPnl: scaledStr(rpnl),
    // ÷ 100 is exact in decimals: two more places, then to the cent.
    trailStop: trail ? scaledStr(roundTo({ n: trail.n, s: trail.s + 2 }, 2)) : null,
    cents: { marketValue: toCents(mv), unrealizedPnl: toCents(upnl), realizedPnl: toCents(rpnl) },
  };
}

const toCents = (a: Scaled): bigint => align(a, 2);

/** A sum of cents as a decimal string (decimal.js toFixed() form). */
export const centsStr = (cents: bigint): string => scaledStr({ n: cents, s: 2 });
