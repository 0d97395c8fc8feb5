// The archive file format of one bar partition: `<partition>.<sha8>.csv.gz` (gzip CSV with a header, rows sorted by
// symbol then time, every value in its exact text form) and `<partition>.manifest.json` (rows, sha256 of the gzip
// file and of the CSV, and per symbol and New York date the rows and sha256 of their lines — what a restore of one
// day checks). The manifest is replaced last, atomically: a crash leaves the old archive or the new one, never a mix.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { durableRename, fsyncPath, sha256File, writeFileDurably } from '@ai-trader/db';
import { toEt } from '@ai-trader/domain';

export const ARCHIVE_COLUMNS = ['symbol', 'ts', 'open', 'high', 'low', 'close', 'volume', 'source'] as const;
export const ARCHIVE_HEADER = `${ARCHIVE_COLUMNS.join(',')}\n`;

/** The SELECT whose CSV is an archive's lines: exact text of every value, UTC times of fixed width, byte order. */
export const archiveSelect = (from: string, where = 'TRUE') =>
  `SELECT symbol, to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS ts, open::text, high::text, low::text, close::text, volume::text, source
   FROM ${from} WHERE ${where} ORDER BY symbol COLLATE "C", ts`;

export interface DayEntry {
  rows: number;
  /** sha256 of the day's lines (each with its trailing newline), in file order. */
  sha256: string;
}

export interface ArchiveManifest {
  version: 1;
  table: string;
  partition: string;
  /** The partition's range, UTC, end exclusive. */
  from: string;
  to: string;
  columns: readonly string[];
  file: string;
  rows: number;
  bytes: number;
  /** Of the gzip file as stored. */
  sha256: string;
  /** Of the uncompressed CSV, header included. */
  csvSha256: string;
  createdAt: string;
  /** symbol → day (New York date; UTC date for daily bars) → its lines. */
  index: Record<string, Record<string, DayEntry>>;
}

export class ArchiveError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArchiveError';
  }
}

/** One archive line: the key fields and the line itself (with its newline). */
export interface ArchiveRecord {
  symbol: string;
  ts: string;
  line: string;
}

/**
 * Splits CSV text (chunks) into records. A record may span lines only inside quotes (an odd count of quote marks
 * so far); symbols and times are never quoted, so the first two fields are read directly.
 */
