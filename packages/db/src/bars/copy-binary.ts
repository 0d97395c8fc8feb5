// Bars as COPY binary rows: (symbol, ts, open, high, low, close, volume, source). Postgres then takes times and
// decimals as numbers instead of parsing their text, a good part of its work per row. Only bars whose values
// have an exact binary form are encoded (see copyBinary); the loader sends any other batch as text, and
// either way Postgres stores the same values (numerics get the column's scale applied alike).
import type { TBar, TTimeframe } from '@ai-trader/contracts';

/** Signature, flags and header extension length; the trailer is a field count of -1. */
export const BINARY_HEADER = Buffer.from([0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00, 0, 0, 0, 0, 0, 0, 0, 0]);
export const BINARY_TRAILER = Buffer.from([0xff, 0xff]);

const PG_EPOCH_MS = 946_684_800_000; // 2000-01-01T00:00:00Z: Postgres counts timestamps in µs from here
const TWO32 = 4_294_967_296;
const MAX_DIGITS = 15; // per part of a decimal, and for a volume: exact as a double
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
// field count, 8 lengths, ts and volume (8 bytes each), 4 numerics of at most 8 header + 2 × 8 digit bytes
const ROW_MAX = 2 + 8 * 4 + 8 + 8 + 4 * (8 + 2 * 8);

function two(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48, b = s.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : NaN;
}

/** µs since 2000 of `YYYY-MM-DDTHH:MM:SSZ` with a real date and time of day; NaN for any other form. */
function pgMicros(ts: string): number {
  if (ts.length !== 20 || ts.charCodeAt(4) !== 45 || ts.charCodeAt(7) !== 45 || ts.charCodeAt(10) !== 84 || ts.charCodeAt(13) !== 58 || ts.charCodeAt(16) !== 58 || ts.charCodeAt(19) !== 90)
    return NaN;
  const y = two(ts, 0) * 100 + two(ts, 2), mo = two(ts, 5), d = two(ts, 8), h = two(ts, 11), mi = two(ts, 14), s = two(ts, 17);
  const leap = mo === 2 && y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  if (!(mo >= 1 && mo <= 12 && d >= 1 && d <= DAYS_IN_MONTH[mo - 1]! + (leap ? 1 : 0) && h <= 23 && mi <= 59 && s <= 59 && y >= 1900 && y < 2200)) return NaN;
  const yy = mo <= 2 ? y - 1 : y; // days from 1970-01-01 (H. Hinnant's days_from_civil)
  const era = Math.floor(yy / 400), yoe = yy - era * 400;
  const doy = Math.floor((153 * (mo > 2 ? mo - 3 : mo + 9) + 2) / 5) + d - 1;
  const days = era * 146_097 + yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy - 719_468;
  return ((((days * 24 + h) * 60 + mi) * 60 + s) * 1000 - PG_EPOCH_MS) * 1000; // |µs| < 2^53 for 1900–2199
}

function put16(buf: Buffer, p: number, x: number): number {
  buf[p] = (x >> 8) & 0xff;
  buf[p + 1] = x & 0xff;
  return p + 2;
}
function put32(buf: Buffer, p: number, x: number): number {
  buf[p] = (x >>> 24) & 0xff;
  buf[p + 1] = (x >>> 16) & 0xff;
  buf[p + 2] = (x >>> 8) & 0xff;
  buf[p + 3] = x & 0xff;
  return p + 4;
}
/** A signed 64-bit integer from a double holding a safe integer. */
function put64(buf: Buffer, p: number, x: number): number {
  const hi = Math.floor(x / TWO32);
  return put32(buf, put32(buf, p, hi | 0), x - hi * TWO32);
}

/**
 * The numeric field (length, ndigits, weight, sign, dscale, base-10000 digits) of a plain decimal
 * `-?\d+(\.\d+)?` with at most 15 digits on each side of the point, at `p`; -1 for anything else. Integer
 * digits are grouped by four from the point leftwards, fraction digits rightwards (the last group padded
 * with zeros); Postgres drops zero groups itself. dscale is the count of fraction digits written.
 */
