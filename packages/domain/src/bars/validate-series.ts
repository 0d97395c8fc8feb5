// Validates one symbol's bar series as received (import, backfill, replay): what to keep, what to reject
// and why, what to warn about, and which expected bars are absent. Pure: no I/O, nothing silently dropped.
import type { TBar, TTimeframe } from '@ai-trader/contracts';
import { dec } from '../money.ts';
import type { TBarProblem, TBarProblemKind } from './bar-problem.ts';
import { toEt } from '../calendar/nyse.ts';
import { expectedSlots, gridProblem, hhmm, isoZ, sessionProblem, type SessionMode } from './bar-session.ts';
import { OutlierJudge, OUTLIER_DEFAULTS } from './outlier-rule.ts';
import { barChecks } from './bar-checks.ts';
import { instantMs } from './bar-numbers.ts';

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
  good: TBar[]; // ascending by ts, unique ts (empty when a streaming validator was told not to retain them)
  goodCount: number; // how many good bars, retained or not
  rejected: RejectedBar[]; // ascending by ts (unparseable ts last), each with every reason that applies
  warnings: TBarProblem[]; // about bars that were kept (or an identical copy that was folded into one)
  missing: TBarProblem[]; // one missing_bar per absent slot, ascending
}

interface Entry {
  bar: TBar;
  t: number; // epoch ms, NaN when ts does not parse
  seq: number; // position as received
  rejects: TBarProblem[]; // EMPTY until the first one (most bars have none: no array per bar)
  warns: TBarProblem[];
}
const EMPTY: TBarProblem[] = [];
const add = (list: TBarProblem[], p: TBarProblem): TBarProblem[] => (list === EMPTY ? [p] : (list.push(p), list));

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
  const v = new SeriesValidator(opts);
  for (const bar of bars) v.push(bar);
  return v.end();
}

const byTime = (a: Entry, b: Entry) => (Number.isNaN(a.t) ? 1 : 0) - (Number.isNaN(b.t) ? 1 : 0) || a.t - b.t || a.seq - b.seq;

/**
 * validateSeries for a stream: `push` bars as they arrive; `takeGood` hands over the good bars whose verdict
 * no later bar can change any more, so they can be stored while the rest is still being read; `end` judges
 * the rest and returns the whole validation, the same as validateSeries of everything pushed.
 *
 * Judging is held back by `settleAfter` bars (default: all, i.e. nothing settles before `end`): a bar is
 * judged once that many later-in-time bars are waiting behind it. A bar that then arrives earlier in time
 * than the first waiting one — more than `settleAfter` out of place — would have changed a verdict already
 * handed over; `overtaken` names it, and the caller must redo the series with validateSeries (the results
 * from then on are no longer exact). Bars in order, or out of order by less than the window, never do.
 */
export class SeriesValidator {
  private readonly tf: TTimeframe;
  private readonly symbol: string | undefined;
  private readonly judge: OutlierJudge;
  private readonly settleAfter: number;
  // The first bar received for a time, while on record: a waiting candidate (found in `pending`) or a rejected
  // one (here). Bars judged good are forgotten. Every recorded time is ≤ latest, so a bar later than all
  // before it (the usual case) needs no lookup.
  private readonly rejectedFirst = new Map<number, Entry>();
  private readonly warnings: TBarProblem[] = [];
  private readonly rejected: Entry[] = [];
  private readonly kept: Entry[] = []; // only with retain 'all'; otherwise handed over and forgotten
  private readonly keptTimes: number[] = []; // only when expectComplete asks for the missing slots
  private goodCount = 0;
  private readonly retainAll: boolean;
  private readonly streaming: boolean; // settleAfter finite: good bars are handed over through takeGood
  private pending: Entry[] = []; // candidates not judged yet, in time order
  private pendingFrom = 0; // pending[pendingFrom] is the first one still waiting
  private judgedAny = false;
  private latest = -Infinity;
  private seq = 0;
  private firstSymbol: string | undefined;
  /** The first bar that arrived too far out of place for streaming (see the class comment), or null. */
  overtaken: { bar: TBar; seq: number } | null = null;

