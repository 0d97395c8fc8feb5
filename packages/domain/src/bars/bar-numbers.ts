// Exact shortcuts for the per-bar hot path of validation: a plain decimal string to its double and a
// canonical UTC instant to epoch ms, by arithmetic instead of Number / Date.parse. Same results; anything
// outside the shortcut's shape is handed to Number / Date.parse.

const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

/**
 * Number(s). For a plain decimal of at most 15 digits (`-?\d+(\.\d+)?` and the like) the digits form an
 * exact integer m < 2^53 and 10^k is exact too, so m / 10^k is rounded once, to the double nearest the
 * decimal: the one Number returns.
 */
export function decimalNumber(s: string): number {
  const n = s.length;
  if (n === 0 || n > 17) return Number(s);
  let i = 0;
  const neg = s.charCodeAt(0) === 45; /* - */
  if (neg) i = 1;
  let m = 0, digits = 0, scale = 0, point = false;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      m = m * 10 + (c - 48);
      digits++;
      if (point) scale++;
    } else if (c === 46 /* . */ && !point) point = true;
    else return Number(s);
  }
  if (digits === 0 || digits > 15) return Number(s);
  const v = scale ? m / POW10[scale]! : m;
  return neg ? -v : v;
}

function digit(s: string, i: number): number {
  const c = s.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : NaN;
}
function two(s: string, i: number): number {
  return digit(s, i) * 10 + digit(s, i + 1);
}
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(y: number, m: number, d: number): number {
  if (m <= 2) y--;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + d - 1;
  return era * 146_097 + yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy - 719_468;
}

/** Epoch ms of `YYYY-MM-DDTHH:MM:SSZ` with a real date and time of day (what Date.parse gives); NaN for
 *  anything else, whether Date.parse would read it or not. `at`/`end`: the time is text[at, end) (no string
 *  needed for it: a parser reads it where it stands). */
export function canonicalInstantMs(text: string, at = 0, end = text.length): number {
  if (
    end - at !== 20 || text.charCodeAt(at + 4) !== 45 || text.charCodeAt(at + 7) !== 45 || text.charCodeAt(at + 10) !== 84 /* T */ ||
    text.charCodeAt(at + 13) !== 58 || text.charCodeAt(at + 16) !== 58 || text.charCodeAt(at + 19) !== 90 /* Z */
  )
    return NaN;
  const y = two(text, at) * 100 + two(text, at + 2), mo = two(text, at + 5), d = two(text, at + 8), h = two(text, at + 11), mi = two(text, at + 14), s = two(text, at + 17);
  const leap = mo === 2 && y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  // a non-digit made its number NaN, which fails every comparison
  if (!(mo >= 1 && mo <= 12 && d >= 1 && d <= DAYS_IN_MONTH[mo - 1]! + (leap ? 1 : 0) && h <= 23 && mi <= 59 && s <= 59 && y >= 0)) return NaN;
  return ((daysFromCivil(y, mo, d) * 24 + h) * 60 + mi) * 60_000 + s * 1000;
}

/** Date.parse(ts); by arithmetic for the canonical form (Date.parse decides the rest, e.g. rolls over impossible dates). */
export function instantMs(ts: string): number {
  const t = canonicalInstantMs(ts);
  return t === t ? t : Date.parse(ts);
}
