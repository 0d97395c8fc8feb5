// Features of stored bars, kept in the `features` table: the CLI's batch over a range (computeStoredFeatures),
// the worker's update after each ingested bar (updateFeaturesForBar: one engine step in the steady state),
// and reading them back in time order (readFeatures).
import type { TBar, TTimeframe } from '@ai-trader/contracts';
import { TIMEFRAME_TABLE, type PgPool } from '@ai-trader/db';
import { createFeatureEngine, etOffsetMinutes, FEATURE_SET_VERSION, FEATURE_WARMUP_BARS, type FeatureEngine, type FeatureVector } from '@ai-trader/domain';
import { UnrecoverableError } from 'bullmq';
import type { Deps } from '../ports.ts';

/** Bars read per range query: a year of 5-minute bars is ~40 queries per symbol, never one giant result. */
const READ_BATCH = 5000;
/** Rows per upsert statement. */
const WRITE_BATCH = 2000;
/** Bars an engine is rebuilt from: windowed features come out exactly as in a batch run, and the
 *  long-memory ones (EMA, Wilder RSI/ATR) within 1e-5 relative (start-up error × (13/14)^180 ≈ 1.6e-6). */
export const FEATURE_REBUILD_BARS = FEATURE_WARMUP_BARS * 3;
/** Bars a ranged batch warms up on: a thousand bars cost milliseconds once per symbol, and push the start-up
 *  error of the long-memory features to (13/14)^1000 ≈ 1e-32, so re-running over a range finds the rows of a
 *  run over all history unchanged (with the worker's 180 they differ in the 6th significant digit). */
const BATCH_WARMUP_BARS = 1000;
/** Engines kept in memory per process (per pool): ~7 KiB each when warm (bench/features.bench.ts), ~3.5 MB in all. */
export const MAX_FEATURE_ENGINES = 500;

const DAY_MS = 86_400_000;
const STEP_MS: Record<TTimeframe, number> = { '1m': 60_000, '5m': 300_000, '1h': 3_600_000, '1d': DAY_MS };

export class FeaturesInputError extends Error {}

interface BarRow { ts: Date; open: string; high: string; low: string; close: string; volume: string }
const BAR_COLUMNS = 'ts, open::text AS open, high::text AS high, low::text AS low, close::text AS close, volume::text AS volume';
const isoZ = (d: Date): string => d.toISOString().replace('.000Z', 'Z');
const toBar = (symbol: string, timeframe: TTimeframe, r: BarRow): TBar =>
  ({ symbol, timeframe, ts: isoZ(r.ts), open: r.open, high: r.high, low: r.low, close: r.close, volume: r.volume, source: 'stored' });

// Constant columns as parameters, the rows as one jsonb array; a row whose values and version are already
// stored is left alone (no dead tuple, and rowCount counts only real writes).
const UPSERT = `
INSERT INTO features (symbol, timeframe, ts, "setVersion", "values", "computedAt")
SELECT $1, $2, r.ts, $3, r.v, now() FROM jsonb_to_recordset($4::jsonb) AS r(ts timestamptz, v jsonb)
ON CONFLICT (symbol, timeframe, ts) DO UPDATE
  SET "setVersion" = EXCLUDED."setVersion", "values" = EXCLUDED."values", "computedAt" = EXCLUDED."computedAt"
  WHERE features."setVersion" IS DISTINCT FROM EXCLUDED."setVersion" OR features."values" IS DISTINCT FROM EXCLUDED."values"`;