export async function* csvRecords(chunks: AsyncIterable<Buffer | string>, opts: { header?: boolean } = {}): AsyncGenerator<ArchiveRecord> {
  let rest = '';
  let skipHeader = opts.header ?? false;
  let pending = '';
  for await (const chunk of chunks) {
    const text = rest + (typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
    let start = 0;
    for (let nl = text.indexOf('\n', start); nl >= 0; nl = text.indexOf('\n', start)) {
      pending += text.slice(start, nl + 1);
      start = nl + 1;
      if (quoteCount(pending) % 2) continue;
      if (skipHeader) skipHeader = false;
      else yield toRecord(pending);
      pending = '';
    }
    rest = text.slice(start);
  }
  if (rest || pending) throw new ArchiveError('archive data ends in the middle of a line (truncated file?)');
}

function quoteCount(s: string): number {
  let n = 0;
  for (let i = s.indexOf('"'); i >= 0; i = s.indexOf('"', i + 1)) n++;
  return n;
}

function toRecord(line: string): ArchiveRecord {
  const a = line.indexOf(','), b = line.indexOf(',', a + 1);
  if (a <= 0 || b < 0 || line.startsWith('"')) throw new ArchiveError(`unexpected archive line: ${line.slice(0, 80)}`);
  return { symbol: line.slice(0, a), ts: line.slice(a + 1, b), line };
}

export const compareRecords = (x: ArchiveRecord, y: ArchiveRecord) => (x.symbol < y.symbol ? -1 : x.symbol > y.symbol ? 1 : x.ts < y.ts ? -1 : x.ts > y.ts ? 1 : 0);

/** The day a bar belongs to in the index: its UTC date for daily bars (stamped at midnight), else its New York date. */
export function archiveDayOf(table: string): (ts: string) => string {
  return table === 'market_data_1d' ? (ts) => ts.slice(0, 10) : nyDateOf();
}

/** New York date of an archive time; the offset is whole hours, so one lookup per UTC hour. */
export function nyDateOf(): (ts: string) => string {
  const memo = new Map<string, string>();
  return (ts) => {
    const hour = ts.slice(0, 13);
    let d = memo.get(hour);
    if (!d) memo.set(hour, (d = toEt(new Date(`${hour}:00:00Z`)).date));
    return d;
  };
}

/** Merges two sorted record streams; the same key in both must be the same line (else ArchiveError). */
export async function* mergeRecords(a: AsyncIterable<ArchiveRecord>, b: AsyncIterable<ArchiveRecord>, what: string): AsyncGenerator<ArchiveRecord> {
  const ia = a[Symbol.asyncIterator](), ib = b[Symbol.asyncIterator]();
  let x = await ia.next(), y = await ib.next();
  let last: ArchiveRecord | null = null;
  while (!x.done || !y.done) {
    let r: ArchiveRecord;
    if (y.done || (!x.done && compareRecords(x.value, y.value) < 0)) {
      r = x.value;
      x = await ia.next();
    } else if (x.done || compareRecords(x.value, y.value) > 0) {
      r = y.value;
      y = await ib.next();
    } else {
      if (x.value.line !== y.value.line)
        throw new ArchiveError(`${what}: the bar ${x.value.symbol} ${x.value.ts} is archived as ${x.value.line.trim()} but stored as ${y.value.line.trim()}; nothing was archived`);
      r = x.value;
      x = await ia.next();
      y = await ib.next();
    }
    if (last && compareRecords(last, r) >= 0) throw new ArchiveError(`${what}: records out of order at ${r.symbol} ${r.ts}`);
    last = r;
    yield r;
  }
}

/**
 * Writes `records` as the archive of `partition` into `dir`, fsyncs it, reads it back to check its checksums and
 * row count, and only then puts its manifest in place (replacing an older archive of the same partition).
 * Returns the manifest. Nothing of the old archive is removed before the new one is complete and verified.
 */
export async function writeArchive(
  dir: string,
  meta: { table: string; partition: string; from: Date; to: Date; now: Date },
  records: AsyncIterable<ArchiveRecord>,
  onRow?: (rows: number) => void,
): Promise<ArchiveManifest> {
  const tmp = path.join(dir, `${meta.partition}.csv.gz.partial`);
  const csvHash = createHash('sha256'), gzHash = createHash('sha256');
  const index: ArchiveManifest['index'] = {};
  const dayOf = archiveDayOf(meta.table);
  let rows = 0;
  let day: { symbol: string; date: string; hash: ReturnType<typeof createHash>; rows: number } | null = null;
  const closeDay = () => {
    if (day) (index[day.symbol] ??= {})[day.date] = { rows: day.rows, sha256: day.hash.digest('hex') };
  };
  async function* text(): AsyncGenerator<string> {
    csvHash.update(ARCHIVE_HEADER);
    let batch = ARCHIVE_HEADER;
    for await (const r of records) {
      const date = dayOf(r.ts);
      if (!day || day.symbol !== r.symbol || day.date !== date) {
        closeDay();
        day = { symbol: r.symbol, date, hash: createHash('sha256'), rows: 0 };
      }
      day.hash.update(r.line);
      day.rows++;
      csvHash.update(r.line);
      batch += r.line;
      if (++rows % 10_000 === 0) onRow?.(rows);
      if (batch.length >= 1 << 16) {
        yield batch;
        batch = '';
      }
    }
    closeDay();
    if (batch) yield batch;
  }
  const tap = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      gzHash.update(chunk);
      cb(null, chunk);
    },
  });
  let check: Awaited<ReturnType<typeof readArchiveChecksums>>;
  const sums = { sha256: '', csvSha256: '' };
  try {
    await pipeline(Readable.from(text()), createGzip({ level: 6 }), tap, createWriteStream(tmp));
    onRow?.(rows);
    await fsyncPath(tmp);
    sums.sha256 = gzHash.digest('hex');
    sums.csvSha256 = csvHash.digest('hex');
    // Read back what is on disk: the checksums and the row count must be what was written.
    check = await readArchiveChecksums(tmp);
    if (check.sha256 !== sums.sha256 || check.csvSha256 !== sums.csvSha256 || check.rows !== rows)
      throw new ArchiveError(`${tmp}: reading the file back gave ${check.rows} rows and other checksums than were written; nothing was archived`);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  const { sha256, csvSha256 } = sums;
  const file = `${meta.partition}.${sha256.slice(0, 8)}.csv.gz`;
  await durableRename(tmp, path.join(dir, file));
  const manifest: ArchiveManifest = {
    version: 1, table: meta.table, partition: meta.partition, from: meta.from.toISOString(), to: meta.to.toISOString(), columns: ARCHIVE_COLUMNS,
    file, rows, bytes: check.bytes, sha256, csvSha256, createdAt: meta.now.toISOString(), index,
  };
  await writeFileDurably(manifestPath(dir, meta.partition), `${JSON.stringify(manifest)}\n`);
  // Older data files of this partition are superseded (the new one holds all their rows).
  for (const f of await readdir(dir)) if (f.startsWith(`${meta.partition}.`) && f.endsWith('.csv.gz') && f !== file) await rm(path.join(dir, f), { force: true });
  return manifest;
}

