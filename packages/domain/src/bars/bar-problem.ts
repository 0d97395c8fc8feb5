// The vocabulary of bar-series validation: every kind of problem the validator can name, and its shape.
// Kept apart from the validator so the CLI report and the console can share it without pulling the rules in.
import type { TTimeframe } from '@ai-trader/contracts';

export const BAR_PROBLEM_KINDS = [
  'malformed', // not a bar we can judge (unparseable number, other symbol/timeframe); defensive, the CSV parser already refuses these
  'ohlc_inconsistent',
  'non_positive_price',
  'negative_volume',
  'zero_volume',
  'duplicate_ts',
  'out_of_order',
  'off_grid',
  'outside_session',
  'outlier',
  'missing_bar',
] as const;
export type TBarProblemKind = (typeof BAR_PROBLEM_KINDS)[number];

export interface TBarProblem {
  symbol: string;
  timeframe: TTimeframe;
  ts: string; // the bar's ts as received (for missing_bar: the expected slot)
  kind: TBarProblemKind;
  severity: 'reject' | 'warn';
  detail: string; // one human sentence: what is wrong, with the numbers
}

export const TIMEFRAME_MINUTES: Record<TTimeframe, number> = { '1m': 1, '5m': 5, '1h': 60, '1d': 1440 };
