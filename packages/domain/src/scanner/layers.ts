// The scanner's layers as pure functions over daily bars. Layer 0 (universe): excluded or not tradable,
// no data, price out of range, not listed long enough, no longer trading. Layer 1 (liquidity): too few
// bars in the window, too little dollar volume, too wide a spread. Each symbol gets every reason it
// failed (not only the first), the numbers judged, and the passed ones a rank by the layer's metric.
import type { TScannerLayer0Config, TScannerLayer1Config } from '@ai-trader/contracts';
import type Decimal from 'decimal.js';
import { compareDecimal, dec, decStr, toCents, ZERO } from '../money.ts';
import { groupDigits, tradingDaysAfter, tradingDaysEndingAt, type ScanBar, type ScanCandidate } from './scan-bars.ts';
import { corwinSchultz, type HighLowClose } from './statistics.ts';

export type ScanMetrics = Record<string, string | number | boolean | null>;

export interface ScanOutcome<M extends ScanMetrics = ScanMetrics> {
  symbol: string;
  passed: boolean;
  /** 1 = best among the passed by the layer's metric; null for the failed. */
  rank: number | null;
  /** Why it failed, each "code: explanation"; empty when passed. */
  reasons: string[];
  metrics: M;
}

export type Layer0Metrics = {
  lastDate: string | null;
  lastClose: string | null;
  lastVolume: string | null;
  /** close × volume of the last day: layer 0's ranking metric. */
  lastDollarVolume: string | null;
  historyDays: number;
  firstDate: string | null;
  /** Trading days after the last bar up to the scan date (at most 250). */
  staleDays: number | null;
  /** The last bar was built from intraday bars (no stored daily bar). */
  lastDerived: boolean | null;
};

export type Layer1Metrics = {
  windowFrom: string;
  windowTo: string;
  bars: number;
  lastClose: string | null;
  /** Mean close × volume over the window, in cents precision: layer 1's ranking metric. */
  avgDollarVolume: string | null;
  avgVolume: number | null;
  /** Corwin–Schultz estimate (fraction of price) over the consecutive-day pairs in the window. */
  spreadProxy: number | null;
  spreadPairs: number;
  /** Bars of the window built from intraday bars (no stored daily bar). */
  derivedBars: number;
};

const upTo = (bars: readonly ScanBar[], date: string) => bars.filter((b) => b.date <= date);
const pct = (x: number) => `${(x * 100).toFixed(2)} %`;
const dollars = (x: Decimal) => `$${groupDigits(x.toFixed(0))}`;

/** Layer 0: which of the configured universe may be traded at all, as of the New York date `scanDate`. */
export function layer0(candidates: readonly ScanCandidate[], cfg: TScannerLayer0Config, scanDate: string): ScanOutcome<Layer0Metrics>[] {
  const exclude = new Set(cfg.exclude), tradable = cfg.tradable ? new Set(cfg.tradable) : null;
  const outcomes = candidates.map((c): ScanOutcome<Layer0Metrics> => {
    const reasons: string[] = [];
    if (exclude.has(c.symbol)) reasons.push('excluded: listed under layer0.exclude');
    if (tradable && !tradable.has(c.symbol)) reasons.push('not_tradable: not in layer0.tradable');
    const last = upTo(c.bars, scanDate).at(-1);
    const metrics: Layer0Metrics = {
      lastDate: last?.date ?? null, lastClose: last ? decStr(dec(last.close)) : null, lastVolume: last?.volume ?? null,
      lastDollarVolume: last ? decStr(toCents(dec(last.close).times(last.volume))) : null,
      historyDays: c.historyDays, firstDate: c.firstDate, staleDays: last ? tradingDaysAfter(last.date, scanDate) : null,
      lastDerived: last ? !!last.derived : null,
    };
    if (!last) reasons.push(`no_data: no daily bar up to ${scanDate}`);
    else {
      if (compareDecimal(metrics.lastClose!, cfg.minPrice) < 0) reasons.push(`price_below_min: last close ${metrics.lastClose} < ${cfg.minPrice}`);
      if (cfg.maxPrice !== undefined && compareDecimal(metrics.lastClose!, cfg.maxPrice) > 0) reasons.push(`price_above_max: last close ${metrics.lastClose} > ${cfg.maxPrice}`);
      if (cfg.maxStaleDays !== undefined && metrics.staleDays! > cfg.maxStaleDays)
        reasons.push(`stale: last bar ${last.date} is ${metrics.staleDays}${metrics.staleDays === 250 ? '+' : ''} trading days before ${scanDate}, at most ${cfg.maxStaleDays} allowed`);
    }
    if (c.historyDays < cfg.minHistoryDays) reasons.push(`history_too_short: ${c.historyDays} trading days with bars, needs ${cfg.minHistoryDays}`);
    return { symbol: c.symbol, passed: reasons.length === 0, rank: null, reasons, metrics };
  });
  return rankPassed(outcomes, (m) => (m.lastDollarVolume === null ? null : dec(m.lastDollarVolume)));
}

