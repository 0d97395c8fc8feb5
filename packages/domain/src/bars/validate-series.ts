// Validates one symbol's bar series as received (import, backfill, replay): what to keep, what to reject
// and why, what to warn about, and which expected bars are absent. Pure: no I/O, nothing silently dropped.
import type { TBar, TTimeframe } from '@ai-trader/contracts';
import { dec } from '../money.ts';
import type { TBarProblem, TBarProblemKind } from './bar-problem.ts';
import { toEt } from '../calendar/nyse.ts';
import { expectedSlots, gridProblem, hhmm, isoZ, sessionProblem, type SessionMode } from './bar-session.ts';
import { findOutliers, OUTLIER_DEFAULTS } from './outlier-rule.ts';
import { barChecks } from './bar-checks.ts';

export interface ValidateSeriesOptions {
  timeframe: TTimeframe;
  /** 'regular': NYSE regular session incl. early closes; 'extended': 04:00–20:00 ET; 'any': no session
   *  check at all. Except with 'any', bars on weekends and NYSE holidays are rejected. */
  session: SessionMode;
  outlier?: { window?: number; k?: number };
  /** New York dates, inclusive: report every regular-session slot in between that has no good bar. */
  expectComplete?: { from: string; to: string };
  /** Names the series in `missing` when no bar was received at all. */
  symbol?: string;
}

export interface RejectedBar {
  bar: TBar;
  problems: TBarProblem[];
}

export interface SeriesValidation {
  good: TBar[]; // ascending by ts, unique ts
  rejected: RejectedBar[]; // ascending by ts (unparseable ts last), each with every reason that applies
  warnings: TBarProblem[]; // about bars that were kept (or an identical copy that was folded into one)
  missing: TBarProblem[]; // one missing_bar per absent slot, ascending
}

interface Entry {
  bar: TBar;
  t: number; // epoch ms, NaN when ts does not parse
  seq: number; // position as received
  rejects: TBarProblem[];
  warns: TBarProblem[];
}

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?(Z|[+-]\d{2}:\d{2})$/;
const NUMBER = /^-?\d+(\.\d+)?$/;
const VALUES = ['open', 'high', 'low', 'close', 'volume'] as const;
// Values are compared as numbers (596.96 = 596.960) where they are numbers, as text where they are not.
const sameValue = (a: string, b: string): boolean => (NUMBER.test(a) && NUMBER.test(b) ? dec(a).eq(dec(b)) : a === b);
const diff = (a: TBar, b: TBar): string =>
  VALUES.filter((k) => !sameValue(a[k], b[k])).map((k) => `${k} ${a[k]} vs ${b[k]}`).join(', ');

/** Throws RangeError only for bad options or dates outside the NYSE calendar tables (2024–2027): those are
 *  the caller's to fix; everything wrong with the bars themselves is returned, never thrown. */
