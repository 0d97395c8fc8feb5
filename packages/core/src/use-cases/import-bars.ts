// Imports a stream of parsed bars (e.g. a CSV file): malformed rows and bars that fail validation go to
// the quarantine with their reason and the row as received; the good ones are bulk-loaded (COPY,
// idempotent). The result says exactly what happened to every row.
//
// The file streams through: rows are parsed and validated while Postgres stores the bars judged before
// them (SeriesValidator holds back a window of bars so a bar out of place within it is sorted in exactly
// as validateSeries would). Everything — stored bars and quarantined rows — is one transaction: a killed
// import stores nothing, a re-run does it all. A bar far out of place (it would change a verdict already
// handed over) rolls the transaction back and the import runs again with the whole file validated at once,
// so the outcome is always exactly validateSeries' of the whole file.
import type { TBar, TTimeframe } from '@ai-trader/contracts';
import { loadBarsInTransaction, partitionMaker, type LoadResult, type PgClient, type PgPool } from '@ai-trader/db';
import { allProblems, formatReport, SeriesValidator, summarizeProblems, validateSeries, type SeriesValidation, type TBarProblem } from '@ai-trader/domain';

export type ParsedRow = { bar: TBar; checked?: boolean; t?: number } | { error: { line: number; detail: string; raw: string } };
type Rows = AsyncIterable<ParsedRow[]> | Iterable<ParsedRow[]>; // in chunks: one promise per chunk, not per row

export interface ImportOptions {
  symbol: string;
  timeframe: TTimeframe;
  source: string;
  session: 'regular' | 'extended' | 'any';
  runId?: string;
  /** Rows read so far and bars stored so far (called every few thousand rows). */
  onProgress?: (p: { rows: number; stored: number }) => void;
  /** How many later bars a bar waits for before it is judged (default 2 000); see SeriesValidator. */
  settleAfter?: number;
}

export interface ImportResult {
  rows: number;
  malformed: number;
  rejected: number;
  warnings: number;
  missing: number;
  load: LoadResult;
  byKind: Record<string, number>;
  report: string;
  /** 'stream': validated while storing; 'whole-file': a bar far out of place made it validate everything first. */
  mode: 'stream' | 'whole-file';
}

const BATCH = 2_000; // bars per batch: small, so a bar is stored (and garbage) soon after it is read
const TICK = 2_000;
const QUARANTINE_CHUNK = 5_000;

interface Malformed {
  line: number;
  detail: string;
  raw: string;
}

/** Thrown inside the producer when streaming can no longer be exact; caught below. */
class Overtaken extends Error {}

/**
 * `open` gives the rows from the start each time it is called (a file is read again only in the rare
 * whole-file fallback).
 */
export async function importBars(deps: { pool: PgPool }, open: () => Rows, o: ImportOptions): Promise<ImportResult> {
  try {
    return await importOnce(deps.pool, open, o, 'stream');
  } catch (e) {
    if (!(e instanceof Overtaken)) throw e;
    return importOnce(deps.pool, open, o, 'whole-file');
  }
}

