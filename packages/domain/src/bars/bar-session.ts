// Where a bar may sit in time: the timeframe's grid, the NYSE session it must fall in, and the slots a
// complete series has. One overlap rule serves both the session check and the expected slots, so they agree.
import type { TTimeframe } from '@ai-trader/contracts';
import { etOffsetMinutes, isTradingDay, regularSession, toEt } from '../calendar/nyse.ts';
import { TIMEFRAME_MINUTES } from './bar-problem.ts';

export type SessionMode = 'regular' | 'extended' | 'any';

const MINUTE = 60_000;
const DAY = 86_400_000;
const EXTENDED = { open: 4 * 60, close: 20 * 60 }; // 04:00–20:00 ET, pre-market to the end of after-hours
const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

export const hhmm = (minutes: number): string =>
  `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;

/** ISO-8601 without milliseconds, the form the bar files use: 2025-07-03T16:50:00Z. */
export const isoZ = (t: number): string => new Date(t).toISOString().replace('.000Z', 'Z');

/** Why `t` is not on the timeframe's grid, or null. Intraday bars start on whole multiples of the
 *  timeframe in UTC (5m: :00, :05 …; 1h: whole hours, the Polygon/Alpaca convention); daily bars are
 *  stamped 00:00:00Z of their NYSE trading date (vendor convention, not an instant). */
export function gridProblem(t: number, timeframe: TTimeframe): string | null {
  if (timeframe === '1d')
    return t % DAY === 0 ? null : `daily bar must be stamped 00:00:00Z of its trading date, got ${isoZ(t)}`;
  const step = TIMEFRAME_MINUTES[timeframe] * MINUTE;
  return t % step === 0 ? null : `${isoZ(t).slice(11)} is not on the ${timeframe} grid (bars start every ${TIMEFRAME_MINUTES[timeframe]} min from :00)`;
}

function notTradingDay(date: string): string {
  const wd = new Date(`${date}T12:00:00Z`).getUTCDay();
  return wd === 0 || wd === 6 ? `${date} is a ${WEEKDAYS[wd]}, not a trading day` : `${date} is an NYSE holiday, not a trading day`;
}

/** Why a bar starting at `t` lies outside the session `mode` allows, or null. A bar counts as inside when
 *  it overlaps the session: for 1m/5m (whose grid meets 09:30 and the closes) that means "wholly inside";
 *  an hour bar stamped 09:00 ET is kept because it holds 09:30–10:00. Throws (RangeError) for dates the
 *  NYSE calendar does not cover: that is a gap in our tables, not a defect of the data. */
// New York wall time of an instant as a day number (days since 1970-01-01 in New York) and minutes into
// that day: arithmetic only, since this runs for every bar validated. The date string and the session are
// looked up per day number.
const DAY_MS = 86_400_000;
function etDay(t: number): number {
  return Math.floor((t + etOffsetMinutes(t) * MINUTE) / DAY_MS);
}
function etMinutes(t: number): number {
  const local = t + etOffsetMinutes(t) * MINUTE;
  return Math.floor((local - Math.floor(local / DAY_MS) * DAY_MS) / MINUTE);
}
const dayDate = (day: number): string => new Date(day * DAY_MS).toISOString().slice(0, 10);
const daySessions = new Map<number, Readonly<{ open: number; close: number }> | null>();
/** The regular session of a New York day number (cached; throws outside the calendar like regularSession). */
function sessionOfDay(day: number): Readonly<{ open: number; close: number }> | null {
  let s = daySessions.get(day);
  if (s === undefined) {
    s = regularSession(dayDate(day));
    if (daySessions.size > 20_000) daySessions.clear();
    daySessions.set(day, s);
  }
  return s;
}
function etOf(t: number): { date: string; minutes: number } {
  return { date: dayDate(etDay(t)), minutes: etMinutes(t) };
}

export function sessionProblem(t: number, timeframe: TTimeframe, mode: SessionMode): string | null {
  if (mode === 'any') return null;
  if (timeframe === '1d') {
    const date = isoZ(t).slice(0, 10);
    return isTradingDay(date) ? null : notTradingDay(date);
  }
  const day = etDay(t), minutes = etMinutes(t);
  const s = sessionOfDay(day); // null: not a trading day (throws outside the calendar)
  const end = minutes + TIMEFRAME_MINUTES[timeframe];
  if (s && mode === 'extended' && minutes < EXTENDED.close && end > EXTENDED.open) return null;
  if (s && mode === 'regular' && minutes < s.close && end > s.open) return null;
  const et = etOf(t); // only to word the problem
  if (!s) return `${notTradingDay(et.date)} (bar at ${hhmm(et.minutes)} ET)`;
  if (mode === 'extended') return `${hhmm(et.minutes)} ET on ${et.date} is outside extended hours 04:00–20:00 ET`;
  const early = s.close < 16 * 60 ? ', early close' : '';
  return `${hhmm(et.minutes)} ET on ${et.date} is outside the regular session ${hhmm(s.open)}–${hhmm(s.close)} ET${early}`;
}

/** Does the regular session open between two bar starts (the previous bar pre-market, this one at or
 *  after 09:30 ET the same day)? Only extended-hours series see this: the regular series starts each
 *  day after an overnight gap anyway. */
const REGULAR_OPEN = 9 * 60 + 30; // every NYSE session opens at 09:30 (early closes end early)

export function opensBetween(prev: number, t: number, timeframe: TTimeframe): boolean {
  if (timeframe === '1d') return false;
  // New York wall times, each computed once (this runs for almost every bar validated)
  const localT = t + etOffsetMinutes(t) * MINUTE, localPrev = prev + etOffsetMinutes(prev) * MINUTE;
  const day = Math.floor(localT / DAY_MS);
  if (Math.floor(localPrev / DAY_MS) !== day) return false;
  if (Math.floor((localPrev - day * DAY_MS) / MINUTE) >= REGULAR_OPEN || Math.floor((localT - day * DAY_MS) / MINUTE) < REGULAR_OPEN) return false;
  return sessionOfDay(day) !== null;
}

/** The instant of `minutes` after New York midnight on `date`: EDT (UTC−4) or EST (UTC−5), whichever
 *  reads back as that wall time. Session times are far from the 02:00 DST switch, so one always fits. */
function etInstant(date: string, minutes: number): number {
  const midnightUtc = Date.parse(`${date}T00:00:00Z`);
  for (const offset of [240, 300]) {
    const t = midnightUtc + (minutes + offset) * MINUTE;
    const et = toEt(new Date(t));
    if (et.date === date && et.minutes === minutes) return t;
  }
  throw new RangeError(`cannot place ${hhmm(minutes)} ET on ${date}`);
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Every slot a complete regular-session series has between two New York dates (inclusive), ascending,
 *  as epoch ms. Early closes end at 13:00 ET; holidays and weekends have no slots. */
export function expectedSlots(from: string, to: string, timeframe: TTimeframe): number[] {
  if (!DATE.test(from) || !DATE.test(to)) throw new RangeError(`expectComplete needs YYYY-MM-DD dates, got ${from} .. ${to}`);
  if (from > to) throw new RangeError(`expectComplete.from ${from} is after .to ${to}`);
  const slots: number[] = [];
  const step = TIMEFRAME_MINUTES[timeframe] * MINUTE;
  for (let d = Date.parse(`${from}T00:00:00Z`); d <= Date.parse(`${to}T00:00:00Z`); d += DAY) {
    const date = isoZ(d).slice(0, 10);
    const s = regularSession(date);
    if (!s) continue;
    if (timeframe === '1d') {
      slots.push(d);
      continue;
    }
    const open = etInstant(date, s.open), close = etInstant(date, s.close);
    for (let t = Math.floor(open / step) * step; t < close; t += step) slots.push(t);
  }
  return slots;
}

/** How many timeframe steps lie between two bar starts: wall-clock steps intraday, weekdays for daily
 *  bars (Friday → Monday is one step; holidays count, which only loosens the limit). Daily counts stop at `cap`. */
export function stepsBetween(from: number, to: number, timeframe: TTimeframe, cap: number): number {
  if (timeframe !== '1d') return Math.max(1, Math.round((to - from) / (TIMEFRAME_MINUTES[timeframe] * MINUTE)));
  let steps = 0;
  for (let d = from + DAY; d <= to && steps < cap; d += DAY) {
    const wd = new Date(d).getUTCDay();
    if (wd !== 0 && wd !== 6) steps++;
  }
  return Math.max(1, steps);
}
