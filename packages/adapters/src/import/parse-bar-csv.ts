// Parses a bar CSV line by line for `ai-trader data import FILE --symbol S --timeframe T`: one bar or one
// error per row, so a bad row costs one line of the report, never the file. Series checks come after (validateSeries).
import { createReadStream } from 'node:fs';
import { setImmediate } from 'node:timers/promises';
import { ZSymbol, ZTimeframe, type TBar, type TTimeframe } from '@ai-trader/contracts';
import { canonicalInstantMs, decimalNumber, SHORT_DECIMAL } from '@ai-trader/domain';
import { isCanonicalDecimal, isCanonicalWhole, parsePrice, parseTimestamp, parseVolume } from './bar-csv-values.ts';

export interface ParseBarCsvOptions {
  symbol: string;
  timeframe: TTimeframe;
  source: string; // stored on every bar, e.g. 'import:yahoo'
  file: string; // for messages only
}

export interface BarCsvError {
  /** 1-based line in the file (0: the options themselves are wrong). */
  line: number;
  detail: string;
  raw: string;
  /** 'header' and 'options' end the parse: no row can be read without them. */
  kind: 'row' | 'header' | 'options';
}

/** `checked`: the row was already canonical and its prices consistent (positive, low ≤ open/close ≤ high), so
 *  the bar's own checks (barChecks) are known to pass; series checks still apply. `t`: the epoch ms of its ts. */
export type BarCsvItem = { bar: TBar; checked?: boolean; t?: number } | { error: BarCsvError };

type Field = 'ts' | 'open' | 'high' | 'low' | 'close' | 'volume';
const FIELDS: Field[] = ['ts', 'open', 'high', 'low', 'close', 'volume'];
const ALIASES: Record<string, Field> = {
  ts: 'ts', timestamp: 'ts', time: 'ts', date: 'ts', t: 'ts',
  open: 'open', o: 'open', high: 'high', h: 'high', low: 'low', l: 'low', close: 'close', c: 'close', volume: 'volume', v: 'volume',
};

/** `file:line: detail`, the form the CLI prints and the logs carry. */
export const formatBarCsvError = (file: string, e: BarCsvError): string => `${file}${e.line ? `:${e.line}` : ''}: ${e.detail}`;

/** Splits one CSV record: commas, double-quoted cells with "" for a quote. Records never span lines here:
 *  bar files have no multi-line cells, and a stray quote is reported instead of swallowing the file. */