function putNumeric(buf: Buffer, p: number, v: string): number {
  const n = v.length;
  // The usual price, 1–4 digits before the point and 1–4 after (or none): one group each, written directly.
  let whole = 0, q = 0;
  for (; q < n && q < 5; q++) {
    const c = v.charCodeAt(q) - 48;
    if (c < 0 || c > 9) break;
    whole = whole * 10 + c;
  }
  if (q >= 1 && q <= 4 && (q === n || (v.charCodeAt(q) === 46 && n - q - 1 >= 1 && n - q - 1 <= 4))) {
    const fracDigits = q === n ? 0 : n - q - 1;
    let frac = 0;
    for (let k = q + 1; k < q + 5; k++) {
      const c = k < n ? v.charCodeAt(k) - 48 : 0;
      if (c < 0 || c > 9) return -1;
      frac = frac * 10 + c;
    }
    const groups = fracDigits ? 2 : 1;
    buf[p] = 0;
    buf[p + 1] = 0;
    buf[p + 2] = 0;
    buf[p + 3] = 8 + 2 * groups; // length
    buf[p + 4] = 0;
    buf[p + 5] = groups; // ndigits
    buf[p + 6] = 0;
    buf[p + 7] = 0; // weight 0
    buf[p + 8] = 0;
    buf[p + 9] = 0; // positive
    buf[p + 10] = 0;
    buf[p + 11] = fracDigits; // dscale
    buf[p + 12] = whole >> 8;
    buf[p + 13] = whole & 0xff;
    if (!fracDigits) return p + 14;
    buf[p + 14] = frac >> 8;
    buf[p + 15] = frac & 0xff;
    return p + 16;
  }
  const neg = v.charCodeAt(0) === 45;
  const start = neg ? 1 : 0;
  let point = start;
  while (point < n) {
    const c = v.charCodeAt(point);
    if (c < 48 || c > 57) break;
    point++;
  }
  const intDigits = point - start;
  if (intDigits === 0 || intDigits > MAX_DIGITS) return -1;
  let fracDigits = 0;
  if (point < n) {
    if (v.charCodeAt(point) !== 46) return -1;
    fracDigits = n - point - 1;
    if (fracDigits === 0 || fracDigits > MAX_DIGITS) return -1;
  }
  const intGroups = Math.ceil(intDigits / 4), fracGroups = Math.ceil(fracDigits / 4);
  p = put32(buf, p, 8 + 2 * (intGroups + fracGroups));
  p = put16(buf, p, intGroups + fracGroups);
  p = put16(buf, p, intGroups - 1); // weight of the first group
  p = put16(buf, p, neg ? 0x4000 : 0);
  p = put16(buf, p, fracDigits);
  let i = start;
  for (let g = 0; g < intGroups; g++) {
    const end = g === 0 ? start + intDigits - (intGroups - 1) * 4 : i + 4; // the first group takes the odd digits
    let d = 0;
    for (; i < end; i++) d = d * 10 + (v.charCodeAt(i) - 48);
    p = put16(buf, p, d);
  }
  for (i = point + 1; i < n; ) {
    let d = 0;
    for (let k = 0; k < 4; k++, i++) {
      const c = i < n ? v.charCodeAt(i) - 48 : 0;
      if (c < 0 || c > 9) return -1;
      d = d * 10 + c;
    }
    p = put16(buf, p, d);
  }
  return p;
}

/** Whole shares `-?\d{1,15}` as a number, else NaN. */
function wholeNumber(v: string): number {
  const neg = v.charCodeAt(0) === 45;
  const n = v.length, start = neg ? 1 : 0;
  if (n === start || n - start > MAX_DIGITS) return NaN;
  let x = 0;
  for (let i = start; i < n; i++) {
    const d = v.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return NaN;
    x = x * 10 + d;
  }
  return neg ? -x : x;
}

