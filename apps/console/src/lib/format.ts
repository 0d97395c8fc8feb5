// Display formatting. Values arrive as decimal strings; Intl formats them without float arithmetic on
// our side (the string is parsed only for display).
const usd = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', minimumFractionDigits: 2, maximumFractionDigits: 2 });
const signedUsd = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', signDisplay: 'exceptZero', minimumFractionDigits: 2 });

export const money = (s: string | null | undefined) => (s == null ? '—' : usd.format(Number(s)));
export const pnl = (s: string) => signedUsd.format(Number(s));
export const pnlClass = (s: string) => (s.startsWith('-') ? 'neg' : Number(s) > 0 ? 'pos' : '');
export const qty = (s: string) => s;
export const time = (iso: string | null) => (iso ? new Date(iso).toISOString().replace('T', ' ').slice(0, 19) + 'Z' : '—');
/** A bar's market time, shown in New York where the market is. */
export const marketTime = (iso: string | null) =>
  iso ? new Date(iso).toLocaleString('en-US', { timeZone: 'America/New_York', dateStyle: 'medium', timeStyle: 'short' }) + ' ET' : '—';
