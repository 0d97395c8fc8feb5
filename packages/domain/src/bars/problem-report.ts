// Counts and a plain-text report of series-validation problems, for `ai-trader data import` and logs.
// Runs of the same kind on consecutive slots are folded into one line: 6 000 "outside_session" lines help nobody.
import type { TTimeframe } from '@ai-trader/contracts';
import { BAR_PROBLEM_KINDS, TIMEFRAME_MINUTES, type TBarProblem, type TBarProblemKind } from './bar-problem.ts';
import type { SeriesValidation } from './validate-series.ts';

/** How many problems of each kind (every kind present, 0 when none, so tables line up). */
export function summarizeProblems(problems: readonly TBarProblem[]): Record<TBarProblemKind, number> {
  const counts = Object.fromEntries(BAR_PROBLEM_KINDS.map((k) => [k, 0])) as Record<TBarProblemKind, number>;
  for (const p of problems) counts[p.kind]++;
  return counts;
}

/** Every problem of a validation: rejections (each reason), warnings, missing slots. */
export const allProblems = (v: SeriesValidation): TBarProblem[] => [...v.rejected.flatMap((r) => r.problems), ...v.warnings, ...v.missing];

export interface ReportSeries {
  symbol: string;
  timeframe: TTimeframe;
  validation: SeriesValidation;
}

export interface ReportOptions {
  /** Lines (after folding runs) shown per kind and series; the rest is counted. Default 20. */
  maxLinesPerKind?: number;
}

interface Run {
  first: TBarProblem;
  lastTs: string;
  count: number;
}

const tsOf = (p: TBarProblem): number => Date.parse(p.ts);
// Unparseable timestamps (malformed bars) go last instead of poisoning the sort with NaN.
const byTime = (a: number, b: number): number => (Number.isNaN(a) ? 1 : 0) - (Number.isNaN(b) ? 1 : 0) || (a - b || 0);
const short = (ts: string): string => ts.replace(':00Z', 'Z'); // 2025-07-03T16:50Z: seconds are always 00 on the grid
const KIND_WIDTH = Math.max(...BAR_PROBLEM_KINDS.map((k) => k.length));

/** Folds problems of one kind into runs of consecutive timeframe slots (same detail not required). */
function runsOf(problems: TBarProblem[], tf: TTimeframe): Run[] {
  const step = TIMEFRAME_MINUTES[tf] * 60_000;
  const runs: Run[] = [];
  for (const p of problems) {
    const last = runs.at(-1);
    // Only bars with a parseable, distinct ts can run on; a duplicate or malformed ts stands alone.
    if (last && tsOf(p) - Date.parse(last.lastTs) === step) {
      last.lastTs = p.ts;
      last.count++;
    } else runs.push({ first: p, lastTs: p.ts, count: 1 });
  }
  return runs;
}

function runLine(r: Run): string {
  const kind = r.first.kind.padEnd(KIND_WIDTH);
  const sev = r.first.severity.padEnd(6);
  if (r.count === 1) return `  ${short(r.first.ts)}  ${kind}  ${sev}  ${r.first.detail}`;
  const sameDay = r.first.ts.slice(0, 10) === r.lastTs.slice(0, 10);
  const span = `${short(r.first.ts)}–${sameDay ? short(r.lastTs).slice(11) : short(r.lastTs)}`;
  return `  ${span}  ${kind}  ${sev}  ${r.count} bars; first: ${r.first.detail}`;
}

const countList = (c: Record<TBarProblemKind, number>): string =>
  BAR_PROBLEM_KINDS.filter((k) => c[k] > 0).map((k) => `${k} ${c[k]}`).join(', ') || 'none';

/**
 * A report per series: totals, counts per kind, then one line per problem (or per run of consecutive
 * slots) ordered by time and kind. Example:
 *   SPY 5m: 11301 received → 4642 good, 6659 rejected, 3 warnings, 2 missing
 *     rejected: outside_session 6659 · warnings: zero_volume 3 · missing: missing_bar 2
 *     2025-07-03T16:50Z–16:55Z  missing_bar  warn  2 bars; first: no bar for 12:50 ET on 2025-07-03
 */
export function formatReport(series: readonly ReportSeries[], opts: ReportOptions = {}): string {
  const max = opts.maxLinesPerKind ?? 20;
  const out: string[] = [];
  const sorted = [...series].sort((a, b) => a.symbol.localeCompare(b.symbol) || TIMEFRAME_MINUTES[a.timeframe] - TIMEFRAME_MINUTES[b.timeframe]);
  for (const s of sorted) {
    const v = s.validation;
    const dropped = v.warnings.filter((w) => w.kind === 'duplicate_ts').length; // identical copies folded into one
    const received = v.goodCount + v.rejected.length + dropped;
    out.push(`${s.symbol} ${s.timeframe}: ${received} received → ${v.goodCount} good, ${v.rejected.length} rejected, ${v.warnings.length} warnings, ${v.missing.length} missing`);
    out.push(`  rejected: ${countList(summarizeProblems(v.rejected.flatMap((r) => r.problems)))} · warnings: ${countList(summarizeProblems(v.warnings))} · missing: ${v.missing.length}`);

    const byKind = new Map<TBarProblemKind, TBarProblem[]>();
    for (const p of allProblems(v).sort((a, b) => byTime(tsOf(a), tsOf(b)))) (byKind.get(p.kind) ?? byKind.set(p.kind, []).get(p.kind)!).push(p);
    const lines: { at: number; kind: number; text: string }[] = [];
    const overflow: string[] = [];
    for (const kind of BAR_PROBLEM_KINDS) {
      const problems = byKind.get(kind);
      if (!problems) continue;
      const runs = runsOf(problems, s.timeframe);
      for (const r of runs.slice(0, max)) lines.push({ at: tsOf(r.first), kind: BAR_PROBLEM_KINDS.indexOf(kind), text: runLine(r) });
      if (runs.length > max) {
        const hidden = runs.slice(max).reduce((n, r) => n + r.count, 0);
        overflow.push(`  … ${hidden} more ${kind} not shown`);
      }
    }
    lines.sort((a, b) => byTime(a.at, b.at) || a.kind - b.kind);
    out.push(...lines.map((l) => l.text), ...overflow);
  }
  return out.join('\n');
}
