import { ZScannerLayer0Config, ZScannerLayer1Config } from '@ai-trader/contracts';
import { describe, expect, it } from 'vitest';
import { dec } from '../money.ts';
import { layer0, layer1, rankPassed, type ScanMetrics, type ScanOutcome } from './layers.ts';
import { tradingDaysEndingAt, type ScanBar, type ScanCandidate } from './scan-bars.ts';

const SCAN = '2025-08-28'; // a Thursday

/** `n` daily bars ending at `end`, every day alike: open = close, high/low around it. */
function bars(n: number, p: { close: string; high?: string; low?: string; volume?: string; end?: string }): ScanBar[] {
  return tradingDaysEndingAt(p.end ?? SCAN, n).map((date) => ({ date, open: p.close, high: p.high ?? p.close, low: p.low ?? p.close, close: p.close, volume: p.volume ?? '1000000' }));
}
const cand = (symbol: string, b: ScanBar[], historyDays = b.length): ScanCandidate => ({ symbol, bars: b, historyDays, firstDate: b[0]?.date ?? null });
const by = <M extends ScanMetrics>(xs: ScanOutcome<M>[]) => Object.fromEntries(xs.map((x) => [x.symbol, x]));
const finite = (m: ScanMetrics) => Object.values(m).every((v) => typeof v !== 'number' || Number.isFinite(v));

describe('layer0', () => {
  const cfg = ZScannerLayer0Config.parse({ symbols: ['AAA'], exclude: ['EXCL'], minPrice: 5, maxPrice: '1000', minHistoryDays: 20, maxStaleDays: 3 });

  it('passes the symbols that meet every filter and gives every reason for the others', () => {
    const r = by(layer0([
      cand('AAA', bars(30, { close: '50.000000' })),
      cand('BBB', bars(30, { close: '120' })),
      cand('EXACT', bars(30, { close: '5.00' })), // the minimum itself is allowed
      cand('CHEAP', bars(30, { close: '4.99' })),
      cand('PRICEY', bars(30, { close: '1000.01' })),
      cand('NEW', bars(10, { close: '50' })),
      cand('EXCL', bars(30, { close: '50' })),
      cand('OLD', bars(30, { close: '50', end: '2025-08-21' })), // last bar 5 trading days before the scan
      cand('NONE', []),
    ], cfg, SCAN));
    expect(r.AAA).toMatchObject({ passed: true, reasons: [], metrics: { lastDate: SCAN, lastClose: '50', lastVolume: '1000000', lastDollarVolume: '50000000', historyDays: 30, staleDays: 0 } });
    expect(r.EXACT!.passed).toBe(true);
    expect(r.CHEAP!.reasons).toEqual(['price_below_min: last close 4.99 < 5']);
    expect(r.PRICEY!.reasons).toEqual(['price_above_max: last close 1000.01 > 1000']);
    expect(r.NEW!.reasons).toEqual(['history_too_short: 10 trading days with bars, needs 20']);
    expect(r.EXCL!.reasons).toEqual(['excluded: listed under layer0.exclude']);
    expect(r.OLD!.reasons).toEqual(['stale: last bar 2025-08-21 is 5 trading days before 2025-08-28, at most 3 allowed']);
    expect(r.NONE!.reasons).toEqual(['no_data: no daily bar up to 2025-08-28', 'history_too_short: 0 trading days with bars, needs 20']);
    expect(r.NONE!.metrics).toMatchObject({ lastClose: null, lastDollarVolume: null, staleDays: null });
  });

  it('ranks the passed by the last day’s dollar volume, ties by symbol, and lists the failed after them', () => {
    const out = layer0([
      cand('ZED', bars(30, { close: '10', volume: '100' })), // $1,000
      cand('CHEAP', bars(30, { close: '1' })),
      cand('BBB', bars(30, { close: '120' })), // $120M
      cand('AAA', bars(30, { close: '50' })), // $50M
      cand('AAB', bars(30, { close: '25', volume: '2000000' })), // $50M too: after AAA by symbol
      cand('ZERO', bars(30, { close: '10', volume: '0' })), // no volume is not layer 0's business
    ], cfg, SCAN);
    expect(out.map((o) => [o.symbol, o.rank])).toEqual([['BBB', 1], ['AAA', 2], ['AAB', 3], ['ZED', 4], ['ZERO', 5], ['CHEAP', null]]);
    expect(out.every((o) => finite(o.metrics))).toBe(true);
  });

  it('only lets listed tradable symbols through when a tradable list is given, and ignores bars after the scan date', () => {
    const c = ZScannerLayer0Config.parse({ tradable: ['AAA'], minHistoryDays: 1 });
    const late = [...bars(5, { close: '50', end: '2025-08-27' }), ...bars(1, { close: '2' })]; // 08-28's close of 2 is after 08-27
    const r = by(layer0([cand('AAA', late), cand('BBB', bars(5, { close: '50' }))], c, '2025-08-27'));
    expect(r.AAA).toMatchObject({ passed: true, metrics: { lastDate: '2025-08-27', lastClose: '50' } });
    expect(r.BBB!.reasons).toEqual(['not_tradable: not in layer0.tradable']);
  });

  it('judges a single bar', () => {
    const r = layer0([cand('ONE', bars(1, { close: '7.5', volume: '3' }))], ZScannerLayer0Config.parse({ minHistoryDays: 1 }), SCAN);
    expect(r[0]).toMatchObject({ passed: true, rank: 1, metrics: { lastDollarVolume: '22.5', historyDays: 1 } });
  });
});

