// What the scanner judges: one daily bar per NYSE trading date and symbol (stored 1d bars, or derived from
// intraday bars), and the trading-day windows its filters look back over.
import { isTradingDay } from '../calendar/nyse.ts';

/** One symbol's bar of one trading date. Prices are decimal strings, volume a whole number of shares. */
export interface ScanBar {
  date: string; // YYYY-MM-DD, the New York trading date
  open: string;
  high: string;
  low: string;
  close: string;
  volume: string;
  /** Built from the day's intraday bars because no daily bar was stored. */
  derived?: boolean;
}

export interface ScanCandidate {
  symbol: string;
  /** Ascending by date, none after the scan date: at least the window the filters look at (more is ignored). */
  bars: ScanBar[];
  /** Trading days with bars in the whole stored history up to the scan date (the bars above may be fewer). */
  historyDays: number;
  firstDate: string | null;
}

const DAY = 86_400_000;
const addDays = (date: string, n: number) => new Date(Date.parse(`${date}T00:00:00Z`) + n * DAY).toISOString().slice(0, 10);

/**
 * The `n` NYSE trading days ending at `date` (included when it is a trading day), oldest first.
 * Throws a RangeError outside the calendar's years (see nyse.ts).
 */
export function tradingDaysEndingAt(date: string, n: number): string[] {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`tradingDaysEndingAt: n must be a whole number ≥ 1, got ${n}`);
  const out: string[] = [];
  for (let d = date; out.length < n; d = addDays(d, -1)) if (isTradingDay(d)) out.push(d);
  return out.reverse();
}

/**
 * Trading days after `from` up to and including `to`: 0 when `from` is the last trading day on or before `to`.
 * Counts at most `cap` (a symbol whose last bar is years old only needs to be "more than allowed").
 */
export function tradingDaysAfter(from: string, to: string, cap = 250): number {
  let n = 0;
  for (let d = to; d > from && n < cap; d = addDays(d, -1)) if (isTradingDay(d)) n++;
  return n;
}

/** Thousands separators for whole numbers in messages ("12,345,678"); locale-independent. */
export function groupDigits(s: string): string {
  const [int, frac] = s.split('.');
  const grouped = int!.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return frac === undefined ? grouped : `${grouped}.${frac}`;
}