export function splitCsvLine(line: string): string[] | null {
  if (!line.includes('"')) return line.split(','); // the common case: no quoting at all
  const cells: string[] = [];
  let cur = '', quoted = false, i = 0;
  for (; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"' && cur.trim() === '') {
      quoted = true;
      cur = '';
    } else if (ch === ',') {
      cells.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (quoted) return null;
  cells.push(cur);
  return cells;
}

/** Which cell holds which field, or why the header cannot be used. Case and spaces do not matter;
 *  other columns (symbol, vwap, trade_count …) are ignored, except that a symbol column is checked. */
function readHeader(cells: string[]): { index: Record<Field, number>; symbolAt: number } | string {
  const names = cells.map((c) => c.trim().toLowerCase());
  const found = new Map<Field, number[]>();
  names.forEach((n, i) => {
    const f = ALIASES[n];
    if (f) found.set(f, [...(found.get(f) ?? []), i]);
  });
  const missing = FIELDS.filter((f) => !found.has(f));
  const shown = cells.map((c) => c.trim()).join(',');
  if (missing.length) return `header lacks column(s) ${missing.join(',')}; found ${shown}`;
  const twice = FIELDS.filter((f) => found.get(f)!.length > 1);
  if (twice.length) return `header names ${twice.map((f) => `${f} twice (${found.get(f)!.map((i) => cells[i]!.trim()).join(', ')})`).join('; ')}; found ${shown}`;
  const index = Object.fromEntries(FIELDS.map((f) => [f, found.get(f)![0]!])) as Record<Field, number>;
  return { index, symbolAt: names.indexOf('symbol') };
}

const rowError = (line: number, raw: string, detail: string): BarCsvItem => ({ error: { line, detail, raw, kind: 'row' } });

function optionsProblem(opts: ParseBarCsvOptions): string | null {
  return !ZSymbol.safeParse(opts.symbol).success
    ? `symbol '${opts.symbol}' must be an upper-case ticker like SPY`
    : !ZTimeframe.safeParse(opts.timeframe).success
      ? `timeframe '${opts.timeframe}' must be one of ${ZTimeframe.options.join(', ')}`
      : !opts.source
        ? 'source must not be empty'
        : null;
}

/** The parser itself, one line at a time and synchronous (the streaming wrappers below batch the I/O). */
class BarCsvLines {
  private lineNo = 0;
  private header: { index: Record<Field, number>; symbolAt: number; width: number } | null = null;
  /** Set once a header/options error ends the parse: no row can be read without them. */
  done = false;
  constructor(private readonly opts: ParseBarCsvOptions) {
    const bad = optionsProblem(opts);
    if (bad) {
      this.done = true;
      this.first = { error: { line: 0, detail: bad, raw: '', kind: 'options' } };
    }
  }
  /** An error to report before any line (bad options). */
  first: BarCsvItem | null = null;

  line(rawLine: string): BarCsvItem | null {
    if (this.done) return null;
    const lineNo = ++this.lineNo;
    let raw = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    if (lineNo === 1 && raw.startsWith('\uFEFF')) raw = raw.slice(1);
    if (raw.trim() === '') return null; // blank lines (a trailing newline, a spacer) carry nothing
    const cells = splitCsvLine(raw);
    const header = this.header;
    if (!cells) {
      if (header) return rowError(lineNo, raw, 'unbalanced double quote');
      this.done = true;
      return { error: { line: lineNo, detail: 'header has an unbalanced double quote', raw, kind: 'header' } };
    }
    if (!header) {
      const h = readHeader(cells);
      if (typeof h === 'string') {
        this.done = true;
        return { error: { line: lineNo, detail: h, raw, kind: 'header' } };
      }
      this.header = { ...h, width: cells.length };
      return null;
    }
    if (cells.length !== header.width) return rowError(lineNo, raw, `expected ${header.width} fields like the header, got ${cells.length}`);
    const opts = this.opts;
    const idx = header.index;
    // Fast path: every cell already canonical (what we write and most vendors do); no result objects.
    const fast = this.canonical(cells[idx.ts]!, canonicalInstantMs(cells[idx.ts]!), cells[idx.open]!, cells[idx.high]!, cells[idx.low]!, cells[idx.close]!, cells[idx.volume]!, header.symbolAt < 0 ? null : cells[header.symbolAt]!);
    if (fast) return fast;
    const ts = parseTimestamp(cells[idx.ts]!, opts.timeframe);
    const open = parsePrice('open', cells[idx.open]!), high = parsePrice('high', cells[idx.high]!);
    const low = parsePrice('low', cells[idx.low]!), close = parsePrice('close', cells[idx.close]!);
    const volume = parseVolume(cells[idx.volume]!);
    const sym = header.symbolAt >= 0 ? cells[header.symbolAt]!.trim() : opts.symbol;
    if ('ok' in ts && 'ok' in open && 'ok' in high && 'ok' in low && 'ok' in close && 'ok' in volume && sym === opts.symbol) {
      // Each cell parser returns only canonical values (UTC ISO instant, plain decimals, whole shares) and the
      // options were checked above, so this is a TBar as ZBar defines it (parse-bar-csv.test.ts proves it
      // against ZBar for every accepted row of its fixtures) without a schema walk per row.
      return { bar: { symbol: opts.symbol, timeframe: opts.timeframe, ts: ts.ok, open: open.ok, high: high.ok, low: low.ok, close: close.ok, volume: volume.ok, source: opts.source } };
    }
    const errs = [ts, open, high, low, close, volume].flatMap((r) => ('err' in r ? [r.err] : []));
    if (sym !== opts.symbol) errs.push(`symbol column says '${sym}', importing ${opts.symbol}`);
    return rowError(lineNo, raw, errs.join('; '));
  }

  /** The row as a bar when every cell is already canonical (what we write and most vendors do), else null.
   *  `t`: canonicalInstantMs of ts. */
  private canonical(ts: string, t: number, o: string, h: string, l: string, c: string, v: string, symbolCell: string | null): BarCsvItem | null {
    const opts = this.opts;
    if (
      opts.timeframe === '1d' || Number.isNaN(t) || !isCanonicalDecimal(o) || !isCanonicalDecimal(h) || !isCanonicalDecimal(l) || !isCanonicalDecimal(c) ||
      !isCanonicalWhole(v) || (symbolCell !== null && symbolCell.trim() !== opts.symbol)
    )
      return null;
    const bar = { symbol: opts.symbol, timeframe: opts.timeframe, ts, open: o, high: h, low: l, close: c, volume: v, source: opts.source };
    // Up to 15 significant digits a decimal string compares exactly as a double (see compareDecimal).
    if (o.length > SHORT_DECIMAL || h.length > SHORT_DECIMAL || l.length > SHORT_DECIMAL || c.length > SHORT_DECIMAL) return { bar };
    const on = decimalNumber(o), hn = decimalNumber(h), ln = decimalNumber(l), cn = decimalNumber(c);
    return { bar, checked: ln > 0 && hn >= ln && hn >= on && hn >= cn && ln <= on && ln <= cn, t };
  }

  /**
   * Every complete line of `text` (up to its last newline) into `out`, the same items `line` gives; returns
   * where the unfinished last line starts. The usual row (after the header, no quote, every cell canonical)
   * is read in place: no string per line, no array of cells. Anything else goes through `line`.
   */
  lines(text: string, out: BarCsvItem[]): number {
    let pos = 0;
    let quote = text.indexOf('"');
    for (;;) {
      if (this.done) return text.length;
      const nl = text.indexOf('\n', pos);
      if (nl < 0) return pos;
      if (quote >= 0 && quote < pos) quote = text.indexOf('"', pos);
      const fast = this.header && (quote < 0 || quote > nl) ? this.inPlace(text, pos, nl) : null;
      if (fast) {
        this.lineNo++;
        out.push(fast);
      } else {
        const item = this.line(text.slice(pos, nl));
        if (item) out.push(item);
      }
      pos = nl + 1;
    }
  }

  /** The fast path of `line` for text[from, to) without the line's string; null: let `line` decide. */
  private inPlace(text: string, from: number, to: number): BarCsvItem | null {
    const header = this.header!;
    if (to > from && text.charCodeAt(to - 1) === 13) to--; // CRLF
    const starts = this.cellStarts, ends = this.cellEnds;
    let at = from;
    for (let k = 0; k < header.width - 1; k++) {
      const comma = text.indexOf(',', at);
      if (comma < 0 || comma >= to) return null;
      starts[k] = at;
      ends[k] = comma;
      at = comma + 1;
    }
    const extra = text.indexOf(',', at);
    if (extra >= 0 && extra < to) return null;
    starts[header.width - 1] = at;
    ends[header.width - 1] = to;
    const idx = header.index, sym = header.symbolAt;
    const t = canonicalInstantMs(text, starts[idx.ts]!, ends[idx.ts]!); // read in the chunk: faster than in a slice of it
    if (Number.isNaN(t)) return null;
    return this.canonical(
      text.slice(starts[idx.ts]!, ends[idx.ts]!), t, text.slice(starts[idx.open]!, ends[idx.open]!), text.slice(starts[idx.high]!, ends[idx.high]!),
      text.slice(starts[idx.low]!, ends[idx.low]!), text.slice(starts[idx.close]!, ends[idx.close]!), text.slice(starts[idx.volume]!, ends[idx.volume]!),
      sym < 0 ? null : text.slice(starts[sym]!, ends[sym]!),
    );
  }
  private cellStarts: number[] = [];
  private cellEnds: number[] = [];

  finish(): BarCsvItem | null {
    return !this.done && !this.header ? { error: { line: this.lineNo, detail: `${this.opts.file} has no header row (it is empty)`, raw: '', kind: 'header' } } : null;
  }
}

/** One item per row that is not blank or the header. */
export async function* parseBarCsv(lines: AsyncIterable<string> | Iterable<string>, opts: ParseBarCsvOptions): AsyncGenerator<BarCsvItem> {
  const p = new BarCsvLines(opts);
  if (p.first) yield p.first;
  for await (const l of lines) {
    if (p.done) return;
    const item = p.line(l);
    if (item) yield item;
  }
  const last = p.finish();
  if (last) yield last;
}

/**
 * The file version for the CLI: reads the file in large chunks and yields the items of each chunk as one
 * array (per-row promises would cost more than the parsing); `bytesRead` tells a progress bar how far it got.
 */
export function parseBarCsvFile(file: string, opts: Omit<ParseBarCsvOptions, 'file'> & { chunkBytes?: number }): AsyncGenerator<BarCsvItem[]> & { bytesRead(): number } {
  const input = createReadStream(file, { encoding: 'utf8', highWaterMark: opts.chunkBytes ?? 64 * 1024 });
  async function* items(): AsyncGenerator<BarCsvItem[]> {
    const p = new BarCsvLines({ ...opts, file });
    if (p.first) yield [p.first];
    let rest = '';
    try {
      for await (const chunk of input as AsyncIterable<string>) {
        if (p.done) return;
        const out: BarCsvItem[] = [];
        let text = chunk;
        if (rest) {
          // Only the line cut at the chunk's start is joined (joining whole chunks would copy every byte once more).
          const nl = chunk.indexOf('\n');
          if (nl < 0) {
            rest += chunk;
            continue;
          }
          p.lines(rest + chunk.slice(0, nl + 1), out);
          text = chunk.slice(nl + 1);
        }
        rest = text.slice(p.lines(text, out));
        if (out.length) yield out;
        // A file in the page cache reads without ever waiting: let pending I/O (the database's answers, the
        // socket taking COPY data) in between chunks instead of only when the whole file is through.
        await setImmediate();
      }
      const tail = [rest ? p.line(rest) : null, p.finish()].filter((x): x is BarCsvItem => x !== null);
      if (tail.length) yield tail;
    } finally {
      input.destroy();
    }
  }
  return Object.assign(items(), { bytesRead: () => input.bytesRead });
}
