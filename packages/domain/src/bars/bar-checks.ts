// A bar's own invariants as kinded problems (which check failed, and a sentence), for series validation.
// validate-bar.ts keeps the sentence-only barProblems that ingest uses; these name the values too.
import type { TBar } from '@ai-trader/contracts';
import { dec } from '../money.ts';
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
  else if (dec(bar.volume).lt(0)) p.push({ kind: 'negative_volume', detail: `volume ${bar.volume} is negative` });
  if (PRICES.some((k) => !DECIMAL.test(bar[k]))) return p;

  const o = dec(bar.open), h = dec(bar.high), l = dec(bar.low), c = dec(bar.close);
  for (const [k, v] of [['open', o], ['high', h], ['low', l], ['close', c]] as const)
    if (v.lte(0)) p.push({ kind: 'non_positive_price', detail: `${k} ${bar[k]} is not positive` });
  if (h.lt(l)) p.push({ kind: 'ohlc_inconsistent', detail: `high ${bar.high} < low ${bar.low}` });
  if (h.lt(o) || h.lt(c)) p.push({ kind: 'ohlc_inconsistent', detail: `high ${bar.high} < max(open ${bar.open}, close ${bar.close})` });
  if (l.gt(o) || l.gt(c)) p.push({ kind: 'ohlc_inconsistent', detail: `low ${bar.low} > min(open ${bar.open}, close ${bar.close})` });
  return p;
}