/** Upserts feature rows of one symbol; returns how many were inserted or changed. */
async function writeFeatures(pool: PgPool, symbol: string, timeframe: TTimeframe, rows: { ts: string; v: FeatureVector }[]): Promise<number> {
  if (!rows.length) return 0;
  const r = await pool.query(UPSERT, [symbol, timeframe, FEATURE_SET_VERSION, JSON.stringify(rows)]);
  return r.rowCount ?? 0;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** The instant a New York date begins (daily bars are stamped at 00:00Z of their date instead). */
function dayStart(date: string, timeframe: TTimeframe): number {
  const utcMidnight = Date.parse(`${date}T00:00:00Z`);
  // 05:00Z is before either DST switch (07:00Z / 06:00Z), so it carries the offset New York midnight had.
  return timeframe === '1d' ? utcMidnight : utcMidnight - etOffsetMinutes(utcMidnight + 5 * 3_600_000) * 60_000;
}

function checkDate(name: string, v: string | undefined): void {
  if (v !== undefined && (!DATE.test(v) || Number.isNaN(Date.parse(v)) || new Date(v).toISOString().slice(0, 10) !== v))
    throw new FeaturesInputError(`${name} ${v}: must be a date like 2025-06-04`);
}

export interface ComputeStoredFeaturesRequest {
  symbols: string[];
  timeframe: TTimeframe;
  /** New York dates (YYYY-MM-DD), inclusive; without them, every stored bar. */
  from?: string | undefined;
  to?: string | undefined;
  /** Bars done and total, over all symbols; called after every read batch. */
  onProgress?: (p: { symbol: string; done: number; total: number }) => void;
}

export interface SymbolFeatures {
  symbol: string;
  bars: number; // bars in the range: one feature row each
  written: number; // rows inserted or changed
  unchanged: number; // rows already stored with the same values and version
  warmup: number; // bars before `from` fed to the engine first, so the first rows are not cold
  first: string | null;
  last: string | null;
  /** Intraday only: places inside one New York day where stored bars are further apart than one step
   *  (the features span them: returns over a gap cover more time). `ai-trader validate` says which. */
  gaps: number;
}

export interface ComputeStoredFeaturesResult {
  timeframe: TTimeframe;
  setVersion: number;
  symbols: SymbolFeatures[];
  bars: number;
  written: number;
}

/**
 * Computes the features of stored bars in time order and upserts them. Reads in batches (keyset on ts), keeps
 * one write in flight while the next batch is read and computed, and warms each engine on the bars just before
 * `from`, so a range gives the same rows as a run over all history.
 */
export async function computeStoredFeatures(deps: Pick<Deps, 'pool'>, r: ComputeStoredFeaturesRequest): Promise<ComputeStoredFeaturesResult> {
  checkDate('from', r.from);
  checkDate('to', r.to);
  if (r.from && r.to && r.from > r.to) throw new FeaturesInputError(`from ${r.from} is after to ${r.to}`);
  if (!r.symbols.length) throw new FeaturesInputError('no symbols: name at least one');
  const { pool } = deps;
  const table = TIMEFRAME_TABLE[r.timeframe];
  const lo = r.from ? new Date(dayStart(r.from, r.timeframe)) : null;
  const hi = r.to ? new Date(dayStart(new Date(Date.parse(r.to) + DAY_MS).toISOString().slice(0, 10), r.timeframe)) : null;

  const counts = await pool.query<{ symbol: string; n: number }>(
    `SELECT symbol, count(*)::int AS n FROM ${table} WHERE symbol = ANY($1) AND ts >= $2 AND ts < $3 GROUP BY symbol`, [r.symbols, lo ?? '-infinity', hi ?? 'infinity']);
  const total = counts.rows.reduce((s, x) => s + x.n, 0);
  let done = 0;
  const out: SymbolFeatures[] = [];

  for (const symbol of r.symbols) {
    out.push(await storeSymbol(pool, r.timeframe, symbol, lo, hi, (n) => {
      done += n;
      r.onProgress?.({ symbol, done, total });
    }));
  }
  return { timeframe: r.timeframe, setVersion: FEATURE_SET_VERSION, symbols: out, bars: done, written: out.reduce((n, s) => n + s.written, 0) };
}

/** One symbol's bars in [lo, hi) through one engine into the table; `progress` gets the bars of each page. */
async function storeSymbol(pool: PgPool, timeframe: TTimeframe, symbol: string, lo: Date | null, hi: Date | null, progress: (bars: number) => void): Promise<SymbolFeatures> {
  const table = TIMEFRAME_TABLE[timeframe];
  const engine = createFeatureEngine(timeframe);
  const s: SymbolFeatures = { symbol, bars: 0, written: 0, unchanged: 0, warmup: 0, first: null, last: null, gaps: 0 };
  if (lo) {
    const w = await pool.query<BarRow>(`SELECT ${BAR_COLUMNS} FROM ${table} WHERE symbol = $1 AND ts < $2 ORDER BY ts DESC LIMIT ${BATCH_WARMUP_BARS}`, [symbol, lo]);
    for (const row of w.rows.reverse()) engine.update(toBar(symbol, timeframe, row));
    s.warmup = w.rows.length;
  }
  // At most one write in flight: it runs while the next page is read and computed.
  let pending: { write: Promise<number>; size: number } | null = null;
  const settle = async () => {
    if (!pending) return;
    const { write, size } = pending;
    pending = null;
    const n = await write;
    s.written += n;
    s.unchanged += size - n;
  };
  let after: Date | string = lo ? new Date(lo.getTime() - 1) : '-infinity'; // ts is stored to the millisecond
  let prevMs = -Infinity;
  try {
    for (;;) {
      const page = await pool.query<BarRow>(
        `SELECT ${BAR_COLUMNS} FROM ${table} WHERE symbol = $1 AND ts > $2 AND ts < $3 ORDER BY ts LIMIT ${READ_BATCH}`, [symbol, after, hi ?? 'infinity']);
      if (!page.rows.length) break;
      const rows: { ts: string; v: FeatureVector }[] = new Array(page.rows.length);
      for (let i = 0; i < page.rows.length; i++) {
        const bar = toBar(symbol, timeframe, page.rows[i]!);
        rows[i] = { ts: bar.ts, v: engine.update(bar) };
        const ms = page.rows[i]!.ts.getTime();
        if (timeframe !== '1d' && ms - prevMs > STEP_MS[timeframe] && sameNyDay(prevMs, ms)) s.gaps++;
        prevMs = ms;
      }
      s.first ??= rows[0]!.ts;
      s.last = rows[rows.length - 1]!.ts;
      s.bars += rows.length;
      after = page.rows[page.rows.length - 1]!.ts;
      for (let i = 0; i < rows.length; i += WRITE_BATCH) {
        const chunk = rows.slice(i, i + WRITE_BATCH);
        await settle();
        const write = writeFeatures(pool, symbol, timeframe, chunk);
        write.catch(() => undefined); // settle() awaits it; this only keeps a failure from being "unhandled" meanwhile
        pending = { write, size: chunk.length };
      }
      progress(rows.length);
      if (page.rows.length < READ_BATCH) break;
    }
    await settle();
  } finally {
    await (pending as { write: Promise<number> } | null)?.write.catch(() => undefined); // a bad bar stops the run: let the write in flight end
  }
  return s;
}

function sameNyDay(a: number, b: number): boolean {
  if (!Number.isFinite(a)) return false;
  const day = (t: number) => Math.floor((t + etOffsetMinutes(t) * 60_000) / DAY_MS);
  return day(a) === day(b);
}

// ---- per-bar update (the worker) ----

/** Engines per pool (a pool is one database), least recently used first. */
const enginesByPool = new WeakMap<PgPool, Map<string, FeatureEngine>>();

function engines(pool: PgPool): Map<string, FeatureEngine> {
  let m = enginesByPool.get(pool);
  if (!m) enginesByPool.set(pool, (m = new Map()));
  return m;
}

function keep(cache: Map<string, FeatureEngine>, key: string, engine: FeatureEngine): void {
  cache.delete(key); // re-inserting moves it to the most recently used end
  cache.set(key, engine);
  while (cache.size > MAX_FEATURE_ENGINES) cache.delete(cache.keys().next().value!);
}

export interface FeatureBarRequest {
  symbol: string;
  timeframe: TTimeframe;
  ts: string;
}

export interface FeatureBarResult {
  ts: string;
  values: FeatureVector;
  /** incremental: one engine step; rebuilt: the engine was rebuilt from stored bars (first bar of a symbol in
   *  this process, a gap, a retry after a failed write, or an older bar); stored: already there, nothing done. */
  how: 'incremental' | 'rebuilt' | 'stored';
}

/**
 * The features of one stored bar, stored. Idempotent: a row already stored with this feature-set version is
 * returned as it is. Throws UnrecoverableError when the bar is not stored or a stored bar is unusable (retrying
 * cannot help).
 */
export async function updateFeaturesForBar(deps: Pick<Deps, 'pool'>, p: FeatureBarRequest): Promise<FeatureBarResult> {
  const { pool } = deps;
  const at = new Date(p.ts);
  if (Number.isNaN(at.getTime())) throw new UnrecoverableError(`features ${p.symbol} ${p.timeframe}: ts '${p.ts}' is not a date`);
  const ts = isoZ(at);
  const stored = await pool.query<{ setVersion: number; values: FeatureVector }>(
    `SELECT "setVersion", "values" FROM features WHERE symbol = $1 AND timeframe = $2 AND ts = $3`, [p.symbol, p.timeframe, at]);
  if (stored.rows[0]?.setVersion === FEATURE_SET_VERSION) return { ts, values: stored.rows[0].values, how: 'stored' };

  const table = TIMEFRAME_TABLE[p.timeframe];
  const recent = await pool.query<BarRow>(`SELECT ${BAR_COLUMNS} FROM ${table} WHERE symbol = $1 AND ts <= $2 ORDER BY ts DESC LIMIT 2`, [p.symbol, at]);
  const [row, prev] = recent.rows;
  if (!row || row.ts.getTime() !== at.getTime()) throw new UnrecoverableError(`features ${p.symbol} ${p.timeframe}: no stored bar at ${ts}`);

  const key = `${p.symbol}|${p.timeframe}`;
  const cache = engines(pool);
  const cached = cache.get(key); // read after the last await: nothing else can move it before update()
  let values: FeatureVector;
  let how: FeatureBarResult['how'];
  try {
    if (cached && prev && cached.lastTs !== null && Date.parse(cached.lastTs) === prev.ts.getTime()) {
      values = cached.update(toBar(p.symbol, p.timeframe, row)); // checks the bar before it changes any state
      keep(cache, key, cached);
      how = 'incremental';
    } else {
      const window = await pool.query<BarRow>(
        `SELECT ${BAR_COLUMNS} FROM ${table} WHERE symbol = $1 AND ts <= $2 ORDER BY ts DESC LIMIT ${FEATURE_REBUILD_BARS}`, [p.symbol, at]);
      const fresh = createFeatureEngine(p.timeframe);
      let v: FeatureVector | null = null;
      for (const r of window.rows.reverse()) v = fresh.update(toBar(p.symbol, p.timeframe, r));
      values = v!;
      how = 'rebuilt';
      // An older bar (a late backfill) is computed on the side: it must not rewind the engine of the live edge.
      const now = cache.get(key);
      if (!now || now.lastTs === null || Date.parse(now.lastTs) < at.getTime()) keep(cache, key, fresh);
    }
  } catch (e) {
    // A stored bar the engine refuses (zero price, high < low: only a hand edit gets past ingest's checks)
    // fails the same way on every retry; no features, so no signal, until the bar is fixed.
    if (e instanceof RangeError) throw new UnrecoverableError(e.message);
    throw e;
  }
  await writeFeatures(pool, p.symbol, p.timeframe, [{ ts, v: values }]);
  return { ts, values, how };
}

// ---- reading ----

export interface FeatureRowOut {
  ts: string;
  setVersion: number;
  values: FeatureVector;
  computedAt: string;
}

/** Stored features of one symbol between two instants (inclusive), in time order, of every set version. */
export async function readFeatures(deps: Pick<Deps, 'pool'>, q: { symbol: string; timeframe: TTimeframe; from: string | Date; to: string | Date }): Promise<FeatureRowOut[]> {
  const from = new Date(q.from), to = new Date(q.to);
  if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime())) throw new FeaturesInputError(`from ${String(q.from)} / to ${String(q.to)}: must be instants like 2025-06-04T13:30:00Z`);
  const r = await deps.pool.query<{ ts: Date; setVersion: number; values: FeatureVector; computedAt: Date }>(
    `SELECT ts, "setVersion", "values", "computedAt" FROM features WHERE symbol = $1 AND timeframe = $2 AND ts BETWEEN $3 AND $4 ORDER BY ts`,
    [q.symbol, q.timeframe, from, to],
  );
  return r.rows.map((x) => ({ ts: isoZ(x.ts), setVersion: x.setVersion, values: x.values, computedAt: x.computedAt.toISOString() }));
}
