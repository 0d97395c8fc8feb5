// Statistics the scanner's filters use. Ratios and dispersion are floats (they are estimates, not money);
// every function returns null instead of NaN or Infinity when its input cannot give an answer.

export function mean(xs: readonly number[]): number | null {
  if (!xs.length) return null;
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/** Sample standard deviation (n − 1); null below two values. */
export function sampleStdDev(xs: readonly number[]): number | null {
  const m = mean(xs);
  if (m === null || xs.length < 2) return null;
  let s = 0;
  for (const x of xs) s += (x - m) ** 2;
  return Math.sqrt(s / (xs.length - 1));
}

export interface HighLowClose {
  high: string;
  low: string;
  close: string;
}

const K = 3 - 2 * Math.SQRT2;

/**
 * Corwin–Schultz bid-ask spread estimate from two consecutive days' highs and lows (Corwin & Schultz 2012,
 * "A Simple Way to Estimate Bid-Ask Spreads from Daily High and Low Prices", J. Finance 67(2)), as a
 * fraction of the price (0.01 = 1 %). A day's high/low ratio holds volatility and the spread; the two-day
 * range grows with volatility over two days but the spread only once, which separates the two:
 *   β = ln(H₁/L₁)² + ln(H₂/L₂)²,  γ = ln(max(H₁,H₂)/min(L₁,L₂))²
 *   α = (√(2β) − √β)/(3 − 2√2) − √(γ/(3 − 2√2)),  S = 2(e^α − 1)/(1 + e^α)
 * Day 2 is first shifted by its overnight gap (the paper's adjustment): a gap is not spread. Can be
 * negative (a trend over the two days); callers count that as 0, as the paper does. A constant day with
 * range H−L gives S = 2(H−L)/(H+L). Null for prices that are not positive.
 */
export function corwinSchultzPair(d1: HighLowClose, d2: HighLowClose): number | null {
  const h1 = Number(d1.high), l1 = Number(d1.low), c1 = Number(d1.close);
  let h2 = Number(d2.high), l2 = Number(d2.low);
  if (!(l1 > 0 && l2 > 0 && c1 > 0 && h1 >= l1 && h2 >= l2)) return null;
  if (l2 > c1) [h2, l2] = [h2 - (l2 - c1), c1];
  else if (h2 < c1) [h2, l2] = [c1, l2 + (c1 - h2)];
  const beta = Math.log(h1 / l1) ** 2 + Math.log(h2 / l2) ** 2;
  const gamma = Math.log(Math.max(h1, h2) / Math.min(l1, l2)) ** 2;
  const alpha = (Math.sqrt(2 * beta) - Math.sqrt(beta)) / K - Math.sqrt(gamma / K);
  const s = (2 * (Math.exp(alpha) - 1)) / (1 + Math.exp(alpha));
  return Number.isFinite(s) ? s : null;
}

/**
 * Mean of the two-day estimates over the consecutive pairs given (negative ones as 0). Daily data makes
 * each estimate noisy and, for very liquid stocks, biased up (≈0.2–0.7 % for SPY … TSLA in 2025, against
 * real spreads of a cent): a coarse filter against illiquid names, not a measurement of the spread.
 */
export function corwinSchultz(pairs: readonly (readonly [HighLowClose, HighLowClose])[]): { estimate: number | null; pairs: number } {
  const xs = pairs.map(([a, b]) => corwinSchultzPair(a, b)).filter((s): s is number => s !== null).map((s) => Math.max(0, s));
  return { estimate: mean(xs), pairs: xs.length };
}
