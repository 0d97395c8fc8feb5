// The feature set: the names every strategy and model may use, and the version that changes when any
// definition does (stored rows of another version are recomputed, models trained on another are refused).
// Features are statistics (floats), never money; null while an indicator is still warming up or where its
// definition has no value (0/0 on flat data) — never NaN or ±Infinity. Exact definitions: feature-engine.ts.
import type { TBar, TTimeframe } from '@ai-trader/contracts';

export const FEATURE_SET_VERSION = 1;

export const FEATURE_NAMES = [
  'ret_1', // log return of the last bar
  'ret_5', // log return over 5 bars
  'ret_20', // log return over 20 bars
  'vol_20', // standard deviation of 1-bar log returns over 20 bars
  'rsi_14', // Wilder RSI(14), 0..100 (null when the window has neither gains nor losses)
  'macd', // MACD(12, 26) line / close
  'macd_signal', // its EMA(9) / close
  'macd_hist', // (macd − signal) / close
  'bb_pctb', // Bollinger(20, 2) %b: (close − lower) / (upper − lower); null when the bands are flat
  'bb_width', // (upper − lower) / middle
  'atr_pct', // ATR(14) / close
  'vwap_dev', // close / session VWAP − 1 (session: New York trading day)
  'volume_z', // z-score of volume over the last 20 bars (this one included; 0 when volume is flat)
  'sma_20_dev', // close / SMA(20) − 1
  'sma_50_dev', // close / SMA(50) − 1
  'ema_12_dev', // close / EMA(12) − 1
  'tod', // time of day of the bar start: minutes since 09:30 ET / 390 (0 at the open, 1 at a 16:00 close); null for 1d
] as const;
export type TFeatureName = (typeof FEATURE_NAMES)[number];
export type FeatureVector = Record<TFeatureName, number | null>;

/** Bars an engine needs before every feature has a value (the longest look-back, plus slack). */
export const FEATURE_WARMUP_BARS = 60;

/** Incremental: `update` costs O(1) per indicator, whatever the history length. */
export interface FeatureEngine {
  readonly timeframe: TTimeframe;
  /** Adds the next bar (strictly later than the last one; throws RangeError otherwise) and returns its features. */
  update(bar: TBar): FeatureVector;
  /** ts of the last bar added, or null. */
  readonly lastTs: string | null;
  readonly count: number;
}
