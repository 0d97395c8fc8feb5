// Display formatting. Values arrive as decimal strings; Intl formats them without float arithmetic on
// our side (the string is parsed only for display).
const usd = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', minimumFractionDigits: 2, maximumFractionDigits: 2 });
const signedUsd = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', signDisplay: 'exceptZero', minimumFractionDigits: 2 });

export const money = (s: string | null | undefined) => (s == null ? '—' : usd.format(Number(s)));
export const pnl = (s: string) => signedUsd.format(Number(s));
export const pnlClass = (s: string) => (s.startsWith('-') ? 'neg' : Number(s) > 0 ? 'pos' : '');
export const qty = (s: string) => s;
const nyParts = new Intl.DateTimeFormat('en-US', {
  timeZone: 'America/New_York', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
  hourCycle: 'h23', timeZoneName: 'shortOffset',
});
/** New York wall time with its UTC offset, e.g. "2025-06-04 10:00:00 GMT-4" (every time the console shows). */
export const time = (iso: string | null | undefined) => {
  if (!iso) return '—';
  const p = Object.fromEntries(nyParts.formatToParts(new Date(iso)).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second} ${p.timeZoneName}`;
};
/** A bar's market time (New York, offset shown). */
export const marketTime = (iso: string | null | undefined) => time(iso);
/** Fixed decimals with an explicit sign: "+1.50", "−0.25", "0.00". */
export const signed = (s: string | number, digits = 2) => {
  const n = Number(s);
  const f = Math.abs(n).toFixed(digits);
  return n > 0 ? `+${f}` : n < 0 ? `−${f}` : f;
};
/** A percentage with fixed decimals and a sign. */
export const pct = (s: string | number, digits = 2) => `${signed(s, digits)} %`;
/** A limit gauge's number in its unit (risk page): dollars, a count, shares, percent or seconds. */
export const gaugeValue = (unit: 'usd' | 'count' | 'shares' | 'pct' | 'seconds', s: string) =>
  unit === 'usd' ? money(s) : unit === 'pct' ? `${Number(s).toFixed(2)} %` : unit === 'seconds' ? `${Number(s).toFixed(0)} s` : unit === 'shares' ? `${s} sh` : s;
/** A duration in seconds, coarsely: "42 s", "3 min 5 s", "2 h 4 min", "3 d 2 h". */
export const age = (seconds: number | null | undefined) => {
  if (seconds == null) return '—';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86_400)} d ${Math.floor((s % 86_400) / 3600)} h`;
};
// Positions and orders.
const nyDateFmt = new Intl.DateTimeFormat('en-CA', { timeZone: 'America/New_York', year: 'numeric', month: '2-digit', day: '2-digit' });
const nyClockFmt = new Intl.DateTimeFormat('en-US', { timeZone: 'America/New_York', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
/** The New York calendar date of an instant (default: now), YYYY-MM-DD. */
export const nyDate = (iso?: string | number) => nyDateFmt.format(iso === undefined ? new Date() : new Date(iso));
/** New York wall clock of an instant, HH:MM (chart ticks; the axis caption says New York). */
export const nyClock = (iso: string | number) => nyClockFmt.format(new Date(iso));
/** Distance of a level from a price, in % with a sign ("−1.52 %"); '' when either is missing. */
export const pctFrom = (level: string | null, from: string | null) =>
  level === null || from === null || Number(from) === 0 ? '' : pct(((Number(level) - Number(from)) / Number(from)) * 100);
// Logs.
/** New York's UTC offset in minutes at an instant (−240 or −300), read from Intl. */
const nyOffsetMinutes = (ms: number) => {
  const z = nyParts.formatToParts(new Date(ms)).find((x) => x.type === 'timeZoneName')?.value ?? 'GMT';
  const m = /GMT([+-])(\d{1,2})(?::(\d{2}))?/.exec(z);
  return m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3] ?? 0)) : 0;
};
/** A New York wall time as a datetime-local input gives it ("2025-06-04T10:00[:05]") → an ISO instant; null when empty or invalid. */
export const nyLocalToIso = (local: string) => {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(local.trim());
  if (!m) return null;
  const wall = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0));
  if (!Number.isFinite(wall)) return null;
  // Twice: the offset at the first guess may be the other side of a DST change.
  const first = wall - nyOffsetMinutes(wall) * 60_000;
  return new Date(wall - nyOffsetMinutes(first) * 60_000).toISOString();
};
/** A log line's time: New York with milliseconds and the UTC offset ("2025-06-04 10:00:00.123 GMT-4"). */
export const logTime = (iso: string) => time(iso).replace(/(\d{2}:\d{2}:\d{2})/, `$1.${String(new Date(iso).getUTCMilliseconds()).padStart(3, '0')}`);
