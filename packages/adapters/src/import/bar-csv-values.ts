// Reading one CSV cell of a bar file into the exact string a TBar holds: timestamps to UTC ISO-8601,
// prices as plain decimals (never through a float), volumes as whole shares. Each returns a value or a reason.
import type { TTimeframe } from '@ai-trader/contracts';
import { canonicalInstantMs, toEt } from '@ai-trader/domain';

export type Cell = { ok: string } | { err: string };

const MINUTE = 60_000;
const DAY = 86_400_000;
// Epoch values are accepted only when they land in this span: it is what tells seconds from milliseconds,
// and it refuses a compact date like 20250604 read as seconds (1970-08-23).
const PLAUSIBLE = { from: Date.UTC(1990, 0, 1), to: Date.UTC(2100, 0, 1) };

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?)?$/;

export const isoZ = (t: number): string => new Date(t).toISOString().replace('.000Z', 'Z');
const midnightZ = (date: string): string => `${date}T00:00:00Z`;

/**
 * ISO-8601 with Z or an offset (`2025-06-04T09:30:00-04:00`, also with a space instead of T), epoch
 * seconds or milliseconds (told apart by magnitude), or a bare `YYYY-MM-DD` for daily bars. A wall time
 * without a zone is refused: guessing New York or UTC would silently shift a whole file by hours.
 * Daily bars keep their trading date: `2025-06-04T00:00:00-04:00` and an epoch at New York midnight
 * (Polygon's daily `t`) both become `2025-06-04T00:00:00Z`, the vendor convention the validator expects.
 */
export function parseTimestamp(raw: string, timeframe: TTimeframe): Cell {
  const fast = timeframe === '1d' ? null : canonicalInstant(raw);
  if (fast) return fast;
  const v = raw.trim();
  if (v === '') return { err: 'timestamp is empty' };
  if (/^\d+$/.test(v)) return parseEpoch(v, timeframe);
  const m = ISO.exec(v);
  if (!m) return { err: `timestamp '${v}' is not ISO-8601, epoch seconds/milliseconds or YYYY-MM-DD` };
  const [, y, mo, d, hh, mi, ss, frac, zone] = m;
  const date = `${y}-${mo}-${d}`;
  const dayStart = Date.UTC(Number(y), Number(mo) - 1, Number(d));
  if (Number.isNaN(dayStart) || isoZ(dayStart).slice(0, 10) !== date) return { err: `timestamp '${v}' is not a real date` };
  if (hh === undefined) {
    return timeframe === '1d' ? { ok: midnightZ(date) } : { err: `timestamp '${v}' has no time of day; a bare date is only valid for 1d bars` };
  }
  if (zone === undefined) return { err: `timestamp '${v}' has no time zone; add Z or an offset like -04:00` };
  const [h, min, sec] = [Number(hh), Number(mi), Number(ss ?? '0')];
  if (h > 23 || min > 59 || sec > 59) return { err: `timestamp '${v}' has an impossible time of day` };
  if (timeframe === '1d' && h === 0 && min === 0 && sec === 0 && !frac) return { ok: midnightZ(date) };
  const ms = Number((frac ?? '').padEnd(3, '0').slice(0, 3));
  return { ok: isoZ(dayStart + ((h * 60 + min) * 60 + sec) * 1000 + ms - offsetMinutes(zone) * MINUTE) };
}

// Fast path for the form we store and most files use (`2025-06-04T13:30:00Z`): the value is already canonical,
// so it only needs its shape, its date and its time of day checked (canonicalInstantMs: by hand, per row).
/** `2025-06-04T13:30:00Z` with a real date and time of day: the form stored, accepted as it is (not for 1d). */
export const isCanonicalInstant = (v: string): boolean => !Number.isNaN(canonicalInstantMs(v));

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function canonicalInstant(v: string): Cell | null {
  return isCanonicalInstant(v) ? { ok: v } : null; // not a real date: the slow path words the error
}

