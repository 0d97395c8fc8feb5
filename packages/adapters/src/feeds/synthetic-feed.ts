// Synthetic bars for demos and tests when real data is not wanted: a seeded, reproducible random walk over
// the NYSE regular session, grouped per timestamp like loadReplay so runReplay can play it unchanged.
//
// The model, per symbol: a volatility (15–50 % a year), a start price and a typical daily volume drawn from
// the symbol's own random stream; each bar moves price × (1 + σ_bar·z), σ_bar larger near the open and close;
// wicks of up to a few σ beyond the body; a U-shaped volume profile over the session (early closes are a
// shorter U); each new day opens with a small overnight gap, and on ~1 day in 12 a news-sized one (σ 2 %).
// Reproducibility: only +, −, ×, ÷ and √ (all exactly rounded by IEEE 754) touch the numbers, never exp,
// log or cos, whose last bit may differ between engines; so one seed gives byte-identical bars anywhere.
import { ZDecimalString, ZSymbol, type TBar } from '@ai-trader/contracts';
import { regularSession, toEt } from '@ai-trader/domain';

export interface SyntheticOptions {
  /** Same seed, same bars. A number and its decimal string (7 and '7') are the same seed. */
  seed: number | string;
  symbols: readonly string[]; // readonly: a caller's list is only read
  timeframe: '1m' | '5m';
  from: string; // YYYY-MM-DD New York date, inclusive
  to: string; // inclusive
  /** Decimal strings; a symbol without one starts at a price drawn from its stream (20–500). */
  startPrices?: Record<string, string>;
}

// ---- PRNG: sfc32 (Chris Doty-Humphrey's Small Fast Counting generator from PractRand, 128-bit state),
// seeded by xmur3 (bryc's string hash). Each symbol gets its own stream from `<seed>:<symbol>`, so adding or
// reordering symbols does not change another symbol's bars.
function xmur3(text: string): () => number {
  let h = 1779033703 ^ text.length;
  for (let i = 0; i < text.length; i++) {
    h = Math.imul(h ^ text.charCodeAt(i), 3432918353);
    h = (h << 13) | (h >>> 19);
  }
  return () => {
    h = Math.imul(h ^ (h >>> 16), 2246822507);
    h = Math.imul(h ^ (h >>> 13), 3266489909);
    return (h ^= h >>> 16) >>> 0;
  };
}

/** Uniform in [0, 1) from sfc32. */
function seededRandom(seed: string): () => number {
  const s = xmur3(seed);
  let a = s(), b = s(), c = s(), d = s();
  const next = (): number => {
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 15; i++) next(); // the first outputs still echo the seed words
  return next;
}

/** Standard normal, approximately: Irwin–Hall (sum of 12 uniforms − 6). Mean 0, variance 1, and bounded
 *  at ±6, which is welcome: a synthetic market should not print 9σ wicks a bad-print check would flag. */
const normal = (rnd: () => number): number => {
  let s = -6;
  for (let i = 0; i < 12; i++) s += rnd();
  return s;
};

const MINUTE = 60_000;
const DAY = 86_400_000;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const TRADING_MINUTES_PER_YEAR = 252 * 390;
const NEWS_GAP_CHANCE = 1 / 12;
const NEWS_GAP_SIGMA = 0.02;
const QUIET_GAP_SIGMA = 0.002;

interface Walk {
  symbol: string;
  rnd: () => number;
  sigmaMinute: number; // per-minute σ of returns
  dailyVolume: number;
  price: number; // last close, unrounded: rounding each bar would bias a cheap stock's walk
}

/** Integer cents of a price, at least 1 cent. */
const cents = (p: number): number => Math.max(1, Math.round(p * 100));
const money = (c: number): string => `${Math.floor(c / 100)}.${String(c % 100).padStart(2, '0')}`;

/** The instant of `minutes` after New York midnight on `date` (EDT or EST, whichever reads back right;
 *  session times are far from the 02:00 switch, so one always does). */
function etInstant(date: string, minutes: number): number {
  const midnight = Date.parse(`${date}T00:00:00Z`);
  for (const offset of [240, 300]) {
    const t = midnight + (minutes + offset) * MINUTE;
    const et = toEt(new Date(t));
    if (et.date === date && et.minutes === minutes) return t;
  }
  throw new RangeError(`cannot place minute ${minutes} of ${date} in New York time`);
}

