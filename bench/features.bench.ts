// Benchmark (features pipeline): 50 symbols × 1 year of regular-session 5-minute bars (synthetic, seeded),
// in memory, measured in one run against a reference written by hand with plain for-loops over the same
// arrays and giving the same outputs (checked first):
//   1. batch: computeFeatures over every symbol vs the plain loop → ratio of times (goal ≤ 2×: the price of
//      the maintained indicator library and of the streaming engine must stay small);
//   2. incremental: engine.update per new bar after warm-up (µs/bar) vs the plain loop's amortised cost per
//      bar (goal ≤ 2×), and vs what a non-incremental worker would pay per new bar: the plain loop over the
//      last FEATURE_REBUILD_BARS bars, or over the whole history.
//   pnpm exec tsx bench/features.bench.ts [symbols=50] [year=2025]
import type { TBar } from '@ai-trader/contracts';
import { computeFeatures, createFeatureEngine, etOffsetMinutes, FEATURE_NAMES, FEATURE_WARMUP_BARS, type FeatureVector } from '@ai-trader/domain';
// The feed module alone: the bench needs no runtime (Redis, Postgres) around it.
import { syntheticBars } from '../packages/adapters/src/feeds/synthetic-feed.ts';
import { report } from './report.ts';

const SYMBOLS = Number(process.argv[2] ?? 50);
const YEAR = process.argv[3] ?? '2025';
const REBUILD = FEATURE_WARMUP_BARS * 3; // as the worker's rebuild (core use-case features.ts)
const TAIL = 2000; // new bars per symbol timed incrementally

// ---------------------------------------------------------------------------------------------------------
// The reference: the same definitions (feature-engine.ts), straight loops over number arrays, no library.
const NOISE = 1e-12, FLAT_REL = 1e-10;
const fin = (x: number): number | null => (!Number.isFinite(x) ? null : Math.abs(x) < NOISE ? 0 : x);
const devOf = (a: number, b: number): number | null => (b > 0 ? fin(a / b - 1) : null);

