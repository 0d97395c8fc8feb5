import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { TBar } from '@ai-trader/contracts';
import { BollingerBands, RSI } from 'trading-signals';
import { toEt } from '../calendar/nyse.ts';
import { describe, expect, it } from 'vitest';
import { computeFeatures, createFeatureEngine, missingFeatures } from './feature-engine.ts';
import { FEATURE_NAMES, FEATURE_WARMUP_BARS, type FeatureVector } from './feature-set.ts';

const T0 = Date.parse('2025-06-04T13:30:00Z'); // Wednesday 09:30 EDT
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

interface Px { o?: number; h?: number; l?: number; c: number; v?: number; ts?: string }
/** 5-minute bars from T0; high/low default to the body, volume to 1000. */
function bars(xs: (number | Px)[], symbol = 'TST'): TBar[] {
  return xs.map((x, i) => {
    const p = typeof x === 'number' ? { c: x } : x;
    const o = p.o ?? p.c;
    return {
      symbol, timeframe: '5m', ts: p.ts ?? iso(T0 + i * 300_000), source: 'test',
      open: String(o), high: String(p.h ?? Math.max(o, p.c)), low: String(p.l ?? Math.min(o, p.c)), close: String(p.c), volume: String(p.v ?? 1000),
    };
  });
}
const last = (vs: FeatureVector[]) => vs[vs.length - 1]!;

function realBars(symbol: string): TBar[] {
  const file = path.resolve(import.meta.dirname, '../../../../../shared/data/bars/5m', `${symbol}.csv`);
  return readFileSync(file, 'utf8').trim().split('\n').slice(1).map((line) => {
    const [ts, open, high, low, close, volume] = line.split(',');
    return { symbol, timeframe: '5m', ts: ts!, open: open!, high: high!, low: low!, close: close!, volume: volume!, source: 'test' };
  });
}