  constructor(private readonly opts: ValidateSeriesOptions & { settleAfter?: number; retain?: 'all' | 'problems' }) {
    const params = { ...OUTLIER_DEFAULTS, ...opts.outlier };
    if (!Number.isInteger(params.window) || params.window < 2) throw new RangeError(`outlier.window must be a whole number ≥ 2, got ${params.window}`);
    if (!(params.k > 0)) throw new RangeError(`outlier.k must be positive, got ${params.k}`);
    const settleAfter = opts.settleAfter ?? Infinity;
    if (!(settleAfter >= 1)) throw new RangeError(`settleAfter must be at least 1, got ${settleAfter}`);
    this.tf = opts.timeframe;
    this.symbol = opts.symbol;
    this.settleAfter = settleAfter;
    this.retainAll = opts.retain !== 'problems';
    this.streaming = settleAfter !== Infinity;
    this.judge = new OutlierJudge(this.tf, params);
  }

  private problem(bar: TBar, kind: TBarProblemKind, severity: 'reject' | 'warn', detail: string): TBarProblem {
    return { symbol: bar.symbol, timeframe: this.tf, ts: bar.ts, kind, severity, detail };
  }

  /** Pass 1, in the order received: everything that can be judged from a bar alone or from its arrival.
   *  `checked`: the caller vouches that barChecks(bar) finds nothing and ts is a canonical UTC instant
   *  (the CSV parser's fast path), so those checks are not run again; `t` then may give that instant in epoch ms. */
  push(bar: TBar, checked = false, t?: number): void {
    const seq = this.seq++;
    const tf = this.tf;
    const symbol = this.symbol ?? (this.firstSymbol ??= bar.symbol);
    const e: Entry = { bar, t: NaN, seq, rejects: EMPTY, warns: EMPTY };
    if (bar.symbol !== symbol) e.rejects = add(e.rejects, this.problem(bar, 'malformed', 'reject', `symbol ${bar.symbol} in a series of ${symbol}`));
    if (bar.timeframe !== tf) e.rejects = add(e.rejects, this.problem(bar, 'malformed', 'reject', `timeframe ${bar.timeframe} in a ${tf} series`));
    if (!checked) for (const c of barChecks(bar)) e.rejects = add(e.rejects, this.problem(bar, c.kind, 'reject', c.detail));
    e.t = checked ? (t ?? instantMs(bar.ts)) : ISO_INSTANT.test(bar.ts) ? instantMs(bar.ts) : NaN;
    if (Number.isNaN(e.t)) {
      e.rejects = add(e.rejects, this.problem(bar, 'malformed', 'reject', `ts '${bar.ts}' is not an ISO-8601 instant`));
    } else {
      const offGrid = gridProblem(e.t, tf);
      if (offGrid) e.rejects = add(e.rejects, this.problem(bar, 'off_grid', 'reject', offGrid));
      const outside = sessionProblem(e.t, tf, this.opts.session);
      if (outside) e.rejects = add(e.rejects, this.problem(bar, 'outside_session', 'reject', outside));
      const first = e.t > this.latest ? undefined : this.firstAt(e.t);
      // A bar in the time already judged, with no first bar on record (judged bars are forgotten), may be a
      // copy of one of them or its new neighbour: a verdict already handed over could change.
      if (!first && this.judgedAny && !this.overtaken && this.pendingFrom < this.pending.length && e.t < this.pending[this.pendingFrom]!.t)
        this.overtaken = { bar, seq };
      if (first && bar.symbol === first.bar.symbol && diff(first.bar, bar) === '') {
        // An identical copy adds nothing: one is kept (or rejected) as the first was; the copy is named here.
        this.warnings.push(this.problem(bar, 'duplicate_ts', 'warn', `identical copy of the bar for ${isoZ(e.t)} (received #${first.seq + 1}, again #${seq + 1}); one kept`));
        return;
      }
      if (first) e.rejects = add(e.rejects, this.problem(bar, 'duplicate_ts', 'reject', `conflicts with the bar received #${first.seq + 1} for ${isoZ(e.t)} (${diff(first.bar, bar)}); the first one wins`));
      else if (e.rejects.length) this.rejectedFirst.set(e.t, e); // a clean one is found in pending
      if (e.t < this.latest) e.warns = add(e.warns, this.problem(bar, 'out_of_order', 'warn', `received #${seq + 1} after a bar for ${isoZ(this.latest)}; sorted into place`));
      if (e.t > this.latest) this.latest = e.t;
    }
    if (e.rejects.length) {
      this.rejected.push(e);
      return;
    }
    this.enqueue(e);
    if (this.pending.length - this.pendingFrom > this.settleAfter) this.settle(this.pending.length - this.settleAfter);
  }