/** The ASCII string at `p` with its length first; -1 when it holds any other character. */
function putAscii(buf: Buffer, p: number, s: string): number {
  p = put32(buf, p, s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) return -1;
    buf[p++] = c;
  }
  return p;
}

/**
 * The binary rows of `bars` (no header or trailer), or null when a bar has a value without an exact binary
 * form here: a time not written `YYYY-MM-DDTHH:MM:SSZ` (or outside 1900–2199), a decimal or volume of more
 * than 15 digits a part, a symbol or source that is not ASCII.
 */
export function copyBinary(bars: readonly TBar[]): Buffer | null {
  let size = 0;
  for (let r = 0; r < bars.length; r++) size += ROW_MAX + bars[r]!.symbol.length + bars[r]!.source.length;
  const buf = Buffer.allocUnsafe(size);
  let p = 0;
  for (let r = 0; r < bars.length; r++) {
    const b = bars[r]!;
    const us = pgMicros(b.ts), volume = wholeNumber(b.volume);
    if (us !== us || volume !== volume) return null; // NaN
    p = putAscii(buf, put16(buf, p, 8), b.symbol);
    if (p < 0) return null;
    p = put64(buf, put32(buf, p, 8), us);
    p = putNumeric(buf, p, b.open);
    if (p < 0) return null;
    p = putNumeric(buf, p, b.high);
    if (p < 0) return null;
    p = putNumeric(buf, p, b.low);
    if (p < 0) return null;
    p = putNumeric(buf, p, b.close);
    if (p < 0) return null;
    p = put64(buf, put32(buf, p, 8), volume);
    p = putAscii(buf, p, b.source);
    if (p < 0) return null;
  }
  return buf.subarray(0, p);
}

/** A numeric's decimal text: the integer groups, then dscale fraction digits. */
function numericText(buf: Buffer, p: number): string {
  const ndigits = buf.readUInt16BE(p), weight = buf.readInt16BE(p + 2), sign = buf.readUInt16BE(p + 4), dscale = buf.readUInt16BE(p + 6);
  const digit = (g: number) => (g >= 0 && g < ndigits ? buf.readUInt16BE(p + 8 + 2 * g) : 0);
  let int = '';
  for (let g = 0; g <= weight; g++) int += g === 0 ? String(digit(g)) : String(digit(g)).padStart(4, '0');
  let frac = '';
  for (let g = weight + 1; frac.length < dscale; g++) frac += String(digit(g)).padStart(4, '0');
  return `${sign === 0x4000 ? '-' : ''}${int || '0'}${dscale ? `.${frac.slice(0, dscale)}` : ''}`;
}

/** The bars of rows made by copyBinary (the same values; decimals as plain text), given their timeframe. */
export function fromCopyBinary(buf: Buffer, timeframe: TTimeframe): TBar[] {
  const bars: TBar[] = [];
  const fields: string[] = [];
  for (let p = 0; p < buf.length; ) {
    p += 2; // field count: always 8
    fields.length = 0;
    for (let f = 0; f < 8; f++) {
      const len = buf.readInt32BE(p);
      p += 4;
      if (f === 0 || f === 7) fields.push(buf.toString('latin1', p, p + len));
      else if (f === 1) fields.push(new Date((buf.readInt32BE(p) * TWO32 + buf.readUInt32BE(p + 4)) / 1000 + PG_EPOCH_MS).toISOString().replace('.000Z', 'Z'));
      else if (f === 6) fields.push(String(buf.readInt32BE(p) * TWO32 + buf.readUInt32BE(p + 4)));
      else fields.push(numericText(buf, p));
      p += len;
    }
    const [symbol, ts, open, high, low, close, volume, source] = fields as [string, string, string, string, string, string, string, string];
    bars.push({ symbol, timeframe, ts, open, high, low, close, volume, source });
  }
  return bars;
}
