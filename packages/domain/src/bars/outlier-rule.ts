// The outlier (bad print) rule: a bar whose prices jump further from the last good close than the series'
// own recent volatility allows, and which the next bar does not confirm. Prices in decimals, statistics in floats.
//
// The rule, for each bar in time order (bars already rejected for other reasons never take part):
//   ref    = close of the previous accepted bar; the first bar of a series is not judged.
//   σ      = sample standard deviation of the last `window` (default 20) close-to-close log returns between
//            accepted bars. A return across g > 1 steps (a hole) enters as r / √g; returns across more than
//            16 steps (overnight, a weekend of 1m bars) are left out, since a gap is not intraday volatility.
//            Until 5 returns are known σ means nothing, so the first bars of a series are not judged.
//   σ_eff  = max(σ, floor); floor = 0.02 % × √(timeframe minutes): 1m 0.02 %, 5m 0.045 %, 1h 0.15 %,
//            1d 0.39 % (a trading day counted as 390 min). Without it a quiet stretch (σ → 0, flat
//            single-print minutes) would make every tick an outlier; it is well below real 5m σ (0.05 % SPY,
//            0.1–0.25 % single stocks in summer 2025), so it only bites when a series is near-flat.
//   limit  = max(k × σ_eff × √min(g, 16), 0.05 / ref): k = 8 by default; g = steps since ref, so the first
//            bar after a gap (the open after the night, g capped at 16 → ×4) gets room for the gap; and
//            a move of 5 cents is always allowed (tick noise on a cheap stock). In an extended-hours series
//            the first bar(s) from 09:30 ET count as after a gap (g = 16) too: σ then comes from thin
//            pre-market quotes, and the opening auction is a real jump (AAPL 2025-07-07 13:30Z +1.7 %).
//   A price p in open/high/low/close is "far" when |p − ref| / ref > limit (decimal arithmetic).
//   A far price is confirmed when the next bar's body (open..close) comes within `limit` of p: the market
//   went there and stayed (a gap, a fast move). The bar is an outlier when any far price is unconfirmed —
//   a print the next bar disowns, like AAPL 2025-08-07T17:05Z low 213.25 with the next bar at 219.4.
//   The body, not the range, because Yahoo repeats a bad print in the next bar's wick (QQQ 2025-06-20
//   13:05Z close 450.66, 13:10Z low 450.66 again): a wick must not vouch for a wick.
// Known blind spots, accepted: a bad print that the next bar's body repeats passes; a genuine one-bar
// flash move that fully reverts is flagged (it cannot be told from a bad print); the last bar of a series
// has nothing to confirm it, so a real move there is flagged.
import type { TBar, TTimeframe } from '@ai-trader/contracts';
import { dec, type Dec } from '../money.ts';
import { TIMEFRAME_MINUTES } from './bar-problem.ts';
import { decimalNumber } from './bar-numbers.ts';
import { opensBetween, stepsBetween } from './bar-session.ts';

export interface OutlierParams {
  window: number;
  k: number;
}
export const OUTLIER_DEFAULTS: OutlierParams = { window: 20, k: 8 };

const MIN_RETURNS = 5;
const MAX_GAP_STEPS = 16;
const FLOOR_PER_SQRT_MINUTE = 0.0002;
const MIN_MOVE = dec('0.05');
const PRICES = ['open', 'high', 'low', 'close'] as const;

/** σ of a per-step log return below which a series counts as quiet (see the rule above). */
export const sigmaFloor = (tf: TTimeframe): number => FLOOR_PER_SQRT_MINUTE * Math.sqrt(tf === '1d' ? 390 : TIMEFRAME_MINUTES[tf]);

function stdev(xs: number[]): number {
  let sum = 0;
  for (let i = 0; i < xs.length; i++) sum += xs[i]!;
  const mean = sum / xs.length;
  let sq = 0;
  for (let i = 0; i < xs.length; i++) sq += (xs[i]! - mean) ** 2;
  return Math.sqrt(sq / (xs.length - 1));
}

/** "15.2 %" for moves of a percent and more, two significant digits below ("0.26 %", "0.045 %"). */
export function pct(fraction: number): string {
  const x = fraction * 100;
  return `${x >= 1 ? x.toFixed(1) : Number(x.toPrecision(2)).toString()} %`;
}

/** Distance from p to the nearest point of the bar's body (open..close), as a fraction of p (0 when inside). */
function distToBody(p: Dec, bar: TBar): Dec {
  const o = dec(bar.open), c = dec(bar.close);
  const lo = o.lt(c) ? o : c, hi = o.lt(c) ? c : o;
  if (p.lt(lo)) return lo.minus(p).div(p);
  if (p.gt(hi)) return p.minus(hi).div(p);
  return dec(0);
}

/**
 * The rule applied one bar at a time, in time order, so a stream can be judged as it arrives: `judge(bar, t,
 * next)` needs only the bars before (its own state) and the next candidate in time. Returns the reason the
 * bar is an outlier, or null when it is accepted (and becomes the new reference).
 */
