// Bars as COPY text-format bytes: (symbol, ts, open, high, low, close, volume, source), tab-separated.
// Validated bars never hold tabs, newlines or backslashes (tickers, ISO times, decimal strings, integers);
// the source is free text and is escaped. Written byte by byte into one buffer: no string per row.
import type { TBar, TTimeframe } from '@ai-trader/contracts';

export const COPY_COLUMNS = '(symbol, ts, open, high, low, close, volume, source)';

const escapeCopy = (s: string) => s.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
const lineOf = (b: TBar, source: string) => `${b.symbol}\t${b.ts}\t${b.open}\t${b.high}\t${b.low}\t${b.close}\t${b.volume}\t${source}\n`;

let lastSource = '';
let lastSourceBytes = Buffer.alloc(0);
function sourceBytes(source: string): Buffer {
  if (source !== lastSource) {
    lastSourceBytes = Buffer.from(escapeCopy(source), 'utf8');
    lastSource = source;
  }
  return lastSourceBytes;
}

/** Writes the one-byte string `s` at `p`; -1 when it holds a character above 0x7f (the caller re-encodes). */
function put(buf: Buffer, p: number, s: string): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) return -1;
    buf[p++] = c;
  }
  return p;
}

/** The COPY text of `bars`, one line each. */
export function copyText(bars: readonly TBar[]): Buffer {
  let size = 0;
  for (const b of bars) size += b.symbol.length + b.ts.length + b.open.length + b.high.length + b.low.length + b.close.length + b.volume.length + sourceBytes(b.source).length + 8;
  const buf = Buffer.allocUnsafe(size);
  let p = 0;
  for (const b of bars) {
    const src = sourceBytes(b.source);
    p = put(buf, p, b.symbol);
    if (p < 0) break;
    buf[p++] = 9;
    p = put(buf, p, b.ts);
    if (p < 0) break;
    buf[p++] = 9;
    p = put(buf, p, b.open);
    if (p < 0) break;
    buf[p++] = 9;
    p = put(buf, p, b.high);
    if (p < 0) break;
    buf[p++] = 9;
    p = put(buf, p, b.low);
    if (p < 0) break;
    buf[p++] = 9;
    p = put(buf, p, b.close);
    if (p < 0) break;
    buf[p++] = 9;
    p = put(buf, p, b.volume);
    if (p < 0) break;
    buf[p++] = 9;
    for (let i = 0; i < src.length; i++) buf[p++] = src[i]!;
    buf[p++] = 10;
  }
  if (p === size) return buf;
  // A non-ASCII character in a value Postgres will refuse anyway: encode as UTF-8 and let it say why.
  let s = '';
  for (const b of bars) s += lineOf(b, escapeCopy(b.source));
  return Buffer.from(s, 'utf8');
}

const unescapeCopy = (s: string) => (s.includes('\\') ? s.replace(/\\([\\tnr])/g, (_, c: string) => ({ '\\': '\\', t: '\t', n: '\n', r: '\r' })[c]!) : s);

/** The bars of COPY text made by copyText, given their timeframe (which it does not carry). */
export function fromCopyText(text: Buffer, timeframe: TTimeframe): TBar[] {
  const bars: TBar[] = [];
  for (const line of text.toString('utf8').split('\n')) {
    if (!line) continue;
    const [symbol, ts, open, high, low, close, volume, source] = line.split('\t') as [string, string, string, string, string, string, string, string];
    bars.push({ symbol, timeframe, ts, open, high, low, close, volume, source: unescapeCopy(source) });
  }
  return bars;
}