/** Layer 1: of the given symbols (layer 0's passed), the ones liquid enough, over `lookbackDays` ending at `scanDate`. */
export function layer1(candidates: readonly ScanCandidate[], cfg: TScannerLayer1Config, scanDate: string): ScanOutcome<Layer1Metrics>[] {
  const window = tradingDaysEndingAt(scanDate, cfg.lookbackDays);
  const index = new Map(window.map((d, i) => [d, i]));
  const outcomes = candidates.map((c): ScanOutcome<Layer1Metrics> => {
    const bars = c.bars.filter((b) => index.has(b.date));
    let dollarVolume = ZERO, volume = 0;
    for (const b of bars) {
      dollarVolume = dollarVolume.plus(dec(b.close).times(b.volume));
      volume += Number(b.volume);
    }
    const avgDollarVolume = bars.length ? dollarVolume.div(bars.length) : null;
    // Only bars of consecutive trading days make a pair: a hole in the data would read as a two-day move.
    const pairs: [HighLowClose, HighLowClose][] = [];
    for (let i = 1; i < bars.length; i++) if (index.get(bars[i]!.date)! - index.get(bars[i - 1]!.date)! === 1) pairs.push([bars[i - 1]!, bars[i]!]);
    const spread = corwinSchultz(pairs);
    const metrics: Layer1Metrics = {
      windowFrom: window[0]!, windowTo: window.at(-1)!, bars: bars.length, lastClose: bars.length ? decStr(dec(bars.at(-1)!.close)) : null,
      avgDollarVolume: avgDollarVolume && decStr(toCents(avgDollarVolume)), avgVolume: bars.length ? Math.round(volume / bars.length) : null,
      spreadProxy: spread.estimate === null ? null : Number(spread.estimate.toFixed(6)), spreadPairs: spread.pairs,
      derivedBars: bars.filter((b) => b.derived).length,
    };
    const reasons: string[] = [];
    if (bars.length < cfg.minBars) reasons.push(`too_few_bars: ${bars.length} daily bars in the ${cfg.lookbackDays} trading days ${metrics.windowFrom}…${metrics.windowTo}, needs ${cfg.minBars}`);
    if (avgDollarVolume === null || avgDollarVolume.lt(cfg.minAvgDollarVolume))
      reasons.push(`dollar_volume_below_min: average close × volume ${avgDollarVolume ? dollars(avgDollarVolume) : 'unknown (no bars)'} < ${dollars(dec(cfg.minAvgDollarVolume))}`);
    if (spread.estimate === null) {
      if (bars.length) reasons.push('spread_unknown: no two consecutive trading days with bars to estimate the spread from');
    } else if (spread.estimate > cfg.maxSpreadProxy) reasons.push(`spread_above_max: Corwin–Schultz estimate ${pct(spread.estimate)} > ${pct(cfg.maxSpreadProxy)}`);
    return { symbol: c.symbol, passed: reasons.length === 0, rank: null, reasons, metrics };
  });
  return rankPassed(outcomes, (m) => (m.avgDollarVolume === null ? null : dec(m.avgDollarVolume)));
}

/**
 * Ranks the passed outcomes by `metric`, highest first (ties and missing metrics by symbol), and orders
 * the list: passed by rank, then failed by symbol.
 */
export function rankPassed<M extends ScanMetrics>(outcomes: readonly ScanOutcome<M>[], metric: (m: M) => Decimal | null): ScanOutcome<M>[] {
  const bySymbol = (a: ScanOutcome<M>, b: ScanOutcome<M>) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0);
  const passed = outcomes
    .filter((o) => o.passed)
    .map((o) => ({ o, v: metric(o.metrics) }))
    .sort((a, b) => (a.v && b.v ? b.v.cmp(a.v) : a.v ? -1 : b.v ? 1 : 0) || bySymbol(a.o, b.o))
    .map(({ o }, i) => ({ ...o, rank: i + 1 }));
  const failed = outcomes.filter((o) => !o.passed).map((o) => ({ ...o, rank: null })).sort(bySymbol);
  return [...passed, ...failed];
}