  /** The first bar on record for time t (see rejectedFirst). */
  private firstAt(t: number): Entry | undefined {
    return this.rejectedFirst.get(t) ?? this.pendingFirst(t);
  }

  /** The waiting candidate for time t (candidates have distinct times, in order). */
  private pendingFirst(t: number): Entry | undefined {
    const p = this.pending;
    let lo = this.pendingFrom, hi = p.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (p[mid]!.t < t) lo = mid + 1;
      else hi = mid;
    }
    return lo < p.length && p[lo]!.t === t ? p[lo] : undefined;
  }

  /** Into the waiting candidates at its place in time (almost always the end). */
  private enqueue(e: Entry): void {
    const p = this.pending;
    if (p.length === this.pendingFrom || p[p.length - 1]!.t <= e.t) {
      p.push(e);
      return;
    }
    let lo = this.pendingFrom, hi = p.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (byTime(p[mid]!, e) <= 0) lo = mid + 1;
      else hi = mid;
    }
    p.splice(lo, 0, e);
  }

  /** Pass 2, in time order up to (not including) pending index `until`: the outlier rule needs neighbours in time. */
  private settle(until: number): void {
    const p = this.pending;
    for (let i = this.pendingFrom; i < until; i++) {
      const e = p[i]!;
      const why = this.judge.judge(e.bar, e.t, p[i + 1]?.bar);
      if (why) {
        e.rejects = add(e.rejects, this.problem(e.bar, 'outlier', 'reject', why));
        this.rejected.push(e);
        this.rejectedFirst.set(e.t, e); // stays on record (every candidate is the first of its time), like bars rejected in pass 1
      } else {
        // judged good and handed over: forgotten (it leaves pending below); a later copy is caught as overtaking (see push)
        this.goodCount++;
        if (this.streaming) this.fresh.push(e.bar);
        if (this.retainAll) this.kept.push(e);
        if (this.opts.expectComplete) this.keptTimes.push(e.t);
        for (const w of e.warns) this.warnings.push(w);
        if (isZero(e.bar.volume)) this.warnings.push(this.problem(e.bar, 'zero_volume', 'warn', 'volume 0: no shares traded reported for this bar'));
      }
      this.judgedAny = true;
    }
    this.pendingFrom = until;
    if (this.pendingFrom > 4096 && this.pendingFrom * 2 > p.length) {
      this.pending = p.slice(this.pendingFrom);
      this.pendingFrom = 0;
    }
  }

  private fresh: TBar[] = []; // judged good since the last takeGood

  /** Good bars settled since the last call, time-ascending (empty until `settleAfter` bars wait). */
  takeGood(): TBar[] {
    const out = this.fresh;
    this.fresh = [];
    return out;
  }

  /** Judges what still waits and returns the whole validation (good: every good bar, handed over or not, with
   *  retain 'all'). A streaming caller then takes the last good bars with takeGood. */
  end(): SeriesValidation {
    this.settle(this.pending.length);
    this.warnings.sort((a, b) => Date.parse(a.ts) - Date.parse(b.ts));
    this.rejected.sort(byTime);
    const symbol = this.symbol ?? this.firstSymbol ?? '';
    const missing = this.opts.expectComplete ? missingSlots(this.opts.expectComplete, this.tf, symbol, this.keptTimes, this.rejected) : [];
    return {
      good: this.kept.map((e) => e.bar),
      goodCount: this.goodCount,
      rejected: this.rejected.map((e) => ({ bar: e.bar, problems: e.rejects })),
      warnings: this.warnings,
      missing,
    };
  }
}

const ZERO_VOLUME = /^-?0+$/;
const isZero = (v: string): boolean => {
  const c = v.charCodeAt(0);
  if (c >= 49 && c <= 57) return false; // starts 1-9: not zero, whatever follows
  return ZERO_VOLUME.test(v) || (v.includes('.') && dec(v).isZero());
};

/** One missing_bar per expected slot without a good bar. A slot whose bar was rejected is a hole in the
 *  good series as well, so it is listed too, and the detail says which rejection made it. */
function missingSlots(range: { from: string; to: string }, tf: TTimeframe, symbol: string, keptTimes: number[], rejected: Entry[]): TBarProblem[] {
  const have = new Set(keptTimes);
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
