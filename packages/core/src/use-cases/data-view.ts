// The Data page: how fresh each symbol's bars are (Redis, as risk and health read it) next to the newest stored
// bar, what was quarantined and why, the data alerts, and gaps found by validating stored bars (validate-stored).
import type { TAlertView, TDataView, TFreshnessRow, TGapsInput, TGapsResult, TQuarantineInput, TQuarantinePage, TTimeframe } from '@ai-trader/contracts';
import { allProblems, TIMEFRAME_MINUTES, type TBarProblem } from '@ai-trader/domain';
import { keys } from '../infra/redis.ts';
import type { Deps } from '../ports.ts';
import { listAlerts } from './alerts.ts';
import { readFreshness } from './freshness.ts';
import { expectedFeedSymbols } from './monitor-freshness.ts';
import { validateStored } from './validate-stored.ts';

type DataViewDeps = Pick<Deps, 'prisma' | 'pool' | 'redis' | 'config' | 'clock'>;

const TIMEFRAMES: TTimeframe[] = ['1m', '5m', '1h', '1d'];
/** At most this many symbols get a "newest stored bar" lookup (four index probes each). */
const STORED_SYMBOLS = 50;
const RAW_CHARS = 300;
const RUNS_PER_SERIES = 50;
/** The widest range one gaps check may cover, in calendar days, per timeframe (the bars are read into memory). */
const MAX_SPAN_DAYS: Record<TTimeframe, number> = { '1m': 7, '5m': 31, '1h': 92, '1d': 731 };

export async function getDataView(deps: DataViewDeps): Promise<TDataView> {
  const c = deps.config;
  const now = deps.clock.now();
  const expected = new Set(expectedFeedSymbols(c));
  const [perTf, feedSince, lastDay, latest, staleAlerts, validationAlerts] = await Promise.all([
    Promise.all(TIMEFRAMES.map((tf) => readFreshness(deps, tf))),
    deps.redis.get(keys(c.REDIS_PREFIX).feedActive),
    deps.prisma.barQuarantine.groupBy({ by: ['kind'], where: { createdAt: { gte: new Date(now.getTime() - 86_400_000) } }, _count: true }),
    listQuarantine(deps, { limit: 25 }),
    listAlerts(deps, { keyPrefix: 'feed.stale:', limit: 10 }),
    listAlerts(deps, { keyPrefix: 'data.validation:', limit: 10 }),
  ]);
  const freshness: TFreshnessRow[] = [];
  TIMEFRAMES.forEach((tf, i) => {
    const seen = new Set<string>();
    for (const f of perTf[i]!) {
      seen.add(f.symbol);
      freshness.push({ symbol: f.symbol, timeframe: tf, lastBarTs: f.lastBarTs, arrivedAt: f.arrivedAt, ageSeconds: f.ageSeconds, stale: f.stale, expected: expected.has(f.symbol) });
    }
    // The feed delivers 5m bars (and 1m where it streams minutes): an expected symbol never seen is a gap too.
    if (tf === '5m')
      for (const s of expected) if (!seen.has(s)) freshness.push({ symbol: s, timeframe: tf, lastBarTs: null, arrivedAt: null, ageSeconds: null, stale: true, expected: true });
  });
  freshness.sort((a, b) => a.symbol.localeCompare(b.symbol) || TIMEFRAME_MINUTES[a.timeframe] - TIMEFRAME_MINUTES[b.timeframe]);

  const symbols = [...new Set([...expected, ...freshness.map((f) => f.symbol)])].sort().slice(0, STORED_SYMBOLS);
  const stored = await storedNewest(deps, symbols);
  const rank = { critical: 0, warning: 1, info: 2 } as const;
  const alerts: TAlertView[] = [...staleAlerts, ...validationAlerts].sort(
    (a, b) => Number(a.resolvedAt !== null) - Number(b.resolvedAt !== null) || rank[a.level] - rank[b.level] || b.lastAt.localeCompare(a.lastAt),
  );
  return {
    asOf: now.toISOString(),
    staleAfterSeconds: c.STALE_AFTER_SECONDS,
    feed: { name: c.FEED, running: feedSince !== null, since: feedSince },
    freshness,
    stored,
    quarantine: { lastDay: lastDay.map((q) => ({ kind: q.kind, count: q._count })).sort((a, b) => b.count - a.count || a.kind.localeCompare(b.kind)), latest },
    alerts,
  };
}