function referenceFeatures(bars: readonly TBar[]): FeatureVector[] {
  const n = bars.length;
  const h = new Float64Array(n), l = new Float64Array(n), c = new Float64Array(n), v = new Float64Array(n), r = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    h[i] = Number(bars[i]!.high);
    l[i] = Number(bars[i]!.low);
    c[i] = Number(bars[i]!.close);
    v[i] = Number(bars[i]!.volume);
    if (i > 0) r[i] = Math.log(c[i]! / c[i - 1]!); // one-bar log returns
  }
  const out: FeatureVector[] = new Array(n);
  let e12 = 0, e26 = 0, sig = 0, avgGain = 0, avgLoss = 0, atr = 0, sumGain = 0, sumLoss = 0, sumTr = 0;
  let day = NaN, pv = 0, vol = 0;
  for (let i = 0; i < n; i++) {
    const close = c[i]!;
    // EMAs seeded with the first value
    e12 = i === 0 ? close : close * (2 / 13) + e12 * (1 - 2 / 13);
    e26 = i === 0 ? close : close * (2 / 27) + e26 * (1 - 2 / 27);
    let macd: number | null = null, macdSignal: number | null = null, macdHist: number | null = null;
    if (i >= 25) {
      const line = e12 - e26;
      sig = i === 25 ? line : line * 0.2 + sig * 0.8;
      macd = fin(line / close);
      if (i >= 33) {
        macdSignal = fin(sig / close);
        macdHist = fin((line - sig) / close);
      }
    }
    // Wilder RSI(14): averages seeded with the mean of the first 14 changes
    let rsi: number | null = null;
    if (i >= 1) {
      const ch = close - c[i - 1]!, g = ch > 0 ? ch : 0, lo = ch < 0 ? -ch : 0;
      if (i <= 14) {
        sumGain += g;
        sumLoss += lo;
        if (i === 14) {
          avgGain = sumGain / 14;
          avgLoss = sumLoss / 14;
        }
      } else {
        avgGain += (g - avgGain) / 14;
        avgLoss += (lo - avgLoss) / 14;
      }
      if (i >= 14) rsi = avgLoss === 0 ? (avgGain === 0 ? null : 100) : fin(100 - 100 / (1 + avgGain / avgLoss));
    }
    // ATR(14), Wilder; the first true range is high − low
    const tr = i === 0 ? h[i]! - l[i]! : Math.max(h[i]! - l[i]!, Math.abs(h[i]! - c[i - 1]!), Math.abs(l[i]! - c[i - 1]!));
    if (i < 14) {
      sumTr += tr;
      if (i === 13) atr = sumTr / 14;
    } else atr += (tr - atr) / 14;
    // windows
    let s20 = 0, s50 = 0;
    if (i >= 19) for (let k = i - 19; k <= i; k++) s20 += c[k]!;
    if (i >= 49) for (let k = i - 49; k <= i; k++) s50 += c[k]!;
    let pctb: number | null = null, width: number | null = null;
    if (i >= 19) {
      const mean = s20 / 20;
      let q = 0;
      for (let k = i - 19; k <= i; k++) q += (c[k]! - mean) ** 2;
      const sd = Math.sqrt(q / 20);
      if (sd <= FLAT_REL * mean) width = 0;
      else {
        width = fin((4 * sd) / mean);
        pctb = fin((close - (mean - 2 * sd)) / (4 * sd));
      }
    }
    let vol20: number | null = null;
    if (i >= 20) {
      let s = 0;
      for (let k = i - 19; k <= i; k++) s += r[k]!;
      const mean = s / 20;
      let q = 0;
      for (let k = i - 19; k <= i; k++) q += (r[k]! - mean) ** 2;
      vol20 = fin(Math.sqrt(q / 19));
    }
    let vz: number | null = null;
    if (i >= 19) {
      let s = 0;
      for (let k = i - 19; k <= i; k++) s += v[k]!;
      const mean = s / 20;
      let q = 0;
      for (let k = i - 19; k <= i; k++) q += (v[k]! - mean) ** 2;
      const sd = Math.sqrt(q / 19);
      vz = sd <= FLAT_REL * mean ? 0 : fin((v[i]! - mean) / sd);
    }
    // session VWAP and time of day, New York: the engine's arithmetic (toEt's rule without its Date and string,
    // ~1 µs a bar), so that the comparison is about the indicators
    const ms = Date.parse(bars[i]!.ts), local = ms + etOffsetMinutes(ms) * 60_000, d = Math.floor(local / 86_400_000);
    if (d !== day) {
      day = d;
      pv = 0;
      vol = 0;
    }
    pv += ((h[i]! + l[i]! + close) / 3) * v[i]!;
    vol += v[i]!;
    out[i] = {
      ret_1: i >= 1 ? fin(r[i]!) : null,
      ret_5: i >= 5 ? fin(Math.log(close / c[i - 5]!)) : null,
      ret_20: i >= 20 ? fin(Math.log(close / c[i - 20]!)) : null,
      vol_20: vol20,
      rsi_14: rsi,
      macd, macd_signal: macdSignal, macd_hist: macdHist,
      bb_pctb: pctb, bb_width: width,
      atr_pct: i >= 13 ? fin(atr / close) : null,
      vwap_dev: vol > 0 ? devOf(close, pv / vol) : null,
      volume_z: vz,
      sma_20_dev: i >= 19 ? devOf(close, s20 / 20) : null,
      sma_50_dev: i >= 49 ? devOf(close, s50 / 50) : null,
      ema_12_dev: i >= 11 ? devOf(close, e12) : null,
      tod: fin((Math.floor((local - d * 86_400_000) / 60_000) - 570) / 390),
    };
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
const symbols = Array.from({ length: SYMBOLS }, (_, i) => `S${String(i).padStart(3, '0')}`);
const t = performance.now();
const groups = syntheticBars({ seed: 'features-bench', symbols, timeframe: '5m', from: `${YEAR}-01-01`, to: `${YEAR}-12-31` });
const series: TBar[][] = symbols.map(() => []);
for (const g of groups) g.forEach((b, k) => series[k]!.push(b));
const total = series.reduce((s, x) => s + x.length, 0);
console.log(`bars: ${total} (${SYMBOLS} symbols × ${series[0]!.length} regular-session 5m bars of ${YEAR}), generated in ${((performance.now() - t) / 1000).toFixed(1)} s`);

// Same outputs first: a benchmark of two things that compute different numbers would mean nothing.
let maxRel = 0, nulls = 0;
for (const s of series.slice(0, 5)) {
  const a = computeFeatures(s, '5m'), b = referenceFeatures(s);
  for (let i = 0; i < s.length; i++)
    for (const f of FEATURE_NAMES) {
      const x = a[i]![f], y = b[i]![f];
      if ((x === null) !== (y === null)) throw new Error(`${s[i]!.symbol} ${s[i]!.ts} ${f}: ours ${x}, reference ${y}`);
      if (x === null || y === null) nulls++;
      else maxRel = Math.max(maxRel, Math.abs(x - y) / Math.max(1e-6, Math.abs(y)));
    }
}
if (maxRel > 1e-9) throw new Error(`ours and the reference differ by ${maxRel} relative`);
console.log(`same outputs: max relative difference ${maxRel.toExponential(1)} over 5 symbols (nulls agree: ${nulls})`);

// Wall time and CPU time of the process (this machine may be shared: CPU time is the steadier of the two;
// it includes the GC's helper threads, which both sides keep busy alike).
interface Took { wall: number; cpu: number } // ms
const time = (f: () => void): Took => {
  const c = process.cpuUsage(), s = performance.now();
  f();
  const u = process.cpuUsage(c);
  return { wall: performance.now() - s, cpu: (u.user + u.system) / 1000 };
};
let sink = 0; // keeps results alive so nothing is optimised away
const ours = () => { for (const s of series) sink += computeFeatures(s, '5m').length; };
const reference = () => { for (const s of series) sink += referenceFeatures(s).length; };

const runs: Record<'ours' | 'ref', Took[]> = { ours: [], ref: [] };
for (let r = 0; r < 4; r++) {
  // alternate, so a noisy neighbour on the machine hits both alike; the first round warms the JIT
  const a = time(ours), b = time(reference);
  if (r > 0) {
    runs.ours.push(a);
    runs.ref.push(b);
  }
}
const best = (xs: Took[], k: keyof Took) => Math.min(...xs.map((x) => x[k]));

// Incremental: warm an engine per symbol on all but the last TAIL bars, then time the TAIL updates.
const warmed = series.map((s) => {
  const e = createFeatureEngine('5m');
  for (let i = 0; i < s.length - TAIL; i++) e.update(s[i]!);
  return e;
});
const inc = time(() => series.forEach((s, k) => { for (let i = s.length - TAIL; i < s.length; i++) sink += warmed[k]!.update(s[i]!).tod ?? 0; }));
const incUs = { wall: (inc.wall * 1000) / (SYMBOLS * TAIL), cpu: (inc.cpu * 1000) / (SYMBOLS * TAIL) };

// What a non-incremental worker pays per new bar: the plain loop over the rebuild window, or over all history.
const sample = 200;
const win = time(() => { for (const s of series) for (let i = s.length - sample; i < s.length; i++) sink += referenceFeatures(s.slice(i + 1 - REBUILD, i + 1)).length; });
const windowUs = (win.cpu * 1000) / (SYMBOLS * sample);
const hist = time(() => { for (let i = 0; i < 20; i++) sink += referenceFeatures(series[i % SYMBOLS]!).length; });
const historyUs = (hist.cpu * 1000) / 20;

// Memory of one warmed engine (the worker keeps up to 500).
const heapPerEngine = (() => {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return null;
  gc();
  const before = process.memoryUsage().heapUsed;
  const es = Array.from({ length: 2000 }, (_, k) => {
    const e = createFeatureEngine('5m');
    for (const b of series[k % SYMBOLS]!.slice(0, REBUILD)) e.update(b);
    return e;
  });
  gc();
  const bytes = (process.memoryUsage().heapUsed - before) / es.length;
  sink += es.length;
  return bytes;
})();

const perBar = (ms: number) => (ms * 1000) / total;
const row = (label: string, a: string, b: string, ratio = '', note = '') => console.log(`${label.padEnd(46)} ${a.padStart(11)} ${b.padStart(11)} ${ratio.padStart(8)}${note ? `  ${note}` : ''}`);
console.log('');
row('measure (best of 3 unless noted)', 'ours', 'plain loop', 'ratio');
for (const k of ['wall', 'cpu'] as const) {
  const o = best(runs.ours, k), r = best(runs.ref, k);
  row(`batch, all symbols, ${k} time`, `${(o / 1000).toFixed(2)} s`, `${(r / 1000).toFixed(2)} s`, `${(o / r).toFixed(2)}×`, '(goal ≤ 2×)');
  row(`  per bar, ${k}`, `${perBar(o).toFixed(2)} µs`, `${perBar(r).toFixed(2)} µs`);
}
const refCpuBar = perBar(best(runs.ref, 'cpu'));
report({ bench: 'features', metric: 'batch features, cpu', value: best(runs.ours, 'cpu') / 1000, unit: 's', reference: { label: 'plain for-loops, same outputs', value: best(runs.ref, 'cpu') / 1000 }, ratio: best(runs.ours, 'cpu') / best(runs.ref, 'cpu'), goal: '≤ 2×', met: best(runs.ours, 'cpu') / best(runs.ref, 'cpu') <= 2 });
row(`incremental update per new bar, cpu (1 run)`, `${incUs.cpu.toFixed(2)} µs`, `${refCpuBar.toFixed(2)} µs`, `${(incUs.cpu / refCpuBar).toFixed(2)}×`, '(goal ≤ 2×; reference: its amortised batch cost)');
report({ bench: 'features', metric: 'incremental update per new bar, cpu', value: incUs.cpu, unit: 'µs', reference: { label: 'plain loop, amortised per bar', value: refCpuBar }, ratio: incUs.cpu / refCpuBar, goal: '≤ 2×', met: incUs.cpu / refCpuBar <= 2 });
row(`  same, wall`, `${incUs.wall.toFixed(2)} µs`, '', '', `(${SYMBOLS} symbols × ${TAIL} new bars, engines warmed on the rest of the year)`);
row(`  vs plain loop over the last ${REBUILD} bars, cpu`, '', `${windowUs.toFixed(1)} µs`, `${(incUs.cpu / windowUs).toFixed(3)}×`, '(what a worker without engines would pay)');
row(`  vs plain loop over the whole year, cpu`, '', `${(historyUs / 1000).toFixed(1)} ms`, `${(incUs.cpu / historyUs).toExponential(1)}×`);
if (heapPerEngine !== null) console.log(`heap per warmed engine: ~${(heapPerEngine / 1024).toFixed(1)} KiB (500 cached engines ≈ ${((heapPerEngine * 500) / 2 ** 20).toFixed(1)} MiB)`);
else console.log('heap per engine: run with node --expose-gc to measure');
if (sink < 0) console.log(sink);