function offsetMinutes(zone: string): number {
  if (zone === 'Z' || zone === 'z') return 0;
  const digits = zone.slice(1).replace(':', '');
  const minutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || '0');
  return zone.startsWith('-') ? -minutes : minutes;
}

function parseEpoch(v: string, timeframe: TTimeframe): Cell {
  const n = Number(v);
  const t = n * 1000 >= PLAUSIBLE.from && n * 1000 < PLAUSIBLE.to ? n * 1000 : n >= PLAUSIBLE.from && n < PLAUSIBLE.to ? n : NaN;
  if (Number.isNaN(t)) return { err: `epoch '${v}' is neither seconds nor milliseconds between 1990 and 2100` };
  if (timeframe !== '1d' || t % DAY === 0) return { ok: isoZ(t) };
  const et = toEt(new Date(t));
  return et.minutes === 0 ? { ok: midnightZ(et.date) } : { ok: isoZ(t) }; // New York midnight: Polygon's daily stamp
}

const PLAIN_DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?$/;

/** A price as written, minus noise: `+1.50` → `1.50`, `007.5` → `7.5`, `.5` → `0.5`, `12.` → `12`.
 *  Trailing zeros stay (the value is the same and the source's precision is visible). */
/** A plain decimal with nothing to strip (`219.34`, `0.5`; /^(?:0|[1-9]\d*)(?:\.\d+)?$/): accepted as written. */
export function isCanonicalDecimal(v: string): boolean {
  const n = v.length;
  const c0 = v.charCodeAt(0);
  let i = 1;
  if (c0 !== 48) {
    if (!(c0 >= 49 && c0 <= 57)) return false;
    while (i < n && isDigit(v.charCodeAt(i))) i++;
  }
  if (i === n) return true;
  if (v.charCodeAt(i) !== 46 /* . */ || i + 1 === n) return false;
  for (i++; i < n; i++) if (!isDigit(v.charCodeAt(i))) return false;
  return true;
}

export function parsePrice(name: string, raw: string): Cell {
  if (isCanonicalDecimal(raw)) return { ok: raw }; // already plain and canonical: nothing to strip
  const v = raw.trim();
  if (v === '') return { err: `${name} is empty` };
  if (/^[+-]?(\d+\.?\d*|\.\d+)[eE][+-]?\d+$/.test(v)) return { err: `${name} '${v}' uses an exponent; write it as a plain decimal` };
  const m = PLAIN_DECIMAL.exec(v);
  if (!m || (m[2] === '' && !m[3])) return { err: `${name} '${v}' is not a number` };
  const [, sign, int, frac] = m;
  const whole = int!.replace(/^0+(?=\d)/, '') || '0';
  return { ok: `${sign === '-' ? '-' : ''}${whole}${frac ? `.${frac}` : ''}` };
}

/** A whole number of shares with nothing to strip (/^(?:0|[1-9]\d*)$/). */
export function isCanonicalWhole(v: string): boolean {
  const n = v.length;
  const c0 = v.charCodeAt(0);
  if (c0 === 48) return n === 1;
  if (!(c0 >= 49 && c0 <= 57)) return false;
  for (let i = 1; i < n; i++) if (!isDigit(v.charCodeAt(i))) return false;
  return true;
}

/** Whole shares: `123`, `+123` and `123.0` are 123; `12.5`, `-5`, `1.2e6` are refused. */
export function parseVolume(raw: string): Cell {
  if (isCanonicalWhole(raw)) return { ok: raw };
  const price = parsePrice('volume', raw);
  if ('err' in price) return price;
  const [int, frac] = price.ok.split('.') as [string, string | undefined];
  if (frac !== undefined && /[^0]/.test(frac)) return { err: `volume '${raw.trim()}' is not a whole number of shares` };
  if (int.startsWith('-') && int !== '-0') return { err: `volume '${raw.trim()}' is negative` };
  return { ok: int.replace('-', '') };
}
