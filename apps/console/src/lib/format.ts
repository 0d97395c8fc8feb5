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