/** The newest stored bar per symbol and timeframe: one primary-key probe each (symbol, ts) per partitioned table. */
async function storedNewest(deps: Pick<Deps, 'pool'>, symbols: string[]): Promise<TDataView['stored']> {
  if (!symbols.length) return [];
  const { rows } = await deps.pool.query<{ symbol: string } & Record<TTimeframe, Date | null>>(
    `SELECT s.symbol,
            (SELECT max(ts) FROM market_data_1m WHERE symbol = s.symbol) AS "1m",
            (SELECT max(ts) FROM market_data_5m WHERE symbol = s.symbol) AS "5m",
            (SELECT max(ts) FROM market_data_1h WHERE symbol = s.symbol) AS "1h",
            (SELECT max(ts) FROM market_data_1d WHERE symbol = s.symbol) AS "1d"
       FROM unnest($1::text[]) AS s(symbol) ORDER BY s.symbol`,
    [symbols],
  );
  return rows.map((r) => ({ symbol: r.symbol, newest: Object.fromEntries(TIMEFRAMES.map((tf) => [tf, r[tf]?.toISOString() ?? null])) as Record<TTimeframe, string | null> }));
}

/** Quarantined bars, newest first, paged by id. */
export async function listQuarantine(deps: Pick<Deps, 'prisma'>, input: Partial<TQuarantineInput>): Promise<TQuarantinePage> {
  const limit = input.limit ?? 25;
  const rows = await deps.prisma.barQuarantine.findMany({
    where: {
      ...(input.symbol ? { symbol: input.symbol } : {}),
      ...(input.timeframe ? { timeframe: input.timeframe } : {}),
      ...(input.beforeId ? { id: { lt: BigInt(input.beforeId) } } : {}),
    },
    orderBy: { id: 'desc' },
    take: limit + 1,
  });
  const page = rows.slice(0, limit);
  return {
    rows: page.map((r) => {
      const raw = JSON.stringify(r.raw);
      return {
        id: r.id.toString(), symbol: r.symbol, timeframe: r.timeframe, ts: r.ts?.toISOString() ?? null, kind: r.kind, detail: r.detail, source: r.source,
        raw: raw.length > RAW_CHARS ? `${raw.slice(0, RAW_CHARS - 1)}…` : raw, runId: r.runId, createdAt: r.createdAt.toISOString(),
      };
    }),
    nextBeforeId: rows.length > limit ? page.at(-1)!.id.toString() : null,
  };
}

/** Validates stored bars of the range (the checks imports run) and folds the problems into runs per series. */
export async function findGaps(deps: Pick<Deps, 'pool'>, input: TGapsInput): Promise<TGapsResult> {
  if (input.from > input.to) throw new RangeError(`from ${input.from} is after to ${input.to}`);
  const span = (Date.parse(`${input.to}T00:00:00Z`) - Date.parse(`${input.from}T00:00:00Z`)) / 86_400_000 + 1;
  if (span > MAX_SPAN_DAYS[input.timeframe])
    throw new RangeError(`${input.from}…${input.to} is ${span} days: a ${input.timeframe} check covers at most ${MAX_SPAN_DAYS[input.timeframe]} days`);
  const symbols = [...new Set(input.symbols)];
  const v = await validateStored(deps, { symbols, timeframe: input.timeframe, from: input.from, to: input.to, session: input.session });
  return {
    from: input.from, to: input.to, timeframe: input.timeframe,
    series: v.series.map((s) => {
      const runs = foldRuns(allProblems(s.validation), input.timeframe);
      return {
        symbol: s.symbol, good: s.validation.goodCount, rejected: s.validation.rejected.length, warnings: s.validation.warnings.length,
        missing: s.validation.missing.length, runs: runs.slice(0, RUNS_PER_SERIES), more: Math.max(0, runs.length - RUNS_PER_SERIES),
      };
    }),
  };
}

/** Problems of one kind on consecutive slots become one run; runs are in time order. */
function foldRuns(problems: TBarProblem[], tf: TTimeframe): TGapsResult['series'][number]['runs'] {
  const step = TIMEFRAME_MINUTES[tf] * 60_000;
  const sorted = [...problems].sort((a, b) => a.kind.localeCompare(b.kind) || Date.parse(a.ts) - Date.parse(b.ts) || 0);
  const runs: TGapsResult['series'][number]['runs'] = [];
  for (const p of sorted) {
    const last = runs.at(-1);
    if (last && last.kind === p.kind && Date.parse(p.ts) - Date.parse(last.to) === step) {
      last.to = p.ts;
      last.count++;
    } else runs.push({ kind: p.kind, severity: p.severity, from: p.ts, to: p.ts, count: 1, detail: p.detail });
  }
  return runs.sort((a, b) => Date.parse(a.from) - Date.parse(b.from) || a.kind.localeCompare(b.kind) || 0);
}
