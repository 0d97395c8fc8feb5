// Validation of what is stored: completeness against the NYSE calendar, gaps, OHLC, volume, outliers,
// session — the same checks imports run, applied to the database (`ai-trader validate`, scheduled job).
import type { TBar, TTimeframe } from '@ai-trader/contracts';
import { TIMEFRAME_TABLE } from '@ai-trader/db';
import { allProblems, formatReport, toEt, validateSeries, type SeriesValidation } from '@ai-trader/domain';
import type { Deps } from '../ports.ts';
import { readFreshness, type SymbolFreshness } from './freshness.ts';

export interface ValidateStoredRequest {
  symbols: string[];
  timeframe: TTimeframe;
  from: string; // New York dates, inclusive
  to: string;
  session: 'regular' | 'extended' | 'any';
}

export interface ValidateStoredResult {
  series: { symbol: string; timeframe: TTimeframe; validation: SeriesValidation }[];
  problems: number;
  report: string;
}

export async function validateStored(deps: Pick<Deps, 'pool'>, r: ValidateStoredRequest): Promise<ValidateStoredResult> {
  const table = TIMEFRAME_TABLE[r.timeframe];
  // Generous UTC bounds around the New York dates; the validator itself judges the session.
  const lo = new Date(`${r.from}T00:00:00Z`), hi = new Date(Date.parse(`${r.to}T00:00:00Z`) + 2 * 86_400_000);
  const series: ValidateStoredResult['series'] = [];
  for (const symbol of r.symbols) {
    const rows = await deps.pool.query<{ ts: Date; open: string; high: string; low: string; close: string; volume: string; source: string }>(
      `SELECT ts, open::text, high::text, low::text, close::text, volume::text, source FROM ${table} WHERE symbol = $1 AND ts >= $2 AND ts < $3 ORDER BY ts`,
      [symbol, lo, hi],
    );
    const bars: TBar[] = rows.rows
      .map((x) => ({ symbol, timeframe: r.timeframe, ts: x.ts.toISOString().replace('.000Z', 'Z'), open: x.open, high: x.high, low: x.low, close: x.close, volume: x.volume, source: x.source }))
      .filter((b) => {
        const d = r.timeframe === '1d' ? b.ts.slice(0, 10) : toEt(new Date(b.ts)).date;
        return d >= r.from && d <= r.to;
      });
    series.push({ symbol, timeframe: r.timeframe, validation: validateSeries(bars, { timeframe: r.timeframe, session: r.session, symbol, expectComplete: { from: r.from, to: r.to } }) });
  }
  const problems = series.reduce((n, s) => n + allProblems(s.validation).length, 0);
  return { series, problems, report: formatReport(series) };
}

export interface PipelineHealth {
  freshness: SymbolFreshness[];
  quarantinedLastDay: { kind: string; count: number }[];
  failedBackfills: { id: string; error: string | null; createdAt: string }[];
  ok: boolean;
}

/** `validate --component data_pipeline`: is data arriving, is anything being rejected, did loads fail? */
export async function validateDataPipeline(deps: Pick<Deps, 'prisma' | 'redis' | 'config' | 'clock'>): Promise<PipelineHealth> {
  const since = new Date(deps.clock.now().getTime() - 86_400_000);
  const [f1, f5, q, failed] = await Promise.all([
    readFreshness(deps, '1m'),
    readFreshness(deps, '5m'),
    deps.prisma.barQuarantine.groupBy({ by: ['kind'], where: { createdAt: { gte: since } }, _count: true }),
    deps.prisma.backfillRun.findMany({ where: { status: 'failed', createdAt: { gte: since } }, orderBy: { createdAt: 'desc' }, take: 10 }),
  ]);
  const freshness = [...f1, ...f5];
  return {
    freshness,
    quarantinedLastDay: q.map((x) => ({ kind: x.kind, count: x._count })).sort((a, b) => b.count - a.count),
    failedBackfills: failed.map((r) => ({ id: r.id, error: r.error, createdAt: r.createdAt.toISOString() })),
    ok: freshness.length > 0 && freshness.every((x) => !x.stale) && failed.length === 0,
  };
}
