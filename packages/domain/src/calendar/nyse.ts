// NYSE trading calendar: full holidays and early (13:00 ET) closes, 2024–2027, and the regular
// session test. Times are instants (UTC); the session is judged in America/New_York.
// Extend the tables when a new year's NYSE calendar is published.

const HOLIDAYS = new Set([
  '2024-01-01', '2024-01-15', '2024-02-19', '2024-03-29', '2024-05-27', '2024-06-19', '2024-07-04', '2024-09-02', '2024-11-28', '2024-12-25',
  '2025-01-01', '2025-01-09', '2025-01-20', '2025-02-17', '2025-04-18', '2025-05-26', '2025-06-19', '2025-07-04', '2025-09-01', '2025-11-27', '2025-12-25',
  '2026-01-01', '2026-01-19', '2026-02-16', '2026-04-03', '2026-05-25', '2026-06-19', '2026-07-03', '2026-09-07', '2026-11-26', '2026-12-25',
  '2027-01-01', '2027-01-18', '2027-02-15', '2027-03-26', '2027-05-31', '2027-06-18', '2027-07-05', '2027-09-06', '2027-11-25', '2027-12-24',
]);
const EARLY_CLOSES = new Set(['2024-07-03', '2024-11-29', '2024-12-24', '2025-07-03', '2025-11-28', '2025-12-24', '2026-11-27', '2026-12-24', '2027-11-26']);
export const CALENDAR_YEARS = { first: 2024, last: 2027 } as const;

export interface EtTime {
  date: string; // YYYY-MM-DD in New York
  minutes: number; // minutes since New York midnight
  weekday: string; // Mon..Sun
}

// America/New_York by the US rule in force since 2007: EDT (UTC−4) from the second Sunday of March, 02:00
// EST (07:00Z), to the first Sunday of November, 02:00 EDT (06:00Z); EST (UTC−5) otherwise. Arithmetic
// instead of Intl (≈20 µs a call): validation asks this for every bar. nyse.test.ts checks it against Intl.
const dstSpans = new Map<number, readonly [number, number]>();
function dstSpan(year: number): readonly [number, number] {
  let span = dstSpans.get(year);
  if (!span) {
    const marchFirst = new Date(Date.UTC(year, 2, 1)).getUTCDay();
    const novFirst = new Date(Date.UTC(year, 10, 1)).getUTCDay();
    span = [Date.UTC(year, 2, 1 + ((7 - marchFirst) % 7) + 7, 7), Date.UTC(year, 10, 1 + ((7 - novFirst) % 7), 6)] as const;
    dstSpans.set(year, span);
  }
  return span;
}

let spanYear = { from: 0, to: 0, dstFrom: 0, dstTo: 0 }; // the last year asked about: bars come in runs

/** New York's offset from UTC in minutes at an instant: −240 (EDT) or −300 (EST). */
export function etOffsetMinutes(t: number): number {
  let y = spanYear;
  if (t < y.from || t >= y.to) {
    const year = new Date(t).getUTCFullYear();
    const [dstFrom, dstTo] = dstSpan(year);
    spanYear = y = { from: Date.UTC(year, 0, 1), to: Date.UTC(year + 1, 0, 1), dstFrom, dstTo };
  }
  return t >= y.dstFrom && t < y.dstTo ? -240 : -300;
}

const WEEKDAY_SHORT = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

export function toEt(instant: Date): EtTime {
  const t = instant.getTime();
  const local = new Date(t + etOffsetMinutes(t) * 60_000);
  return { date: local.toISOString().slice(0, 10), minutes: local.getUTCHours() * 60 + local.getUTCMinutes(), weekday: WEEKDAY_SHORT[local.getUTCDay()]! };
}

function checkYear(date: string): void {
  const y = Number(date.slice(0, 4));
  if (y < CALENDAR_YEARS.first || y > CALENDAR_YEARS.last)
    throw new RangeError(`NYSE calendar covers ${CALENDAR_YEARS.first}–${CALENDAR_YEARS.last}; ${date} is outside it`);
}

/** Is this New York date (YYYY-MM-DD) a trading day? */
export function isTradingDay(date: string): boolean {
  checkYear(date);
  const wd = new Date(`${date}T12:00:00Z`).getUTCDay();
  return wd !== 0 && wd !== 6 && !HOLIDAYS.has(date);
}

const sessions = new Map<string, { open: number; close: number } | null>();

/** Regular session in New York minutes: [open, close). The result is shared: do not modify it. */
export function regularSession(date: string): Readonly<{ open: number; close: number }> | null {
  let s = sessions.get(date);
  if (s === undefined) {
    s = isTradingDay(date) ? { open: 9 * 60 + 30, close: EARLY_CLOSES.has(date) ? 13 * 60 : 16 * 60 } : null;
    if (sessions.size > 20_000) sessions.clear(); // a few years of dates; bounded anyway
    sessions.set(date, s);
  }
  return s;
}

/** Does a bar starting at `start` and lasting `minutes` lie inside the regular session? */
export function inRegularSession(start: Date, minutes = 1): boolean {
  const et = toEt(start);
  const s = regularSession(et.date);
  return !!s && et.minutes >= s.open && et.minutes + minutes <= s.close;
}
