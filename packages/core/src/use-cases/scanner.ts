// The scanner: layer0 narrows the configured universe to what may be traded; layer1 narrows layer0's
// latest passed symbols (or, as of a given time, those of a layer0 run as of that time) to the liquid ones.
// Each run judges daily bars (stored 1d where present, else derived from the day's regular-session 5m
// bars), stores a result per symbol and its alerts, logs the alerts and tells the console. A run is
// `running` while it works, then `succeeded` with everything it found written in one transaction, or
// `failed` with the error and nothing half-written.
import {
  ZScannerAlertKind, ZScannerConfig, type TBar, type TScannerAlertView, type TScannerConfigInput,
  type TScannerLayer, type TScannerMetrics, type TScannerResultView, type TScannerRunDetail, type TScannerRunView,
} from '@ai-trader/contracts';
import { Prisma, type PgPool, type ScannerRunModel } from '@ai-trader/db';
import { aggregateBars, dec, decStr, toEt } from '@ai-trader/domain';
import type { Deps } from '../ports.ts';
import { layer0, layer1, scanAlerts, tradingDaysEndingAt, type ScanAlert, type ScanBar, type ScanCandidate, type ScanOutcome } from '@ai-trader/domain';

type ScannerDeps = Pick<Deps, 'prisma' | 'pool' | 'logger' | 'events' | 'clock'>;

export interface RunScannerInput {
  layer: TScannerLayer;
  config: TScannerConfigInput;
  /** The market time to judge: bars that ended by then count. Default: now, and layer1 then judges the
   *  latest succeeded layer0 run's symbols; given, layer1 runs layer0 as of the same time first. */
  asOf?: Date | undefined;
}

export interface RunScannerResult {
  run: TScannerRunDetail;
  /** layer1 only: the layer0 run made first, because none had succeeded or because `asOf` was given. */
  layer0?: TScannerRunDetail;
}

export interface LayerSymbols {
  runId: string;
  asOf: string;
  finishedAt: string | null;
  /** The passed symbols, best rank first. */
  symbols: string[];
}

const BAR_MS = 5 * 60_000;
const DAY_MS = 86_400_000;
const midnightZ = (date: string) => new Date(`${date}T00:00:00Z`);
const nextDate = (date: string) => new Date(Date.parse(`${date}T00:00:00Z`) + DAY_MS).toISOString().slice(0, 10);

