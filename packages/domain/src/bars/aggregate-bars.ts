// Derives longer bars from shorter ones of one symbol (1m → 5m/1h/1d, 5m → 1h/1d) by the usual OHLCV rules,
// on the grid vendors use, and names every bucket that was built from fewer source bars than it should hold.
//
// Where the buckets lie, and why:
//   5m  whole 5 minutes of UTC (= of New York time: US offsets are whole hours), like every vendor.
//   1h  whole CLOCK hours (09:00, 10:00 … 15:00 ET), not hours from the 09:30 open. Polygon/Massive (the
//       vendor this project fetches from) and Alpaca (the broker) both stamp hour aggregates at the top
//       of the hour; Massive's knowledge base says so explicitly ("hour bars begin at the top of the hour
//       (9:00:00)"). Yahoo and most chart tools use 09:30, 10:30 … instead, but Yahoo is only where our
//       5m fixtures came from, and the validator of this project (bar-session.ts gridProblem) already
//       requires 1h bars on whole hours. With session 'regular' the 09:00 bar holds 09:30–10:00 only
//       (expected 6 five-minute bars), whereas a vendor's 09:00 bar also holds the 09:00–09:29 pre-market
//       trades: its open, high, low and volume can differ; from 10:00 on the bars cover the same minutes.
//       With session 'extended' (04:00–20:00 ET) every hour is whole and matches the vendor's hour for hour.
//   1d  the regular session (early closes included) of one NYSE trading date, stamped YYYY-MM-DDT00:00:00Z,
//       like the daily files in shared/data and every EOD vendor. A daily bar is the regular session by
//       definition, so asking for it with session 'extended' is refused rather than silently narrowed.
import type { TBar, TTimeframe } from '@ai-trader/contracts';
import { dec } from '../money.ts';
import { regularSession } from '../calendar/nyse.ts';
import { TIMEFRAME_MINUTES } from './bar-problem.ts';
import { isoZ, sessionProblem } from './bar-session.ts';

export type AggregateTarget = '5m' | '1h' | '1d';

export interface AggregateOptions {
  /** Which source bars count: 'regular' = NYSE regular session (early closes included), 'extended' =
   *  04:00–20:00 ET. Source bars outside it are left out (that is what the option is for). */
  session: 'regular' | 'extended';
}

export interface IncompleteBucket {
  ts: string; // the derived bar's ts
  have: number; // source bars found in the bucket
  expected: number; // source bars a complete bucket holds in the chosen session
}

export interface Aggregation {
  bars: TBar[]; // ascending by ts
  incomplete: IncompleteBucket[]; // ascending by ts; a subset of `bars`' timestamps
}

// A bucket must be a whole number of source bars on the same grid; 1h → 1d is not offered because a
// clock-hour bar at 09:00 ET mixes pre-market into the day, and nothing derives to its own timeframe.
const DERIVABLE: Partial<Record<TTimeframe, readonly AggregateTarget[]>> = { '1m': ['5m', '1h', '1d'], '5m': ['1h', '1d'] };
const MINUTE = 60_000;
const DAY = 86_400_000;

const describeValid = 'only 1m → 5m, 1h, 1d and 5m → 1h, 1d can be derived';

function checkTarget(from: TTimeframe | undefined, to: AggregateTarget, opts: AggregateOptions): void {
  if (opts.session !== 'regular' && opts.session !== 'extended')
    throw new RangeError(`session must be 'regular' or 'extended', got '${String(opts.session)}'`);
  if (!['5m', '1h', '1d'].includes(to)) throw new RangeError(`cannot derive '${String(to)}' bars: ${describeValid}`);
  if (from !== undefined && !DERIVABLE[from]?.includes(to)) throw new RangeError(`cannot derive ${to} bars from ${from} bars: ${describeValid}`);
  if (to === '1d' && opts.session === 'extended')
    throw new RangeError(`a 1d bar is the regular session of its trading date; ask for it with session 'regular', not 'extended'`);
}

