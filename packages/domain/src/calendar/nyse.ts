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

const etParts = new Intl.DateTimeFormat('en-US', {
  timeZone: 'America/New_York', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', weekday: 'short', hourCycle: 'h23',
});

export interface EtTime {
  date: string; // YYYY-MM-DD in New York
  minutes: number; // minutes since New York midnight
  weekday: string; // Mon..Sun
}

export function toEt(instant: Date): EtTime {
  const p = Object.fromEntries(etParts.formatToParts(instant).map((x) => [x.type, x.value]));
  return { date: `${p.year}-${p.month}-${p.day}`, minutes: Number(p.hour) * 60 + Number(p.minute), weekday: p.weekday! };
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

/** Regular session in New York minutes: [open, close). */
export function regularSession(date: string): { open: number; close: number } | null {
  if (!isTradingDay(date)) return null;
  return { open: 9 * 60 + 30, close: EARLY_CLOSES.has(date) ? 13 * 60 : 16 * 60 };
}

/** Does a bar starting at `start` and lasting `minutes` lie inside the regular session? */
export function inRegularSession(start: Date, minutes = 1): boolean {
  const et = toEt(start);
  const s = regularSession(et.date);
  return !!s && et.minutes >= s.open && et.minutes + minutes <= s.close;
}
