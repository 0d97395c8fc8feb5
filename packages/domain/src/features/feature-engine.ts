// The feature engine: turns a symbol's bars, one at a time and in time order, into FeatureVectors.
// SMA(50), EMA(12), MACD, the Wilder averages of RSI and ATR, and VWAP come from `trading-signals` 8.3
// (streaming, on plain numbers; this version has no separate "Faster…" classes); SMA(20) with Bollinger, returns,
// volatility, volume z-score and time of day are small rolling windows kept here (see the Bollinger note).
//
// Cost per bar: every indicator keeps a window of at most 50 values, so `update` costs the same whatever the
// history length. Window statistics are recomputed over the window (≤ 50 values) instead of kept as running
// sums: running sums drift with the history they have seen, so an engine rebuilt from a warm-up window would
// not reproduce a batch run; recomputed windows do, exactly, for every feature without long memory.
//
// Definitions where conventions differ (feature-set.ts names the features):
//   - EMA (ema_12, MACD 12/26/9): seeded with the first price, as trading-signals does; ema_12 is null until
//     12 closes, macd until 26, macd_signal and macd_hist until the signal EMA has 9 MACD values.
//   - RSI(14) and ATR(14): Wilder smoothing seeded with the simple mean of the first 14 values; the first true
//     range (no previous close) is high − low. EMA, RSI and ATR have infinite memory: after a rebuild from a
//     warm-up window of n bars they agree with a run over the whole history to within (13/14)^n of their start-up
//     error (n = 180: ~1.6e-6, i.e. 1e-5 relative or better in the tests).
//   - Bollinger(20, 2): population standard deviation (Bollinger's own definition, and the library's).
//   - vol_20 and volume_z: sample standard deviation (n − 1) over 20 values (volume_z includes the current bar).
//   - VWAP: typical price (H + L + C) / 3, volume-weighted, restarting at each New York trading day (a daily
//     bar is a day of its own, so its VWAP is its typical price).
//   - tod: bar START in New York minutes; minutes since 09:30 / 390; extended-hours bars fall outside [0, 1]
//     (kept: finite and meaningful); null for daily bars.
// Division guards (flat data never yields NaN or ±Infinity; every feature is a finite number or null):
//   - a window whose standard deviation is rounding noise of a flat window (≤ 1e-10 × its mean level) counts
//     as flat: bb_width = 0 and bb_pctb = null (0/0: no band to be in); vol_20 = 0; volume_z = 0 (the volume
//     is its own mean: no surprise).
//   - RSI with neither gains nor losses in memory: null (0/0); losses but no gains: 0; gains but no losses: 100.
//   - VWAP with no volume yet in the session: null. ATR of a flat series is 0.
//   - any result with |x| < 1e-12 is written as 0: below any real move of cent prices, it is float noise of a
//     flat series (so flat data gives exact zeros, not ±2e-16).
import type { TBar, TTimeframe } from '@ai-trader/contracts';
import { ATR, EMA, MACD, SMA, VWAP, WSMA } from 'trading-signals';
import { etOffsetMinutes } from '../calendar/nyse.ts';
import { FEATURE_NAMES, type FeatureEngine, type FeatureVector, type TFeatureName } from './feature-set.ts';

const FLAT_REL = 1e-10;
const NOISE = 1e-12;
const OPEN_MINUTES = 9 * 60 + 30;
const SESSION_MINUTES = 390;
const DAY_MS = 86_400_000;

/** Finite or null; float noise around zero becomes 0. */
const fin = (x: number | null | undefined): number | null => (x == null || !Number.isFinite(x) ? null : Math.abs(x) < NOISE ? 0 : x);
/** a / b − 1, or null when b is missing or not positive. */
const dev = (a: number, b: number | null | undefined): number | null => (b == null || !(b > 0) ? null : fin(a / b - 1));