describe('feature engine: hand-computed references', () => {
  it('log returns over 1, 5 and 20 bars, null until there is history', () => {
    const closes = [100, 101, 99, 102, 103, 104, ...Array.from({ length: 15 }, (_, i) => 104 + i)]; // 21 closes, last 118
    const f = computeFeatures(bars(closes), '5m');
    expect(f[0]!.ret_1).toBeNull();
    expect(f[1]!.ret_1).toBeCloseTo(Math.log(101 / 100), 12); // 0.00995033
    expect(f[4]!.ret_5).toBeNull();
    expect(f[5]!.ret_5).toBeCloseTo(0.0392207132, 9); // ln(104 / 100)
    expect(f[19]!.ret_20).toBeNull();
    expect(f[20]!.ret_20).toBeCloseTo(0.1655144385, 9); // ln(118 / 100)
  });

  it('vol_20: sample standard deviation of 20 one-bar log returns', () => {
    // 21 closes alternating 100, 101: returns ±a with a = ln(1.01), mean 0, sample sd = a·√(20/19)
    const f = computeFeatures(bars(Array.from({ length: 21 }, (_, i) => (i % 2 ? 101 : 100))), '5m');
    expect(f[19]!.vol_20).toBeNull();
    expect(f[20]!.vol_20).toBeCloseTo(0.0102088, 6);
  });

  it('SMA(20) and SMA(50) deviations on closes 1..50', () => {
    const f = computeFeatures(bars(Array.from({ length: 50 }, (_, i) => i + 1)), '5m');
    expect(f[18]!.sma_20_dev).toBeNull();
    expect(f[19]!.sma_20_dev).toBeCloseTo(20 / 10.5 - 1, 12); // SMA(1..20) = 10.5
    expect(f[49]!.sma_20_dev).toBeCloseTo(50 / 40.5 - 1, 12); // SMA(31..50) = 40.5
    expect(f[48]!.sma_50_dev).toBeNull();
    expect(f[49]!.sma_50_dev).toBeCloseTo(50 / 25.5 - 1, 12); // SMA(1..50) = 25.5
  });

  it('EMA(12) seeded with the first price', () => {
    // eleven closes of 10, then 23: EMA = 23·2/13 + 10·11/13 = 156/13 = 12 → 23 / 12 − 1
    const f = computeFeatures(bars([...Array(11).fill(10), 23]), '5m');
    expect(f[10]!.ema_12_dev).toBeNull();
    expect(f[11]!.ema_12_dev).toBeCloseTo(23 / 12 - 1, 12);
  });

  it("Wilder RSI(14) on StockCharts' example series", () => {
    // ChartSchool's RSI table (its first values differ in the 2nd decimal: it rounds the averages to cents);
    // expected values from the Wilder recurrence at full precision, computed independently.
    const closes = [44.34, 44.09, 44.15, 43.61, 44.33, 44.83, 45.1, 45.42, 45.84, 46.08, 45.89, 46.03, 45.61, 46.28, 46.28, 46.0, 46.03, 46.41, 46.22, 45.64, 46.21, 46.25, 45.71, 46.45, 45.78, 45.35, 44.03, 44.18, 44.22, 44.57, 43.42, 42.66, 43.13];
    const f = computeFeatures(bars(closes), '5m');
    expect(f[13]!.rsi_14).toBeNull();
    expect(f[14]!.rsi_14).toBeCloseTo(70.464135, 5); // avg gain 0.2386, avg loss 0.0996
    expect(f[15]!.rsi_14).toBeCloseTo(66.25, 2);
    expect(f[31]!.rsi_14).toBeCloseTo(33.09, 2); // as published
    expect(f[32]!.rsi_14).toBeCloseTo(37.788772, 5); // published 37.79
  });

  it('Wilder RSI edge cases: only gains → 100, only losses → 0', () => {
    expect(last(computeFeatures(bars(Array.from({ length: 15 }, (_, i) => 100 + i)), '5m')).rsi_14).toBe(100);
    expect(last(computeFeatures(bars(Array.from({ length: 15 }, (_, i) => 100 - i)), '5m')).rsi_14).toBe(0);
  });

  it('MACD(12, 26, 9) / close against the EMA recurrence', () => {
    const closes = Array.from({ length: 40 }, (_, i) => 100 + 5 * Math.sin(i / 4) + i / 10);
    const f = computeFeatures(bars(closes), '5m');
    const ema = (n: number) => {
      const k = 2 / (n + 1);
      let e = closes[0]!;
      return closes.map((c, i) => (i === 0 ? e : (e = c * k + e * (1 - k))));
    };
    const e12 = ema(12), e26 = ema(26);
    const line = closes.map((_, i) => e12[i]! - e26[i]!);
    let sig = line[25]!; // the signal EMA starts at the first MACD value (bar 26)
    for (let i = 26; i <= 39; i++) sig = line[i]! * 0.2 + sig * 0.8;
    expect(f[24]!.macd).toBeNull();
    expect(f[25]!.macd).toBeCloseTo(line[25]! / closes[25]!, 12);
    expect(f[32]!.macd_signal).toBeNull(); // 8 MACD values: the signal EMA is not ready
    expect(f[33]!.macd_signal).not.toBeNull();
    expect(f[39]!.macd).toBeCloseTo(line[39]! / closes[39]!, 12);
    expect(f[39]!.macd_signal).toBeCloseTo(sig / closes[39]!, 12);
    expect(f[39]!.macd_hist).toBeCloseTo((line[39]! - sig) / closes[39]!, 12);
  });

  it('Bollinger(20, 2) %b and width with the population deviation', () => {
    // 99, 101 alternating: mean 100, population sd 1 → bands 98 … 102; last close 101 → %b 0.75, width 0.04
    const f = computeFeatures(bars(Array.from({ length: 20 }, (_, i) => (i % 2 ? 101 : 99))), '5m');
    expect(f[18]!.bb_pctb).toBeNull();
    expect(f[19]!.bb_pctb).toBeCloseTo(0.75, 12);
    expect(f[19]!.bb_width).toBeCloseTo(0.04, 12);
  });

  it('ATR(14), Wilder, relative to the close', () => {
    // 14 bars of 99–101 around 100: TR 2 each, ATR 2. Then a gap to 104–106 (close 105): TR = 106 − 100 = 6,
    // ATR = (13·2 + 6) / 14 = 32/14.
    const xs: Px[] = [...Array.from({ length: 14 }, () => ({ c: 100, h: 101, l: 99 })), { o: 105, c: 105, h: 106, l: 104 }];
    const f = computeFeatures(bars(xs), '5m');
    expect(f[12]!.atr_pct).toBeNull();
    expect(f[13]!.atr_pct).toBeCloseTo(0.02, 12);
    expect(f[14]!.atr_pct).toBeCloseTo(32 / 14 / 105, 12);
  });

  it('VWAP of the New York trading day: typical price × volume, reset at New York midnight', () => {
    const xs: Px[] = [
      { ts: '2025-06-04T13:30:00Z', h: 11, l: 9, c: 10, v: 100 }, // tp 10
      { ts: '2025-06-04T13:35:00Z', h: 12, l: 10, c: 11, v: 300 }, // tp 11 → VWAP (1000 + 3300) / 400 = 10.75
      { ts: '2025-06-05T02:00:00Z', h: 13, l: 11, c: 12, v: 0 }, // 22:00 ET on June 4: same session, no volume
      { ts: '2025-06-05T13:30:00Z', h: 21, l: 19, c: 20.5, v: 50 }, // June 5: new session, VWAP = tp = 20.1666…
    ];
    const f = computeFeatures(bars(xs), '5m');
    expect(f[0]!.vwap_dev).toBeCloseTo(0, 12);
    expect(f[1]!.vwap_dev).toBeCloseTo(11 / 10.75 - 1, 12);
    expect(f[2]!.vwap_dev).toBeCloseTo(12 / 10.75 - 1, 12);
    expect(f[3]!.vwap_dev).toBeCloseTo(20.5 / (60.5 / 3) - 1, 12);
  });

  it('VWAP is null while the session has no volume', () => {
    expect(computeFeatures(bars([{ c: 10, v: 0 }, { c: 11, v: 0 }]), '5m').map((v) => v.vwap_dev)).toEqual([null, null]);
  });

  it('volume z-score over 20 bars with the sample deviation', () => {
    // nineteen 100s and a 200: mean 105, sample sd √((19·25 + 95²) / 19) = √500 → z = 95 / √500
    const f = computeFeatures(bars(Array.from({ length: 20 }, (_, i) => ({ c: 50, v: i === 19 ? 200 : 100 }))), '5m');
    expect(f[18]!.volume_z).toBeNull();
    expect(f[19]!.volume_z).toBeCloseTo(4.2485291573, 9);
  });

  it('time of day from the bar start in New York, in summer and in winter', () => {
    const tod = (ts: string) => computeFeatures(bars([{ c: 1, ts }]), '5m')[0]!.tod;
    expect(tod('2025-06-04T13:30:00Z')).toBe(0); // 09:30 EDT
    expect(tod('2025-06-04T19:55:00Z')).toBeCloseTo(385 / 390, 12); // 15:55 EDT
    expect(tod('2025-12-03T14:30:00Z')).toBe(0); // 09:30 EST
    expect(tod('2025-12-03T17:45:00Z')).toBeCloseTo(0.5, 12); // 12:45 EST
    const daily = { ...bars([1])[0]!, timeframe: '1d' as const, ts: '2025-06-04T00:00:00Z' };
    expect(createFeatureEngine('1d').update(daily).tod).toBeNull();
  });
});

