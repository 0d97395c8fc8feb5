// The invariants a bar must satisfy before it is stored: any violation is named precisely.
import type { TBar } from '@ai-trader/contracts';
import { barChecks } from './bar-checks.ts';

/** The bar's invariant violations as sentences (the kinded form is barChecks). */
export function barProblems(bar: TBar): string[] {
  return barChecks(bar).map((p) => p.detail);
}
