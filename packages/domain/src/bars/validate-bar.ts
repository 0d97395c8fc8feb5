// The invariants a bar must satisfy before it is stored: any violation is named precisely.
import type { TBar } from '@ai-trader/contracts';
import { dec } from '../money.ts';

export function barProblems(bar: TBar): string[] {
  const o = dec(bar.open), h = dec(bar.high), l = dec(bar.low), c = dec(bar.close);
  const p: string[] = [];
  for (const [k, v] of [['open', o], ['high', h], ['low', l], ['close', c]] as const)
    if (v.lte(0)) p.push(`${k} ${bar[k]} is not positive`);
  if (h.lt(l)) p.push(`high ${bar.high} < low ${bar.low}`);
  if (h.lt(o) || h.lt(c)) p.push(`high ${bar.high} < max(open, close)`);
  if (l.gt(o) || l.gt(c)) p.push(`low ${bar.low} > min(open, close)`);
  return p;
}
