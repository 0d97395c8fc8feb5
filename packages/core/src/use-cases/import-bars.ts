// Imports a stream of parsed bars (e.g. a CSV file): malformed rows and bars that fail validation go to
// the quarantine with their reason and the row as received; the good ones are bulk-loaded (COPY,
// idempotent). The result says exactly what happened to every row.
import type { TBar, TTimeframe } from '@ai-trader/contracts';
import { batched, loadBars, type Db, type LoadResult, type PgPool } from '@ai-trader/db';
import { allProblems, formatReport, summarizeProblems, validateSeries, type SeriesValidation, type TBarProblem } from '@ai-trader/domain';

export type ParsedRow = { bar: TBar } | { error: { line: number; detail: string; raw: string } };

export interface ImportOptions {
  symbol: string;
  timeframe: TTimeframe;
  source: string;
  session: 'regular' | 'extended' | 'any';
  runId?: string;
  onProgress?: (stage: 'parse' | 'load', done: number, total?: number) => void;
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
}

const BATCH = 20_000;

export async function importBars(deps: { prisma: Db; pool: PgPool }, rows: AsyncIterable<ParsedRow> | Iterable<ParsedRow>, o: ImportOptions): Promise<ImportResult> {
  const bars: TBar[] = [];
  const malformed: { line: number; detail: string; raw: string }[] = [];
  let n = 0;
  for await (const r of rows) {
    n++;
    if ('bar' in r) bars.push(r.bar);
    else malformed.push(r.error);
    if (n % 50_000 === 0) o.onProgress?.('parse', n);
  }
  const validation: SeriesValidation = bars.length
    ? validateSeries(bars, { timeframe: o.timeframe, session: o.session, symbol: o.symbol })
    : { good: [], rejected: [], warnings: [], missing: [] };

  // Quarantine first: if the process dies after this, a re-run quarantines again (harmless, visible)
  // but never loses a rejected row.
  const quarantine = [
    ...malformed.map((m) => ({ symbol: o.symbol, timeframe: o.timeframe, ts: null, kind: 'malformed', detail: `line ${m.line}: ${m.detail}`, source: o.source, raw: { line: m.line, text: m.raw }, runId: o.runId ?? null })),
    ...validation.rejected.map((r) => ({
      symbol: r.bar.symbol, timeframe: o.timeframe, ts: new Date(r.bar.ts), kind: r.problems[0]!.kind,
      detail: r.problems.map((p: TBarProblem) => p.detail).join('; '), source: o.source, raw: r.bar, runId: o.runId ?? null,
    })),
  ];
  for (let i = 0; i < quarantine.length; i += 5000) await deps.prisma.barQuarantine.createMany({ data: quarantine.slice(i, i + 5000) });

  let loaded = 0;
  async function* withProgress() {
    for await (const b of batched(validation.good, BATCH)) {
      yield b;
      loaded += b.length;
      o.onProgress?.('load', loaded, validation.good.length);
    }
  }
  const load = await loadBars(deps.pool, o.timeframe, withProgress());
  const problems = allProblems(validation);
  const byKind: Record<string, number> = { ...summarizeProblems(problems), malformed: malformed.length };
  const head = malformed.slice(0, 20).map((m) => `  line ${m.line}: ${m.detail}`);
  const report = [
    `${n} row(s): ${load.inserted} stored, ${load.duplicates} already stored, ${load.conflicts} differing from stored (kept as stored), ${malformed.length + validation.rejected.length} quarantined, ${validation.warnings.length} warning(s)`,
    ...(malformed.length ? [`malformed rows (${malformed.length}):`, ...head, ...(malformed.length > 20 ? [`  … ${malformed.length - 20} more in bar_quarantine`] : [])] : []),
    formatReport([{ symbol: o.symbol, timeframe: o.timeframe, validation }]),
  ].join('\n');
  return { rows: n, malformed: malformed.length, rejected: validation.rejected.length, warnings: validation.warnings.length, missing: validation.missing.length, load, byKind, report };
}