/** The last `size` values pushed, oldest overwritten first. */
class Window {
  private readonly xs: Float64Array;
  private n = 0;
  private next = 0;
  constructor(readonly size: number) {
    this.xs = new Float64Array(size);
  }
  push(x: number): void {
    this.xs[this.next] = x;
    this.next = this.next + 1 === this.size ? 0 : this.next + 1;
    if (this.n < this.size) this.n++;
  }
  get length(): number {
    return this.n;
  }
  get full(): boolean {
    return this.n === this.size;
  }
  /** The value pushed k pushes ago (0: the last one). */
  ago(k: number): number {
    let j = this.next - 1 - k;
    if (j < 0) j += this.size;
    return this.xs[j]!;
  }
  mean = NaN;
  sd = NaN;
  /** Sets `mean` and the standard deviation `sd` of a full window: population (ddof 0) or sample (ddof 1).
   *  Two-pass, summed oldest first, so the same values give bit-identical results wherever the ring starts
   *  (a batch run and an engine rebuilt from a warm-up window agree exactly). */
  stats(ddof: 0 | 1): void {
    const { xs, size, next } = this;
    let s = 0;
    for (let i = next; i < size; i++) s += xs[i]!;
    for (let i = 0; i < next; i++) s += xs[i]!;
    const mean = s / size;
    let q = 0;
    for (let i = next; i < size; i++) q += (xs[i]! - mean) ** 2;
    for (let i = 0; i < next; i++) q += (xs[i]! - mean) ** 2;
    this.mean = mean;
    this.sd = Math.sqrt(q / (size - ddof));
  }
}

/** ln(close / close k bars back), once there are k + 1 closes (the last one pushed is this bar's). */
function logReturn(closes: Window, k: number): number | null {
  return closes.length > k ? fin(Math.log(closes.ago(0) / closes.ago(k))) : null;
}

const isFlat = (sd: number, level: number): boolean => sd <= FLAT_REL * Math.abs(level);

const where = (bar: TBar): string => `features ${bar.symbol} ${bar.timeframe} bar ${bar.ts}`;

/** A bar's price as a number; throws a RangeError naming the bar and the field when it is not usable. */
function price(bar: TBar, k: 'open' | 'high' | 'low' | 'close'): number {
  const x = Number(bar[k]);
  if (!(x > 0 && x < Infinity)) throw new RangeError(`${where(bar)}: ${k} '${bar[k]}' is not a positive finite price`);
  return x;
}