function check(o: SyntheticOptions): void {
  if (typeof o.seed === 'number' ? !Number.isFinite(o.seed) : typeof o.seed !== 'string' || o.seed === '')
    throw new RangeError(`seed must be a finite number or a non-empty string, got ${String(o.seed)}`);
  if (o.timeframe !== '1m' && o.timeframe !== '5m') throw new RangeError(`timeframe must be '1m' or '5m', got '${String(o.timeframe)}'`);
  if (!DATE.test(o.from) || !DATE.test(o.to) || Number.isNaN(Date.parse(o.from)) || Number.isNaN(Date.parse(o.to)))
    throw new RangeError(`from and to must be YYYY-MM-DD dates, got ${o.from} .. ${o.to}`);
  if (o.from > o.to) throw new RangeError(`from ${o.from} is after to ${o.to}`);
  if (o.symbols.length === 0) throw new RangeError('symbols is empty: name at least one');
  const seen = new Set<string>();
  for (const s of o.symbols) {
    if (!ZSymbol.safeParse(s).success) throw new RangeError(`symbol '${s}' must be an upper-case ticker like SPY`);
    if (seen.has(s)) throw new RangeError(`symbol ${s} is listed twice`);
    seen.add(s);
  }
  for (const [s, p] of Object.entries(o.startPrices ?? {})) {
    if (!seen.has(s)) throw new RangeError(`startPrices names ${s}, which is not in symbols`);
    if (!ZDecimalString.safeParse(p).success || !(Number(p) >= 0.01)) throw new RangeError(`startPrices.${s} must be a decimal string ≥ 0.01, got '${p}'`);
  }
}

/** All bars, grouped per timestamp (each group: one bar per symbol, in `symbols` order), ascending. Throws
 *  RangeError for bad options and for dates outside the NYSE calendar tables (2024–2027). */
export function syntheticBars(o: SyntheticOptions): TBar[][] {
  check(o);
  const seed = String(o.seed);
  const source = `synthetic:${seed}`;
  const step = o.timeframe === '1m' ? 1 : 5;
  const walks: Walk[] = o.symbols.map((symbol) => {
    const rnd = seededRandom(`${seed}:${symbol}`);
    const annualVol = 0.15 + 0.35 * rnd();
    const drawnStart = 20 + 480 * rnd();
    const dailyVolume = 2e6 + 6e7 * rnd();
    const start = o.startPrices?.[symbol];
    return {
      symbol, rnd, dailyVolume,
      sigmaMinute: annualVol / Math.sqrt(TRADING_MINUTES_PER_YEAR),
      price: start === undefined ? cents(drawnStart) / 100 : Number(start),
    };
  });

  const groups: TBar[][] = [];
  let firstDay = true;
  for (let d = Date.parse(`${o.from}T00:00:00Z`); d <= Date.parse(`${o.to}T00:00:00Z`); d += DAY) {
    const date = new Date(d).toISOString().slice(0, 10);
    const session = regularSession(date);
    if (!session) continue;
    const open = etInstant(date, session.open);
    const n = (session.close - session.open) / step;
    // U-shaped profile over the session's own length (an early close ends in its own closing surge):
    // weight 0.6 mid-day to 3 at the ends, and the opening and closing bars heavier still (the auctions).
    const shape = Array.from({ length: n }, (_, i) => {
      const x = (2 * (i + 0.5)) / n - 1; // −1 … 1 over the session
      return (0.6 + 2.4 * x * x) * (i === 0 ? 2 : i === n - 1 ? 2.5 : 1);
    });
    const shapeSum = shape.reduce((a, b) => a + b, 0);
    const dayVolume = walks.map((w) => w.dailyVolume * (0.6 + 0.8 * w.rnd()));

    for (let i = 0; i < n; i++) {
      const ts = new Date(open + i * step * MINUTE).toISOString().replace('.000Z', 'Z');
      const x = (2 * (i + 0.5)) / n - 1;
      const volMultiplier = 0.7 + 0.8 * x * x; // returns, like volume, are livelier at the open and close
      groups.push(walks.map((w, k) => {
        let o0 = w.price;
        if (i === 0 && !firstDay) {
          const news = w.rnd() < NEWS_GAP_CHANCE;
          o0 = w.price * (1 + normal(w.rnd) * (news ? NEWS_GAP_SIGMA : QUIET_GAP_SIGMA));
        }
        const sigma = w.sigmaMinute * Math.sqrt(step) * volMultiplier;
        const c0 = o0 * (1 + sigma * normal(w.rnd));
        const h0 = Math.max(o0, c0) * (1 + 0.5 * sigma * Math.abs(normal(w.rnd)));
        const l0 = Math.min(o0, c0) * (1 - 0.5 * sigma * Math.abs(normal(w.rnd)));
        w.price = Math.max(c0, 0.01);
        // Consistency is made in integer cents, after rounding, so no rounding can break it.
        const oc = cents(o0), cc = cents(c0);
        const hc = Math.max(cents(h0), oc, cc), lc = Math.min(cents(l0), oc, cc);
        const volume = Math.max(1, Math.round((dayVolume[k]! * shape[i]! / shapeSum) * (0.7 + 0.6 * w.rnd())));
        return { symbol: w.symbol, timeframe: o.timeframe, ts, open: money(oc), high: money(hc), low: money(lc), close: money(cc), volume: String(volume), source };
      }));
    }
    firstDay = false;
  }
  return groups;
}