describe('layer1', () => {
  const cfg = ZScannerLayer1Config.parse({ lookbackDays: 5, minBars: 4, minAvgDollarVolume: '1_000_000', maxSpreadProxy: 0.01 });
  const SCAN1 = '2025-07-08'; // window 07-01, 07-02, 07-03, 07-07, 07-08 (07-04 a holiday)
  const b = (n: number, p: Parameters<typeof bars>[1]) => bars(n, { end: SCAN1, ...p });

  it('passes liquid, tight symbols and names the filter each other one failed', () => {
    const holey = b(5, { close: '100', volume: '20000' }).filter((x) => ['2025-07-01', '2025-07-03', '2025-07-08'].includes(x.date));
    const r = by(layer1([
      cand('LIQ', [...b(30, { close: '100', volume: '99999999', end: '2025-06-30' }), ...b(5, { close: '100', high: '100.25', low: '99.75', volume: '20000' })]),
      cand('WIDE', b(5, { close: '100', high: '101', low: '99', volume: '20000' })),
      cand('THIN', b(5, { close: '100', high: '100.25', low: '99.75', volume: '5000' })),
      cand('HOLEY', holey),
      cand('NOBARS', []),
      cand('FLAT', b(5, { close: '100', volume: '0' })),
    ], cfg, SCAN1));
    // LIQ: the 30 older bars with huge volume are outside the window; 100 × 20,000 = $2M a day; S = 2·0.5/200.
    expect(r.LIQ).toMatchObject({ passed: true, rank: 1, reasons: [], metrics: { windowFrom: '2025-07-01', windowTo: SCAN1, bars: 5, avgDollarVolume: '2000000', avgVolume: 20000, spreadPairs: 4 } });
    expect(r.LIQ!.metrics.spreadProxy).toBeCloseTo(0.005, 6);
    expect(r.WIDE!.reasons).toEqual(['spread_above_max: Corwin–Schultz estimate 2.00 % > 1.00 %']);
    expect(r.THIN!.reasons).toEqual(['dollar_volume_below_min: average close × volume $500,000 < $1,000,000']);
    // 3 bars, and no two of consecutive trading days (07-02 and 07-07 are missing): no spread estimate either.
    expect(r.HOLEY!.reasons).toEqual([
      'too_few_bars: 3 daily bars in the 5 trading days 2025-07-01…2025-07-08, needs 4',
      'spread_unknown: no two consecutive trading days with bars to estimate the spread from',
    ]);
    expect(r.NOBARS!.reasons).toEqual([
      'too_few_bars: 0 daily bars in the 5 trading days 2025-07-01…2025-07-08, needs 4',
      'dollar_volume_below_min: average close × volume unknown (no bars) < $1,000,000',
    ]);
    expect(r.NOBARS!.metrics).toMatchObject({ avgDollarVolume: null, avgVolume: null, spreadProxy: null, lastClose: null });
    expect(r.FLAT!.reasons).toEqual(['dollar_volume_below_min: average close × volume $0 < $1,000,000']);
    expect(r.FLAT!.metrics).toMatchObject({ avgDollarVolume: '0', spreadProxy: 0 });
    for (const o of Object.values(r)) expect(finite(o.metrics)).toBe(true);
  });

  it('averages dollar volume in decimals: (1.005 + 1.025) / 2 = 1.015 exactly, at the minimum, shown as 1.02', () => {
    // In floats the mean prints as 1.01 (1.015 is 1.01499… as a double); decimals keep the half and round it half-even.
    const days = tradingDaysEndingAt(SCAN1, 2);
    const xs = ['1.005', '1.025'].map((close, i) => ({ date: days[i]!, open: close, high: close, low: close, close, volume: '1' }));
    const r = layer1([cand('DEC', xs)], ZScannerLayer1Config.parse({ lookbackDays: 2, minBars: 2, minAvgDollarVolume: '1.015' }), SCAN1);
    expect(r[0]!.metrics.avgDollarVolume).toBe('1.02');
    expect(r[0]!.passed).toBe(true);
  });

  it('ranks by average dollar volume', () => {
    const r = layer1([
      cand('A', b(5, { close: '100', volume: '20000' })),
      cand('B', b(5, { close: '100', volume: '30000' })),
    ], cfg, SCAN1);
    expect(r.map((o) => [o.symbol, o.rank])).toEqual([['B', 1], ['A', 2]]);
  });
});

describe('rankPassed', () => {
  it('puts passed outcomes without a metric after those with one', () => {
    const o = (symbol: string, v: string | null): ScanOutcome<{ v: string | null }> => ({ symbol, passed: true, rank: null, reasons: [], metrics: { v } });
    const r = rankPassed([o('A', null), o('B', '1'), o('C', '2')], (m) => (m.v === null ? null : dec(m.v)));
    expect(r.map((x) => [x.symbol, x.rank])).toEqual([['C', 1], ['B', 2], ['A', 3]]);
  });
});