describe('feature engine: bad input and flat data', () => {
  it('flat prices give finite numbers or null, never NaN or Infinity; the definitions pick 0 or null', () => {
    for (const price of [50, 203.46, 0.07]) {
      for (const volume of [1000, 0]) {
        const f = computeFeatures(bars(Array.from({ length: 120 }, () => ({ c: price, v: volume }))), '5m');
        for (const v of f) for (const n of FEATURE_NAMES) expect(v[n] === null || Number.isFinite(v[n]), `${n} at ${price}/${volume}`).toBe(true);
        const l = last(f);
        expect(l).toMatchObject({ ret_1: 0, ret_20: 0, vol_20: 0, rsi_14: null, macd: 0, macd_signal: 0, macd_hist: 0, bb_pctb: null, bb_width: 0, atr_pct: 0, volume_z: 0, sma_20_dev: 0, sma_50_dev: 0, ema_12_dev: 0 });
        expect(l.vwap_dev).toBe(volume ? 0 : null);
        expect(missingFeatures(l)).toEqual(volume ? ['rsi_14', 'bb_pctb'] : ['rsi_14', 'bb_pctb', 'vwap_dev']);
      }
    }
  });

  it('every feature has a value after the warm-up on real bars, and stays finite', () => {
    const regular = realBars('AAPL').filter((b) => Number(b.volume) > 0).slice(0, 1000);
    const f = computeFeatures(regular, '5m');
    for (const v of f.slice(FEATURE_WARMUP_BARS)) expect(missingFeatures(v)).toEqual([]);
  });

  it('a bar that is not later than the last one is a RangeError naming both times', () => {
    const e = createFeatureEngine('5m');
    const [a, b] = bars([10, 11]);
    e.update(b!);
    expect(() => e.update(a!)).toThrow(RangeError);
    expect(() => e.update(a!)).toThrow(/bar 2025-06-04T13:30:00Z: not after the last bar 2025-06-04T13:35:00Z/);
    expect(() => e.update(b!)).toThrow(/not after the last bar/);
    expect(e.count).toBe(1);
    expect(e.lastTs).toBe('2025-06-04T13:35:00Z');
  });

  it('bad bars are RangeErrors that say what is wrong, and change nothing', () => {
    const e = createFeatureEngine('5m');
    const [a, b] = bars([10, 11]);
    expect(() => e.update({ ...a!, close: '0' })).toThrow(/close '0' is not a positive finite price/);
    expect(() => e.update({ ...a!, volume: 'NaN' })).toThrow(/volume 'NaN'/);
    expect(() => e.update({ ...a!, high: '9', low: '10' })).toThrow(/high 9 < low 10/);
    expect(() => e.update({ ...a!, timeframe: '1m' })).toThrow(/computes 5m features/);
    expect(e.count).toBe(0);
    e.update(a!);
    expect(() => e.update({ ...b!, symbol: 'OTHER' })).toThrow(/one engine per symbol/);
  });
});

