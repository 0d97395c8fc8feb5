// Parses a bar CSV line by line for `ai-trader data import FILE --symbol S --timeframe T`: one bar or one
// error per row, so a bad row costs one line of the report, never the file. Series checks come after (validateSeries).
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { ZBar, ZSymbol, ZTimeframe, type TBar, type TTimeframe } from '@ai-trader/contracts';
import { parsePrice, parseTimestamp, parseVolume, type Cell } from './bar-csv-values.ts';

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

export type BarCsvItem = { bar: TBar } | { error: BarCsvError };

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

export async function* parseBarCsv(lines: AsyncIterable<string> | Iterable<string>, opts: ParseBarCsvOptions): AsyncGenerator<BarCsvItem> {
  const badOption = !ZSymbol.safeParse(opts.symbol).success
    ? `symbol '${opts.symbol}' must be an upper-case ticker like SPY`
    : !ZTimeframe.safeParse(opts.timeframe).success
      ? `timeframe '${opts.timeframe}' must be one of ${ZTimeframe.options.join(', ')}`
      : !opts.source
        ? 'source must not be empty'
        : null;
  if (badOption) {
    yield { error: { line: 0, detail: badOption, raw: '', kind: 'options' } };
    return;
  }

  let lineNo = 0;
  let header: { index: Record<Field, number>; symbolAt: number; width: number } | null = null;
  for await (const rawLine of lines) {
    lineNo++;
    const raw = rawLine.replace(/\r$/, '').replace(/^\uFEFF/, lineNo === 1 ? '' : '\uFEFF');
    if (raw.trim() === '') continue; // blank lines (a trailing newline, a spacer) carry nothing
    const cells = splitCsvLine(raw);
    const rowError = (detail: string): BarCsvItem => ({ error: { line: lineNo, detail, raw, kind: 'row' } });
    if (!cells) {
      yield header ? rowError('unbalanced double quote') : { error: { line: lineNo, detail: 'header has an unbalanced double quote', raw, kind: 'header' } };
      if (!header) return;
      continue;
    }
    if (!header) {
      const h = readHeader(cells);
      if (typeof h === 'string') {
        yield { error: { line: lineNo, detail: h, raw, kind: 'header' } };
        return;
      }
      header = { ...h, width: cells.length };
      continue;
    }
    if (cells.length !== header.width) {
      yield rowError(`expected ${header.width} fields like the header, got ${cells.length}`);
      continue;
    }
    const cell = (f: Field) => cells[header!.index[f]]!;
    const results: [Field, Cell][] = [
      ['ts', parseTimestamp(cell('ts'), opts.timeframe)],
      ...(['open', 'high', 'low', 'close'] as const).map((f): [Field, Cell] => [f, parsePrice(f, cell(f))]),
      ['volume', parseVolume(cell('volume'))],
    ];
    const errs = results.flatMap(([, r]) => ('err' in r ? [r.err] : []));
    const sym = header.symbolAt >= 0 ? cells[header.symbolAt]!.trim() : opts.symbol;
    if (sym !== opts.symbol) errs.push(`symbol column says '${sym}', importing ${opts.symbol}`);
    if (errs.length) {
      yield rowError(errs.join('; '));
      continue;
    }
    const v = Object.fromEntries(results.map(([f, r]) => [f, (r as { ok: string }).ok])) as Record<Field, string>;
    // The contract is the last word: whatever passes here is a TBar every consumer accepts.
    const parsed = ZBar.safeParse({ symbol: opts.symbol, timeframe: opts.timeframe, source: opts.source, ...v });
    if (parsed.success) yield { bar: parsed.data };
    else yield rowError(parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; '));
  }
  if (!header) yield { error: { line: lineNo, detail: `${opts.file} has no header row (it is empty)`, raw: '', kind: 'header' } };
}

/** The file version for the CLI: streams the file line by line (a 1m history is tens of MB). */
export function parseBarCsvFile(file: string, opts: Omit<ParseBarCsvOptions, 'file'>): AsyncGenerator<BarCsvItem> {
  const lines = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  return parseBarCsv(lines, { ...opts, file });
}
