// The wire form of a chart's bars: columns of integers instead of one object of decimal strings per bar. 50,000 bars
// as objects were 5.6 MB of JSON and 100-300 ms in the browser before the chart could start (bench/README.md, issue 8).
// The codec sits beside the schema (no imports but zod's) because both ends use it: the server encodes, the console
// decodes. Prices stay exact on the wire (scaled integers); the chart itself draws them as floats.
import { z } from 'zod';

const safeInts = z.array(z.number().int().refine(Number.isSafeInteger, 'must be a safe integer'));

/**
 * Bars in time order as columns. Prices are integers in units of 10^-scale, where scale is the fewest decimals that
 * write every price of these bars exactly (0-6: prices are numeric(20,6)); volumes are whole shares.
 */
export const ZChartBars = z
  .object({
    scale: z.number().int().min(0).max(6),
    /** Start of each bar, epoch seconds (UTC): the first bar's, then each bar's distance from the one before. */
    t: safeInts,
    o: safeInts,
    h: safeInts,
    l: safeInts,
    c: safeInts,
    v: safeInts,
  })
  .refine((b) => [b.o, b.h, b.l, b.c, b.v].every((col) => col.length === b.t.length), 'every column must have one value per bar');
export type TChartBars = z.infer<typeof ZChartBars>;

/** A bar as Postgres gives it: time and decimal strings (numeric::text, trailing zeros and all). */
export interface ChartBarIn { ts: Date | string; open: string; high: string; low: string; close: string; volume: string }

/** A bar decoded exactly: ISO time, decimal strings without trailing zeros (decimal.js's toFixed() form). */
export interface ChartBarOut { ts: string; open: string; high: string; low: string; close: string; volume: string }

const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;

/** Decimals a price needs once trailing zeros are dropped. */
function decimalsOf(v: string): number {
  const m = DECIMAL.exec(v);
  if (!m) throw new RangeError(`'${v}' is not a decimal`);
  const frac = (m[3] ?? '').replace(/0+$/, '');
  return frac.length;
}

/** The decimal string as an integer count of 10^-scale (exact: digits are moved, never multiplied in floating point). */
function scaled(v: string, scale: number, what: string): number {
  const m = DECIMAL.exec(v)!;
  const frac = (m[3] ?? '').padEnd(scale, '0');
  if (frac.length > scale && /[^0]/.test(frac.slice(scale))) throw new RangeError(`${what} ${v} has more than ${scale} decimals`);
  const n = Number(`${m[1]}${m[2]}${frac.slice(0, scale)}`);
  if (!Number.isSafeInteger(n)) throw new RangeError(`${what} ${v} is too large to chart exactly (${scale} decimals)`);
  return n;
}

export function encodeChartBars(bars: readonly ChartBarIn[]): TChartBars {
  let scale = 0;
  for (const b of bars) scale = Math.max(scale, decimalsOf(b.open), decimalsOf(b.high), decimalsOf(b.low), decimalsOf(b.close));
  if (scale > 6) throw new RangeError(`bar prices have ${scale} decimals; at most 6 are stored`);
  const n = bars.length;
  const out: TChartBars = { scale, t: new Array<number>(n), o: new Array<number>(n), h: new Array<number>(n), l: new Array<number>(n), c: new Array<number>(n), v: new Array<number>(n) };
  let prev = 0;
  for (let i = 0; i < n; i++) {
    const b = bars[i]!;
    const ms = typeof b.ts === 'string' ? Date.parse(b.ts) : b.ts.getTime();
    if (!Number.isFinite(ms) || ms % 1000 !== 0) throw new RangeError(`bar time ${String(b.ts)} is not a whole second`);
    const sec = ms / 1000;
    out.t[i] = i === 0 ? sec : sec - prev;
    prev = sec;
    const at = `bar ${new Date(ms).toISOString()}:`;
    out.o[i] = scaled(b.open, scale, `${at} open`);
    out.h[i] = scaled(b.high, scale, `${at} high`);
    out.l[i] = scaled(b.low, scale, `${at} low`);
    out.c[i] = scaled(b.close, scale, `${at} close`);
    if (!/^\d+$/.test(b.volume) || !Number.isSafeInteger(Number(b.volume))) throw new RangeError(`${at} volume ${b.volume} is not a whole number below 2^53`);
    out.v[i] = Number(b.volume);
  }
  return out;
}

/** Bar start times, epoch seconds (the running sum of `t`). */
export function chartBarTimes(b: TChartBars): number[] {
  const out = new Array<number>(b.t.length);
  let s = 0;
  for (let i = 0; i < b.t.length; i++) out[i] = s += b.t[i]!;
  return out;
}

/** An integer count of 10^-scale as a decimal string, trailing zeros dropped. */
export function scaledToDecimal(n: number, scale: number): string {
  const neg = n < 0;
  let digits = String(Math.abs(n));
  if (scale > 0) {
    digits = digits.padStart(scale + 1, '0');
    const int = digits.slice(0, -scale), frac = digits.slice(-scale).replace(/0+$/, '');
    digits = frac ? `${int}.${frac}` : int;
  }
  return neg && digits !== '0' ? `-${digits}` : digits;
}

/** Every bar back as exact strings (the inverse of encodeChartBars, for tests, exports and tools). */
export function decodeChartBars(b: TChartBars): ChartBarOut[] {
  const times = chartBarTimes(b);
  const p = (n: number) => scaledToDecimal(n, b.scale);
  return times.map((sec, i) => ({
    ts: new Date(sec * 1000).toISOString(), open: p(b.o[i]!), high: p(b.h[i]!), low: p(b.l[i]!), close: p(b.c[i]!), volume: String(b.v[i]!),
  }));
}

/** A price as the chart draws it: the double nearest the exact decimal, the same as Number() of its string (one
 *  correctly rounded division of two exactly represented numbers). */
export const chartPrice = (n: number, scale: number): number => (scale === 0 ? n : n / 10 ** scale);