/**
 * Aggregates one symbol's bars of one timeframe (any order) into `to` bars. open = first bar's open, close =
 * last bar's close, high/low = extremes (decimal compares; the source's own string is kept), volume = exact
 * sum. A bucket missing some source bars is still produced and listed in `incomplete`; a bucket without any
 * source bar produces nothing (validateSeries' expectComplete on the source names those slots).
 * Expects a series that passed validateSeries: a mixed symbol/timeframe, an unparseable or off-grid ts or
 * two bars for one ts throw a RangeError naming the bar, as do invalid timeframe pairs and dates outside the
 * NYSE calendar tables.
 */
export function aggregateBars(bars: TBar[], to: AggregateTarget, opts: AggregateOptions): Aggregation {
  const first = bars[0];
  checkTarget(first?.timeframe, to, opts);
  if (!first) return { bars: [], incomplete: [] };
  const from = first.timeframe;
  // The daily bar takes only the regular session, whatever the option (checkTarget refuses 'extended' anyway).
  const mode = to === '1d' ? 'regular' : opts.session;
  const srcStep = TIMEFRAME_MINUTES[from] * MINUTE;
  const step = to === '1d' ? DAY : TIMEFRAME_MINUTES[to] * MINUTE;

  const seen = new Set<number>();
  const inSession: { bar: TBar; t: number }[] = [];
  bars.forEach((bar, i) => {
    const where = `bar #${i + 1} (${bar.symbol} ${bar.timeframe} ${bar.ts})`;
    if (bar.symbol !== first.symbol || bar.timeframe !== from)
      throw new RangeError(`${where}: aggregateBars takes one symbol and one timeframe; the series started with ${first.symbol} ${from}`);
    const t = Date.parse(bar.ts);
    if (Number.isNaN(t)) throw new RangeError(`${where}: ts is not an ISO-8601 instant`);
    if (t % srcStep !== 0) throw new RangeError(`${where}: ts is not on the ${from} grid`);
    if (seen.has(t)) throw new RangeError(`${where}: a second bar for this ts; validate the series (validateSeries) first`);
    seen.add(t);
    if (sessionProblem(t, from, mode) === null) inSession.push({ bar, t });
  });
  inSession.sort((a, b) => a.t - b.t);

  // Intraday buckets are whole steps of UTC time. For 1d: regular-session bars (09:30–16:00 ET = 13:30–20:00Z
  // in EDT, 14:30–21:00Z in EST) lie on their New York date in UTC too, so the UTC day is the trading date.
  const buckets = new Map<number, TBar[]>();
  for (const { bar, t } of inSession) {
    const key = Math.floor(t / step) * step;
    (buckets.get(key) ?? buckets.set(key, []).get(key)!).push(bar);
  }

  const out: TBar[] = [];
  const incomplete: IncompleteBucket[] = [];
  for (const [key, group] of buckets) {
    const ts = isoZ(key);
    out.push(combine(group, ts, to, `derived:${from}→${to}`));
    const expected = to === '1d' ? dailySlots(ts.slice(0, 10), from) : intradaySlots(key, step, srcStep, from, mode);
    if (group.length < expected) incomplete.push({ ts, have: group.length, expected });
  }
  return { bars: out, incomplete };
}

/** OHLCV of bars already sorted by time. */
function combine(group: TBar[], ts: string, timeframe: AggregateTarget, source: string): TBar {
  let high = group[0]!.high, low = group[0]!.low;
  let hi = dec(high), lo = dec(low);
  let volume = 0n; // BigInt: a day of SPY is ~10⁸ shares, fine in a double, but a sum must never round
  for (const b of group) {
    const h = dec(b.high), l = dec(b.low);
    if (h.gt(hi)) [hi, high] = [h, b.high];
    if (l.lt(lo)) [lo, low] = [l, b.low];
    volume += BigInt(b.volume);
  }
  const { symbol, open } = group[0]!;
  return { symbol, timeframe, ts, open, high, low, close: group.at(-1)!.close, volume: volume.toString(), source };
}

/** Source slots of an intraday bucket that lie in the session: the same test the source bars passed. */
function intradaySlots(key: number, step: number, srcStep: number, from: TTimeframe, mode: 'regular' | 'extended'): number {
  let n = 0;
  for (let t = key; t < key + step; t += srcStep) if (sessionProblem(t, from, mode) === null) n++;
  return n;
}

function dailySlots(date: string, from: TTimeframe): number {
  const s = regularSession(date);
  return s ? (s.close - s.open) / TIMEFRAME_MINUTES[from] : 0;
}