/** An engine for one symbol and timeframe. Feed it bars in strictly increasing time. */
export function createFeatureEngine(timeframe: TTimeframe): FeatureEngine {
  const daily = timeframe === '1d';
  const sma50 = new SMA(50);
  const ema12 = new EMA(12); // also MACD's fast line: one EMA, updated by the MACD
  const macd = new MACD(ema12, new EMA(26), new EMA(9));
  const atr = new ATR(14); // Wilder (WSMA) smoothing of the true range
  const avgGain = new WSMA(14); // RSI(14) from its two Wilder averages, so 0/0 on flat data can be told apart
  const avgLoss = new WSMA(14);
  let vwap = new VWAP();
  let session = NaN; // New York day number of the VWAP's session
  const closes = new Window(21); // ret_20 needs the close 20 bars back
  const closes20 = new Window(20); // SMA(20) and Bollinger(20, 2)
  const rets = new Window(20);
  const volumes = new Window(20);
  let symbol: string | null = null;
  let lastTs: string | null = null;
  let lastMs = -Infinity;
  let count = 0;

  function update(bar: TBar): FeatureVector {
    if (bar.timeframe !== timeframe) throw new RangeError(`${where(bar)}: this engine computes ${timeframe} features`);
    if (symbol !== null && bar.symbol !== symbol) throw new RangeError(`${where(bar)}: this engine computes ${symbol}'s features; one engine per symbol`);
    const ms = Date.parse(bar.ts);
    if (Number.isNaN(ms)) throw new RangeError(`${where(bar)}: ts is not a date`);
    if (ms <= lastMs) throw new RangeError(`${where(bar)}: not after the last bar ${lastTs}; an engine takes bars in strictly increasing time (rebuild it to go back)`);
    price(bar, 'open');
    const high = price(bar, 'high'), low = price(bar, 'low'), close = price(bar, 'close');
    const volume = Number(bar.volume);
    if (!(volume >= 0 && volume < Infinity)) throw new RangeError(`${where(bar)}: volume '${bar.volume}' is not a finite number ≥ 0`);
    if (high < low) throw new RangeError(`${where(bar)}: high ${bar.high} < low ${bar.low}`);
    symbol = bar.symbol;
    lastTs = bar.ts;
    lastMs = ms;
    count++;

    // Returns and their volatility.
    const prevClose = closes.length ? closes.ago(0) : null;
    closes.push(close);
    if (prevClose !== null) rets.push(Math.log(close / prevClose));
    let vol20: number | null = null;
    if (rets.full) {
      rets.stats(1);
      vol20 = fin(rets.sd);
    }

    // RSI(14), Wilder.
    let rsi: number | null = null;
    if (prevClose !== null) {
      const g = avgGain.add(close > prevClose ? close - prevClose : 0);
      const l = avgLoss.add(close < prevClose ? prevClose - close : 0);
      if (g !== null && l !== null) rsi = l === 0 ? (g === 0 ? null : 100) : fin(100 - 100 / (1 + g / l));
    }

    // Trend: moving averages and MACD (whose fast EMA is ema12).
    const s50 = sma50.add(close);
    const m = macd.add(close);
    const e12 = ema12.getResult();
    const signalReady = m !== null && macd.signal.isStable;

    // SMA(20) and Bollinger(20, 2) from one window: trading-signals' BollingerBands allocates two arrays a
    // bar and was the costliest indicator here (~1 µs of ~6 µs per bar); the numbers are the same (population
    // deviation, summed oldest first): the tests hold them to hand-computed bands and to the library's class.
    closes20.push(close);
    let s20: number | null = null, pctb: number | null = null, width: number | null = null;
    if (closes20.full) {
      closes20.stats(0);
      const middle = (s20 = closes20.mean), sd = closes20.sd;
      if (isFlat(sd, middle)) width = 0;
      else {
        width = fin((4 * sd) / middle);
        pctb = fin((close - (middle - 2 * sd)) / (4 * sd));
      }
    }

    // ATR(14) relative to the close.
    const a = atr.add({ high, low, close });

    // Session VWAP and time of day. New York wall-clock time by toEt's arithmetic (nyse.ts) without its Date
    // and string (~1 µs a bar; the tests hold it to toEt). Daily bars are stamped 00:00Z of their own date.
    const local = daily ? ms : ms + etOffsetMinutes(ms) * 60_000;
    const day = Math.floor(local / DAY_MS);
    if (day !== session) {
      session = day;
      vwap = new VWAP();
    }
    vwap.add({ high, low, close, volume });
    const v = vwap.getResult();

    // Volume z-score over the last 20 bars, this one included.
    volumes.push(volume);
    let vz: number | null = null;
    if (volumes.full) {
      volumes.stats(1);
      vz = isFlat(volumes.sd, volumes.mean) ? 0 : fin((volume - volumes.mean) / volumes.sd);
    }

    const tod = daily ? null : fin((Math.floor((local - day * DAY_MS) / 60_000) - OPEN_MINUTES) / SESSION_MINUTES);

    return {
      ret_1: logReturn(closes, 1),
      ret_5: logReturn(closes, 5),
      ret_20: logReturn(closes, 20),
      vol_20: vol20,
      rsi_14: rsi,
      macd: m ? fin(m.macd / close) : null,
      macd_signal: signalReady ? fin(m.signal / close) : null,
      macd_hist: signalReady ? fin(m.histogram / close) : null,
      bb_pctb: pctb,
      bb_width: width,
      atr_pct: a === null ? null : fin(a / close),
      vwap_dev: dev(close, v),
      volume_z: vz,
      sma_20_dev: dev(close, s20),
      sma_50_dev: dev(close, s50),
      ema_12_dev: dev(close, e12),
      tod,
    };
  }

  return {
    timeframe,
    update,
    get lastTs() {
      return lastTs;
    },
    get count() {
      return count;
    },
  };
}

/** Features of a series in one pass: the same engine fed in a loop (so batch and incremental agree). */
export function computeFeatures(bars: readonly TBar[], timeframe: TTimeframe): FeatureVector[] {
  const engine = createFeatureEngine(timeframe);
  const out: FeatureVector[] = new Array(bars.length);
  for (let i = 0; i < bars.length; i++) out[i] = engine.update(bars[i]!);
  return out;
}

/** The names of the features still missing (null) in a vector; empty when a strategy may use it. */
export function missingFeatures(v: FeatureVector): TFeatureName[] {
  return FEATURE_NAMES.filter((n) => v[n] === null);
}