async function importOnce(pool: PgPool, open: () => Rows, o: ImportOptions, mode: ImportResult['mode']): Promise<ImportResult> {
  const malformed: Malformed[] = [];
  let rows = 0;
  let stored = 0;
  let validation: SeriesValidation | null = null;
  const progress = () => o.onProgress?.({ rows, stored });

  // The producer: parse → validate → batches of good bars, read ahead by the loader while COPY runs.
  async function* streamed(): AsyncGenerator<TBar[]> {
    const v = new SeriesValidator({ timeframe: o.timeframe, session: o.session, symbol: o.symbol, settleAfter: o.settleAfter ?? 2_000, retain: 'problems' });
    let sinceTick = 0;
    for await (const chunk of open()) {
      for (const r of chunk) {
        if ('bar' in r) v.push(r.bar, r.checked === true, r.t);
        else malformed.push(r.error);
      }
      rows += chunk.length;
      sinceTick += chunk.length;
      if (v.overtaken) throw new Overtaken(`${v.overtaken.bar.ts} arrived as row ${v.overtaken.seq + 1}, too far out of place to stream`);
      if (sinceTick >= TICK) {
        sinceTick = 0;
        yield v.takeGood();
        progress();
      }
    }
    validation = v.end();
    yield v.takeGood();
  }
  async function* wholeFile(): AsyncGenerator<TBar[]> {
    const bars: TBar[] = [];
    for await (const chunk of open()) {
      for (const r of chunk) {
        if ('bar' in r) bars.push(r.bar);
        else malformed.push(r.error);
      }
      rows += chunk.length;
      progress();
    }
    validation = validateSeries(bars, { timeframe: o.timeframe, session: o.session, symbol: o.symbol });
    yield validation.good;
  }
  /** Re-cuts chunks of any size into batches of BATCH; the first good bars go at once, so COPY starts early. */
  async function* batches(chunks: AsyncIterable<TBar[]>): AsyncGenerator<TBar[]> {
    let buf: TBar[] = [];
    let first = true;
    for await (const c of chunks) {
      if (first && c.length) {
        first = false;
        if (c.length <= BATCH) {
          yield c;
          continue;
        }
      }
      for (let i = 0; i < c.length; ) {
        const take = Math.min(BATCH - buf.length, c.length - i);
        for (let j = 0; j < take; j++) buf.push(c[i + j]!);
        i += take;
        if (buf.length === BATCH) {
          yield buf;
          buf = [];
        }
      }
    }
    if (buf.length) yield buf;
  }
  const loaded = (r: LoadResult) => {
    stored = r.inserted + r.duplicates + r.conflicts;
    progress();
  };

  const client = await pool.connect();
  const partitions = partitionMaker(pool);
  let load: LoadResult;
  try {
    await client.query('BEGIN');
    load = await loadBarsInTransaction(client, partitions.ensure, o.timeframe, batches(mode === 'stream' ? streamed() : wholeFile()), { onProgress: loaded });
    await quarantine(client, o, malformed, validation!);
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    client.release();
    await partitions.close();
  }
  progress();

  const v: SeriesValidation = validation!;
  const problems = allProblems(v);
  const byKind: Record<string, number> = { ...summarizeProblems(problems), malformed: malformed.length };
  const head = malformed.slice(0, 20).map((m) => `  line ${m.line}: ${m.detail}`);
  const report = [
    `${rows} row(s): ${load.inserted} stored, ${load.duplicates} already stored, ${load.conflicts} differing from stored (kept as stored), ${malformed.length + v.rejected.length} quarantined, ${v.warnings.length} warning(s)`,
    ...(malformed.length ? [`malformed rows (${malformed.length}):`, ...head, ...(malformed.length > 20 ? [`  … ${malformed.length - 20} more in bar_quarantine`] : [])] : []),
    formatReport([{ symbol: o.symbol, timeframe: o.timeframe, validation: v }]),
  ].join('\n');
  return { rows, malformed: malformed.length, rejected: v.rejected.length, warnings: v.warnings.length, missing: v.missing.length, load, byKind, report, mode };
}

/** Postgres text and jsonb cannot hold U+0000: a row with a NUL byte would fail the whole import's transaction
 *  ("unsupported Unicode escape sequence", no file or line). It is kept visibly as U+2400 (␀) instead. */
const noNul = (t: string) => t.replaceAll('\u0000', '\u2400');

/** Every malformed row and rejected bar into bar_quarantine, in the import's transaction. */
async function quarantine(client: PgClient, o: ImportOptions, malformed: Malformed[], v: SeriesValidation): Promise<void> {
  const rows = [
    ...malformed.map((m) => ({ symbol: o.symbol, timeframe: o.timeframe, ts: null, kind: 'malformed', detail: noNul(`line ${m.line}: ${m.detail}`), source: o.source, raw: { line: m.line, text: noNul(m.raw) }, runId: o.runId ?? null })),
    ...v.rejected.map((r) => ({
      symbol: r.bar.symbol, timeframe: o.timeframe, ts: r.bar.ts, kind: r.problems[0]!.kind,
      detail: r.problems.map((p: TBarProblem) => p.detail).join('; '), source: o.source, raw: r.bar, runId: o.runId ?? null,
    })),
  ];
  for (let i = 0; i < rows.length; i += QUARANTINE_CHUNK) {
    await client.query(
      `INSERT INTO bar_quarantine (symbol, timeframe, ts, kind, detail, source, raw, "runId")
       SELECT symbol, timeframe, ts, kind, detail, source, raw, "runId"
       FROM jsonb_to_recordset($1::jsonb) AS x(symbol text, timeframe text, ts timestamptz, kind text, detail text, source text, raw jsonb, "runId" uuid)`,
      [JSON.stringify(rows.slice(i, i + QUARANTINE_CHUNK))],
    );
  }
}
