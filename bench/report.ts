// One machine-readable line per headline number of a benchmark, next to its human-readable output: the harness
// (run-all.ts) collects them into one summary table. Every result is a measurement, the reference measured in the same
// run, their ratio, and the goal with whether this run met it.
export interface BenchResult {
  /** The benchmark (file name without .bench.ts). */
  bench: string;
  /** What was measured, in words ("signal → broker ack p99"). */
  metric: string;
  value: number;
  unit: string;
  /** The reference measured in the same run, in the same unit. */
  reference?: { label: string; value: number } | undefined;
  /** value ÷ reference (or as the benchmark defines it; said in `metric`). */
  ratio?: number | undefined;
  /** The goal, in words. */
  goal?: string | undefined;
  /** Whether this run met the goal (null: no goal for this number). */
  met?: boolean | null | undefined;
}

export const RESULT_PREFIX = 'BENCH_RESULT ';

export function report(r: BenchResult): void {
  const round = (x: number) => (Number.isFinite(x) ? Math.round(x * 1000) / 1000 : x);
  console.log(`${RESULT_PREFIX}${JSON.stringify({ ...r, value: round(r.value), ratio: r.ratio === undefined ? undefined : round(r.ratio), reference: r.reference && { ...r.reference, value: round(r.reference.value) } })}`);
}