export function validateSeries(bars: TBar[], opts: ValidateSeriesOptions): SeriesValidation {
  const tf = opts.timeframe;
  const params = { ...OUTLIER_DEFAULTS, ...opts.outlier };
  if (!Number.isInteger(params.window) || params.window < 2) throw new RangeError(`outlier.window must be a whole number ≥ 2, got ${params.window}`);
  if (!(params.k > 0)) throw new RangeError(`outlier.k must be positive, got ${params.k}`);
  const symbol = opts.symbol ?? bars[0]?.symbol ?? '';
  const problem = (bar: TBar, kind: TBarProblemKind, severity: 'reject' | 'warn', detail: string): TBarProblem =>
    ({ symbol: bar.symbol, timeframe: tf, ts: bar.ts, kind, severity, detail });

  const warnings: TBarProblem[] = [];
  const rejected: Entry[] = [];
  const candidates: Entry[] = [];
  const firstAt = new Map<number, Entry>();
  let latest = -Infinity;

  // Pass 1, in the order received: everything that can be judged from a bar alone or from its arrival.
  bars.forEach((bar, seq) => {
    const e: Entry = { bar, t: NaN, seq, rejects: [], warns: [] };
    const reject = (kind: TBarProblemKind, detail: string) => e.rejects.push(problem(bar, kind, 'reject', detail));
    if (bar.symbol !== symbol) reject('malformed', `symbol ${bar.symbol} in a series of ${symbol}`);
    if (bar.timeframe !== tf) reject('malformed', `timeframe ${bar.timeframe} in a ${tf} series`);
    for (const c of barChecks(bar)) reject(c.kind, c.detail);
    e.t = ISO_INSTANT.test(bar.ts) ? Date.parse(bar.ts) : NaN;
    if (Number.isNaN(e.t)) {
      reject('malformed', `ts '${bar.ts}' is not an ISO-8601 instant`);
    } else {
      const offGrid = gridProblem(e.t, tf);
      if (offGrid) reject('off_grid', offGrid);
      const outside = sessionProblem(e.t, tf, opts.session);
      if (outside) reject('outside_session', outside);
      const first = firstAt.get(e.t);
      if (first && bar.symbol === first.bar.symbol && diff(first.bar, bar) === '') {
        // An identical copy adds nothing: one is kept (or rejected) as the first was; the copy is named here.
        warnings.push(problem(bar, 'duplicate_ts', 'warn', `identical copy of the bar for ${isoZ(e.t)} (received #${first.seq + 1}, again #${seq + 1}); one kept`));
        return;
      }
      if (first) reject('duplicate_ts', `conflicts with the bar received #${first.seq + 1} for ${isoZ(e.t)} (${diff(first.bar, bar)}); the first one wins`);
      else firstAt.set(e.t, e);
      if (e.t < latest) e.warns.push(problem(bar, 'out_of_order', 'warn', `received #${seq + 1} after a bar for ${isoZ(latest)}; sorted into place`));
      latest = Math.max(latest, e.t);
    }
    (e.rejects.length ? rejected : candidates).push(e);
  });

  // Pass 2, in time order: the outlier rule needs neighbours in time, not in arrival.
  const byTime = (a: Entry, b: Entry) => (Number.isNaN(a.t) ? 1 : 0) - (Number.isNaN(b.t) ? 1 : 0) || a.t - b.t || a.seq - b.seq;
  candidates.sort(byTime);
  const outliers = findOutliers(candidates.map((e) => e.bar), tf, params);
  const kept: Entry[] = [];
  candidates.forEach((e, i) => {
    const why = outliers.get(i);
    if (why) {
      e.rejects.push(problem(e.bar, 'outlier', 'reject', why));
      rejected.push(e);
    } else kept.push(e);
  });

  for (const e of kept) {
    warnings.push(...e.warns);
    if (dec(e.bar.volume).isZero()) warnings.push(problem(e.bar, 'zero_volume', 'warn', 'volume 0: no shares traded reported for this bar'));
  }
  warnings.sort((a, b) => Date.parse(a.ts) - Date.parse(b.ts));
  rejected.sort(byTime);

  const missing = opts.expectComplete ? missingSlots(opts.expectComplete, tf, symbol, kept, rejected) : [];
  return {
    good: kept.map((e) => e.bar),
    rejected: rejected.map((e) => ({ bar: e.bar, problems: e.rejects })),
    warnings,
    missing,
  };
}

/** One missing_bar per expected slot without a good bar. A slot whose bar was rejected is a hole in the
 *  good series as well, so it is listed too, and the detail says which rejection made it. */
function missingSlots(range: { from: string; to: string }, tf: TTimeframe, symbol: string, kept: Entry[], rejected: Entry[]): TBarProblem[] {
  const have = new Set(kept.map((e) => e.t));
  const rejectedAt = new Map<number, Entry>();
  for (const e of rejected) if (!rejectedAt.has(e.t)) rejectedAt.set(e.t, e);
  return expectedSlots(range.from, range.to, tf)
    .filter((t) => !have.has(t))
    .map((t) => {
      const et = toEt(new Date(t));
      const at = tf === '1d' ? isoZ(t).slice(0, 10) : `${hhmm(et.minutes)} ET on ${et.date}`;
      const r = rejectedAt.get(t);
      const detail = r ? `the bar for ${at} was rejected (${[...new Set(r.rejects.map((p) => p.kind))].join(', ')})` : `no bar for ${at}`;
      return { symbol, timeframe: tf, ts: isoZ(t), kind: 'missing_bar' as const, severity: 'warn' as const, detail };
    });
}