describe('feature engine: determinism and incremental use', () => {
  const aapl = realBars('AAPL');

  it('the same bars give the same features twice, and bar-by-bar equals batch', () => {
    const a = computeFeatures(aapl, '5m');
    const b = computeFeatures(aapl, '5m');
    expect(b).toEqual(a);
    const e = createFeatureEngine('5m');
    aapl.forEach((bar, i) => expect(e.update(bar)).toEqual(a[i]));
    expect(e.count).toBe(aapl.length);
  });

  it('RSI agrees with trading-signals’ own RSI class wherever both are defined', () => {
    const ours = computeFeatures(aapl, '5m');
    const lib = new RSI(14);
    let compared = 0;
    aapl.forEach((bar, i) => {
      const r = lib.add(Number(bar.close));
      if (r !== null && ours[i]!.rsi_14 !== null) {
        expect(ours[i]!.rsi_14).toBeCloseTo(r, 9);
        compared++;
      }
    });
    expect(compared).toBeGreaterThan(aapl.length / 2);
  });

  it('Bollinger agrees with trading-signals’ BollingerBands class (computed here from one window, for speed)', () => {
    const ours = computeFeatures(aapl, '5m');
    const lib = new BollingerBands(20, 2);
    const off: string[] = [];
    let compared = 0;
    aapl.forEach((bar, i) => {
      const close = Number(bar.close), b = lib.add(close);
      if (!b || b.upper - b.lower <= 1e-9 * b.middle) return;
      compared++;
      const pctb = (close - b.lower) / (b.upper - b.lower), width = (b.upper - b.lower) / b.middle;
      if (Math.abs(ours[i]!.bb_pctb! - pctb) > 1e-9 || Math.abs(ours[i]!.bb_width! - width) > 1e-12) off.push(`${bar.ts}: ${ours[i]!.bb_pctb}/${pctb}`);
    });
    expect(off).toEqual([]);
    expect(compared).toBeGreaterThan(aapl.length / 2);
  });

  it('time of day and the VWAP session follow toEt on every real bar', () => {
    const f = computeFeatures(aapl, '5m');
    const et = aapl.map((b) => toEt(new Date(b.ts)));
    expect(aapl.filter((_, i) => Math.abs(f[i]!.tod! - (et[i]!.minutes - 570) / 390) > 1e-12)).toEqual([]);
    // the first bar of each New York day starts a new VWAP: it equals that bar's typical price (when it traded)
    const firsts = aapl.map((_, i) => i).filter((i) => i > 0 && et[i]!.date !== et[i - 1]!.date);
    expect(firsts.length).toBe(59);
    for (const i of firsts) {
      const b = aapl[i]!;
      const tp = (Number(b.high) + Number(b.low) + Number(b.close)) / 3;
      if (Number(b.volume) > 0) expect(f[i]!.vwap_dev).toBeCloseTo(Number(b.close) / tp - 1, 12);
      else expect(f[i]!.vwap_dev).toBeNull(); // this source's 04:00 ET pre-market bars carry no volume
    }
  });

  it('an engine rebuilt from 3 × warm-up bars matches the full run: window features exactly, EMA-based ones closely', () => {
    const full = computeFeatures(aapl, '5m');
    const at = 5000;
    const rebuilt = computeFeatures(aapl.slice(at - 3 * FEATURE_WARMUP_BARS + 1, at + 1), '5m');
    const a = full[at]!, b = last(rebuilt);
    for (const n of ['ret_1', 'ret_5', 'ret_20', 'vol_20', 'bb_pctb', 'bb_width', 'vwap_dev', 'volume_z', 'sma_20_dev', 'sma_50_dev', 'tod'] as const) expect(b[n], n).toBe(a[n]);
    for (const n of ['rsi_14', 'macd', 'macd_signal', 'macd_hist', 'atr_pct', 'ema_12_dev'] as const) {
      expect(b[n], n).not.toBeNull();
      expect(Math.abs(b[n]! - a[n]!), n).toBeLessThan(1e-5 * Math.max(1e-3, Math.abs(a[n]!)));
    }
  });
});