export class OutlierJudge {
  private readonly returns: number[] = [];
  // The reference (last accepted bar) as fields, not an object per bar: this runs for every bar validated.
  private refBar: TBar | null = null;
  private refClose = 0;
  private refT = 0;
  private readonly floor: number;
  constructor(
    private readonly tf: TTimeframe,
    private readonly params: OutlierParams,
  ) {
    this.floor = sigmaFloor(tf);
  }

  private accept(bar: TBar, t: number, gap: number): null {
    // Statistics in floats: a return needs no exactness, and this runs for every bar.
    const close = decimalNumber(bar.close);
    if (this.refBar && gap <= MAX_GAP_STEPS) {
      this.returns.push(Math.log(close / this.refClose) / Math.sqrt(gap));
      if (this.returns.length > this.params.window) this.returns.shift();
    }
    this.refBar = bar;
    this.refClose = close;
    this.refT = t;
    return null;
  }

  judge(bar: TBar, t: number, next: TBar | undefined): string | null {
    const refBar = this.refBar, refT = this.refT, refCloseF = this.refClose;
    if (refBar === null) return this.accept(bar, t, 1);
    const tf = this.tf;
    const steps = stepsBetween(refT, t, tf, MAX_GAP_STEPS + 1);
    if (this.returns.length < MIN_RETURNS) return this.accept(bar, t, steps);
    // The session can only open in between when the two bars are less than a day apart.
    const gap = t - refT < 86_400_000 && opensBetween(refT, t, tf) ? Math.max(steps, MAX_GAP_STEPS) : steps;
    const sigma = stdev(this.returns);
    const sigmaEff = Math.max(sigma, this.floor), scale = Math.sqrt(Math.min(gap, MAX_GAP_STEPS));
    const statLimitF = this.params.k * sigmaEff * scale;
    // Fast pre-test in floats, with a margin far above their rounding error (1e-9 of the price): with
    // low ≤ open, close ≤ high only the range's ends can be the farthest price, and a bar clearly inside
    // the band is accepted. Anything else — far, or too close to the edge to tell — is decided exactly below.
    const band = Math.max(statLimitF * refCloseF, 0.05), eps = refCloseF * 1e-9;
    if (decimalNumber(bar.low) >= refCloseF - band + eps && decimalNumber(bar.high) <= refCloseF + band - eps) return this.accept(bar, t, steps);

    const refClose = dec(refBar.close);
    const statLimit = dec(statLimitF);
    const minLimit = MIN_MOVE.div(refClose), limit = maxDec(statLimit, minLimit);
    const far = PRICES.map((k) => ({ k, p: dec(bar[k]) }))
      .map((x) => ({ ...x, d: x.p.minus(refClose).abs().div(refClose) }))
      .filter((x) => x.d.gt(limit));
    const unconfirmed = far.filter((x) => !next || distToBody(x.p, next).gt(limit));
    if (!unconfirmed.length) return this.accept(bar, t, steps);
    const worst = unconfirmed.reduce((a, b) => (b.d.gt(a.d) ? b : a));
    const why = statLimit.gte(minLimit)
      ? `${this.params.k} × σ ${pct(sigmaEff)}${sigma < this.floor ? ' (floor)' : ''}${scale > 1 ? ` × √${Math.min(gap, MAX_GAP_STEPS)} ${steps === gap ? `after a gap of ${gap} bars` : 'at the session open'}` : ''}`
      : `the ${MIN_MOVE.toFixed(2)} minimum move`;
    const nextText = next ? `next bar opens ${next.open}, closes ${next.close}` : 'no later bar to confirm it';
    // ref stays: the next bar is judged against the last close we believe
    return `${worst.k} ${bar[worst.k]} is ${pct(worst.d.toNumber())} from previous close ${refBar.close} at ${when(refT, t)} (limit ${pct(limit.toNumber())} = ${why}); ${nextText}`;
  }
}

/**
 * Judges `bars` (time-ascending, each already structurally valid and unique in ts) and returns the
 * indexes of the outliers with a sentence each, e.g.
 * `low 213.25 is 2.8 % from previous close 219.34 at 17:00Z (limit 0.8 % = 8 × σ 0.1 %); next bar opens 219.42, closes 219.35`.
 */
export function findOutliers(bars: TBar[], tf: TTimeframe, params: OutlierParams): Map<number, string> {
  const out = new Map<number, string>();
  const judge = new OutlierJudge(tf, params);
  bars.forEach((bar, i) => {
    const why = judge.judge(bar, Date.parse(bar.ts), bars[i + 1]);
    if (why) out.set(i, why);
  });
  return out;
}

const maxDec = (a: Dec, b: Dec): Dec => (a.gte(b) ? a : b);
// The previous bar's time, with its date only when it is another day than the judged bar's.
const when = (prev: number, t: number): string => {
  const p = new Date(prev).toISOString();
  return p.slice(0, 10) === new Date(t).toISOString().slice(0, 10) ? `${p.slice(11, 16)}Z` : `${p.slice(0, 10)} ${p.slice(11, 16)}Z`;
};
