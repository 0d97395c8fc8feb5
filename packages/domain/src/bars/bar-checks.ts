// A bar's own invariants as kinded problems (which check failed, and a sentence), for series validation.
// validate-bar.ts keeps the sentence-only barProblems that ingest uses; these name the values too.
import type { TBar } from '@ai-trader/contracts';
import { compareDecimal } from '../money.ts';
import type { TBarProblemKind } from './bar-problem.ts';

export interface BarCheck {
  kind: TBarProblemKind;
  detail: string;
}

const DECIMAL = /^-?\d+(\.\d+)?$/;
const INTEGER = /^-?\d+$/;
const PRICES = ['open', 'high', 'low', 'close'] as const;

export function barChecks(bar: TBar): BarCheck[] {
  const p: BarCheck[] = [];
  // A value typed TBar may still come from an unchecked source (a DB row, a test); dec() would throw on it.
  for (const k of PRICES) if (!DECIMAL.test(bar[k])) p.push({ kind: 'malformed', detail: `${k} '${bar[k]}' is not a decimal number` });
  if (!INTEGER.test(bar.volume)) p.push({ kind: 'malformed', detail: `volume '${bar.volume}' is not a whole number` });
  else if (bar.volume.startsWith('-') && !/^-0+$/.test(bar.volume)) p.push({ kind: 'negative_volume', detail: `volume ${bar.volume} is negative` });
  if (PRICES.some((k) => !DECIMAL.test(bar[k]))) return p;

  // Exact comparisons (doubles where that is exact, decimal.js otherwise): this runs for every bar imported.
  const cmp = compareDecimal;
  for (const k of PRICES) if (cmp(bar[k], '0') <= 0) p.push({ kind: 'non_positive_price', detail: `${k} ${bar[k]} is not positive` });
  if (cmp(bar.high, bar.low) < 0) p.push({ kind: 'ohlc_inconsistent', detail: `high ${bar.high} < low ${bar.low}` });
  if (cmp(bar.high, bar.open) < 0 || cmp(bar.high, bar.close) < 0) p.push({ kind: 'ohlc_inconsistent', detail: `high ${bar.high} < max(open ${bar.open}, close ${bar.close})` });
  if (cmp(bar.low, bar.open) > 0 || cmp(bar.low, bar.close) > 0) p.push({ kind: 'ohlc_inconsistent', detail: `low ${bar.low} > min(open ${bar.open}, close ${bar.close})` });
  return p;
}