export async function runScanner(deps: ScannerDeps, input: RunScannerInput): Promise<RunScannerResult> {
  const config = ZScannerConfig.parse(input.config);
  const asOf = input.asOf ?? deps.clock.now();
  let layer0Run: TScannerRunDetail | undefined;
  let symbols: string[] = config.layer0.symbols;
  let inputRunId: string | null = null;
  if (input.layer === 'layer1') {
    // A scan as of a given time judges the universe of that time too; one as of now takes the latest layer0.
    let from = input.asOf === undefined ? await latestLayerRun(deps, 'layer0') : null;
    if (!from) {
      deps.logger.info({ category: 'scanner', layer: 'layer1', asOf }, input.asOf ? 'scanner: running layer0 first, as of the same time' : 'scanner: no succeeded layer0 run yet, running layer0 first');
      layer0Run = (await runScanner(deps, { layer: 'layer0', config, asOf })).run;
      from = { runId: layer0Run.id, asOf: layer0Run.asOf, finishedAt: layer0Run.finishedAt, symbols: layer0Run.results.filter((r) => r.passed).map((r) => r.symbol) };
    }
    symbols = from.symbols;
    inputRunId = from.runId;
  }

  const run = await deps.prisma.scannerRun.create({
    data: { layer: input.layer, asOf, config: { ...config, ...(inputRunId ? { inputRunId } : {}) } as Prisma.InputJsonObject, symbolsIn: symbols.length },
  });
  const log = deps.logger.child({ category: 'scanner', scannerRun: run.id, layer: input.layer });
  // The event only tells the console to re-read; the database is the record, so a Redis hiccup must not fail a scan.
  const notify = () => deps.events.publish('scanner').catch((e: unknown) => log.warn({ err: e }, 'scanner: live event not published'));
  await notify();
  let alerts: ScanAlert[], passed: Set<string>, scanDate: string;
  try {
    scanDate = toEt(asOf).date;
    const uv = config.alerts.unusualVolume;
    const windowDays = Math.max(2, uv.enabled ? uv.lookbackDays + 1 : 0, input.layer === 'layer1' ? config.layer1.lookbackDays : 0);
    const candidates = await loadCandidates(deps.pool, symbols, asOf, scanDate, windowDays);
    const outcomes: ScanOutcome[] = input.layer === 'layer0' ? layer0(candidates, config.layer0, scanDate) : layer1(candidates, config.layer1, scanDate);
    passed = new Set(outcomes.filter((o) => o.passed).map((o) => o.symbol));
    alerts = scanAlerts(candidates.filter((c) => passed.has(c.symbol)), config.alerts, scanDate);
    const newest = candidates.flatMap((c) => c.bars.at(-1)?.date ?? []).sort().at(-1);
    await deps.prisma.$transaction([
      deps.prisma.scannerResult.createMany({
        data: outcomes.map((o) => ({ runId: run.id, symbol: o.symbol, passed: o.passed, rank: o.rank, reasons: o.reasons, metrics: o.metrics as Prisma.InputJsonObject })),
      }),
      deps.prisma.scannerAlert.createMany({ data: alerts.map((a) => alertRow(run.id, a)) }),
      deps.prisma.scannerRun.update({
        where: { id: run.id },
        data: { status: 'succeeded', finishedAt: deps.clock.now(), symbolsOut: passed.size, ...(newest ? { asOf: midnightZ(newest) } : {}) },
      }),
    ]);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    log.error({ err: e }, `scanner ${input.layer} failed: ${message}`);
    await deps.prisma.scannerRun
      .update({ where: { id: run.id }, data: { status: 'failed', error: message, finishedAt: deps.clock.now() } })
      .catch((e2: unknown) => log.error({ err: e2 }, 'scanner: could not mark the run failed'));
    await notify();
    throw new ScannerRunError(run.id, input.layer, e);
  }
  for (const a of alerts) log.info({ category: 'scanner.alerts', symbol: a.symbol, kind: a.kind, date: a.date, ...a.metrics }, `scanner alert ${a.symbol} ${a.kind}: ${a.detail}`);
  log.info({ symbolsIn: symbols.length, symbolsOut: passed.size, alerts: alerts.length, scanDate }, `scanner ${input.layer}: ${passed.size} of ${symbols.length} passed`);
  await notify();
  return { run: (await getScannerRun(deps, run.id))!, ...(layer0Run ? { layer0: layer0Run } : {}) };
}

function alertRow(runId: string, a: ScanAlert) {
  return { runId, symbol: a.symbol, kind: a.kind, ts: midnightZ(a.date), detail: a.detail, metrics: a.metrics as Prisma.InputJsonObject };
}