/** sha256 of the gzip file, sha256 of its CSV and its row count, from the file as it is now. */
export async function readArchiveChecksums(file: string): Promise<{ sha256: string; csvSha256: string; rows: number; bytes: number }> {
  const { sha256, bytes } = await sha256File(file);
  const csvHash = createHash('sha256');
  async function* hashed(): AsyncGenerator<Buffer> {
    for await (const chunk of createReadStream(file).pipe(createGunzip())) {
      csvHash.update(chunk as Buffer);
      yield chunk as Buffer;
    }
  }
  let rows = 0;
  for await (const _ of csvRecords(hashed(), { header: true })) rows++;
  return { sha256, csvSha256: csvHash.digest('hex'), rows, bytes };
}

export const manifestPath = (dir: string, partition: string) => path.join(dir, `${partition}.manifest.json`);

export async function readManifest(dir: string, partition: string): Promise<ArchiveManifest | null> {
  const p = manifestPath(dir, partition);
  if (!(await stat(p).then(() => true, () => false))) return null;
  return JSON.parse(await readFile(p, 'utf8')) as ArchiveManifest;
}

/** Every manifest in a table's archive directory. */
export async function listManifests(dir: string): Promise<ArchiveManifest[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const out: ArchiveManifest[] = [];
  for (const n of names.filter((f) => f.endsWith('.manifest.json')).sort()) out.push(JSON.parse(await readFile(path.join(dir, n), 'utf8')) as ArchiveManifest);
  return out;
}

/** Checks a manifest's data file (size and sha256) before it is used; throws ArchiveError when it does not match. */
export async function verifyArchiveFile(dir: string, m: ArchiveManifest): Promise<string> {
  const file = path.join(dir, m.file);
  const sum = await sha256File(file).catch(() => null);
  if (!sum) throw new ArchiveError(`${file}: missing (named by ${m.partition}.manifest.json)`);
  if (sum.sha256 !== m.sha256 || sum.bytes !== m.bytes) throw new ArchiveError(`${file} does not match its manifest (sha256 or size differ): the archive is damaged`);
  return file;
}

/** The records of a verified archive file. */
export function archiveRecords(file: string): AsyncGenerator<ArchiveRecord> {
  return csvRecords(createReadStream(file).pipe(createGunzip()), { header: true });
}