/** A run that failed (it is stored as failed with this error); `cause` is what went wrong. */
export class ScannerRunError extends Error {
  constructor(readonly runId: string, readonly layer: TScannerLayer, cause: unknown) {
    super(`scanner ${layer} run ${runId} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'ScannerRunError';
  }
}

/** A layer asked for before it ever succeeded: the message says what to run. */
export class NoScannerRunError extends Error {
  constructor(readonly layer: TScannerLayer) {
    super(`no succeeded ${layer} scan yet; run ai-trader scan --layer ${layer} first`);
    this.name = 'NoScannerRunError';
  }
}

/** The latest succeeded run of `layer` and its passed symbols, ranked; null when there is none. */
export async function latestLayerRun(deps: Pick<Deps, 'prisma'>, layer: TScannerLayer): Promise<LayerSymbols | null> {
  const run = await deps.prisma.scannerRun.findFirst({ where: { layer, status: 'succeeded' }, orderBy: { startedAt: 'desc' } });
  if (!run) return null;
  const rows = await deps.prisma.scannerResult.findMany({ where: { runId: run.id, passed: true }, orderBy: [{ rank: 'asc' }, { symbol: 'asc' }], select: { symbol: true } });
  return { runId: run.id, asOf: run.asOf.toISOString(), finishedAt: run.finishedAt?.toISOString() ?? null, symbols: rows.map((r) => r.symbol) };
}

/** The passed symbols of the latest succeeded run of `layer`, best rank first. Throws NoScannerRunError when there is none. */
export async function latestLayerSymbols(deps: Pick<Deps, 'prisma'>, layer: TScannerLayer): Promise<string[]> {
  const run = await latestLayerRun(deps, layer);
  if (!run) throw new NoScannerRunError(layer);
  return run.symbols;
}

export async function listScannerRuns(deps: Pick<Deps, 'prisma'>, input: { layer?: TScannerLayer | undefined; limit: number }): Promise<TScannerRunView[]> {
  const rows = await deps.prisma.scannerRun.findMany({
    where: input.layer ? { layer: input.layer } : {},
    orderBy: { startedAt: 'desc' },
    take: input.limit,
    include: { _count: { select: { alerts: true } } },
  });
  return rows.map((r) => runView(r, r._count.alerts));
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** One run with its results (passed by rank, then failed by symbol) and its alerts; null if there is no such run. */
export async function getScannerRun(deps: Pick<Deps, 'prisma'>, id: string): Promise<TScannerRunDetail | null> {
  if (!UUID.test(id)) return null;
  const r = await deps.prisma.scannerRun.findUnique({ where: { id }, include: { results: true, alerts: { orderBy: [{ symbol: 'asc' }, { kind: 'asc' }] } } });
  if (!r) return null;
  const results: TScannerResultView[] = r.results
    .map((x) => ({ symbol: x.symbol, passed: x.passed, rank: x.rank, metrics: x.metrics as TScannerMetrics, reasons: x.reasons }))
    .sort((a, b) => (a.rank ?? Infinity) - (b.rank ?? Infinity) || (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0));
  const alerts: TScannerAlertView[] = r.alerts.map((a) => ({
    id: a.id, symbol: a.symbol, kind: ZScannerAlertKind.parse(a.kind), ts: a.ts.toISOString(), detail: a.detail, metrics: a.metrics as TScannerMetrics,
  }));
  const { inputRunId: _, ...config } = r.config as Record<string, unknown>;
  return { ...runView(r, alerts.length), config, results, alerts };
}

function runView(r: ScannerRunModel, alertCount: number): TScannerRunView {
  const inputRunId = (r.config as { inputRunId?: unknown } | null)?.inputRunId;
  return {
    id: r.id, layer: r.layer as TScannerLayer, status: r.status, asOf: r.asOf.toISOString(), startedAt: r.startedAt.toISOString(),
    finishedAt: r.finishedAt?.toISOString() ?? null, symbolsIn: r.symbolsIn, symbolsOut: r.symbolsOut, error: r.error,
    inputRunId: typeof inputRunId === 'string' ? inputRunId : null, alertCount,
  };
}

// ——— reading bars ———

interface PgBar { symbol: string; date?: string; ts?: Date; open: string; high: string; low: string; close: string; volume: string }
const scanBar = (date: string, b: Pick<PgBar, 'open' | 'high' | 'low' | 'close' | 'volume'>, derived: boolean): ScanBar => ({
  date, open: decStr(dec(b.open)), high: decStr(dec(b.high)), low: decStr(dec(b.low)), close: decStr(dec(b.close)), volume: b.volume, ...(derived ? { derived } : {}),
});

/**
 * Each symbol's daily bars over the `windowDays` trading days ending at `scanDate` (and, for a symbol whose
 * last bar is older than that, its last bar), its trading days with bars and first date over the whole
 * stored history. Only bars that had ended by `asOf` count.
 */
async function loadCandidates(pool: PgPool, symbols: string[], asOf: Date, scanDate: string, windowDays: number) {
  const lastIntraday = new Date(asOf.getTime() - BAR_MS); // a 5m bar that started later had not ended
  const from = tradingDaysEndingAt(scanDate, windowDays)[0]!;
  const history = await pool.query<{ symbol: string; days: number; first: string; last: string }>(
    `SELECT symbol, count(*)::int AS days, to_char(min(d), 'YYYY-MM-DD') AS first, to_char(max(d), 'YYYY-MM-DD') AS last FROM (
       SELECT symbol, (ts AT TIME ZONE 'UTC')::date AS d FROM market_data_1d WHERE symbol = ANY($1) AND ts <= $2
       UNION
       SELECT symbol, (ts AT TIME ZONE 'America/New_York')::date FROM market_data_5m
        WHERE symbol = ANY($1) AND ts <= $3
          AND (ts AT TIME ZONE 'America/New_York')::time >= '09:30' AND (ts AT TIME ZONE 'America/New_York')::time < '16:00'
     ) x GROUP BY symbol`,
    [symbols, midnightZ(scanDate), lastIntraday],
  );
  const hist = new Map(history.rows.map((r) => [r.symbol, r]));
  const bars = await loadDaily(pool, symbols, from, scanDate, lastIntraday);
  // A symbol that stopped trading before the window still shows its last bar (layer0 judges it stale).
  for (const s of symbols) {
    const last = hist.get(s)?.last;
    if (last && last < from) {
      bars.set(s, (await loadDaily(pool, [s], last, last, lastIntraday)).get(s) ?? []);
    }
  }
  const candidates: ScanCandidate[] = symbols.map((symbol) => ({
    symbol, bars: bars.get(symbol) ?? [], historyDays: hist.get(symbol)?.days ?? 0, firstDate: hist.get(symbol)?.first ?? null,
  }));
  return candidates;
}

/** Daily bars from..to (New York dates): stored 1d bars, and for days without one, the day's 5m bars aggregated. */
async function loadDaily(pool: PgPool, symbols: string[], from: string, to: string, lastIntraday: Date) {
  const stored = await pool.query<PgBar & { date: string }>(
    `SELECT symbol, to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS date, open::text, high::text, low::text, close::text, volume::text
       FROM market_data_1d WHERE symbol = ANY($1) AND ts >= $2 AND ts <= $3 ORDER BY symbol, ts`,
    [symbols, midnightZ(from), midnightZ(to)],
  );
  // Regular-session bars of the dates from..to lie between from 00:00Z and the next day's 00:00Z in UTC.
  const intraday = await pool.query<PgBar & { ts: Date }>(
    `SELECT m.symbol, m.ts, m.open::text, m.high::text, m.low::text, m.close::text, m.volume::text FROM market_data_5m m
      WHERE m.symbol = ANY($1) AND m.ts >= $2 AND m.ts < $3 AND m.ts <= $4
        AND NOT EXISTS (SELECT 1 FROM market_data_1d d WHERE d.symbol = m.symbol
                          AND d.ts = date_trunc('day', m.ts AT TIME ZONE 'America/New_York') AT TIME ZONE 'UTC')
      ORDER BY m.symbol, m.ts`,
    [symbols, midnightZ(from), midnightZ(nextDate(to)), lastIntraday],
  );
  const bars = new Map<string, ScanBar[]>();
  for (const r of stored.rows) (bars.get(r.symbol) ?? bars.set(r.symbol, []).get(r.symbol)!).push(scanBar(r.date, r, false));
  const fiveMinute = new Map<string, TBar[]>();
  for (const r of intraday.rows)
    (fiveMinute.get(r.symbol) ?? fiveMinute.set(r.symbol, []).get(r.symbol)!).push({ ...r, timeframe: '5m', ts: r.ts.toISOString(), source: 'db' });
  for (const [symbol, xs] of fiveMinute) {
    const days = aggregateBars(xs, '1d', { session: 'regular' }).bars.filter((b) => b.ts.slice(0, 10) >= from && b.ts.slice(0, 10) <= to);
    if (!days.length) continue;
    const list = bars.get(symbol) ?? bars.set(symbol, []).get(symbol)!;
    list.push(...days.map((b) => scanBar(b.ts.slice(0, 10), b, true)));
    list.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
  }
  return bars;
}
