// The Strategy interface: pure, deterministic decisions from one bar's features. A strategy says which
// side, how sure (score in [-1, 1], its sign the side) and why (the features that drove it, largest
// contribution first). Sizing and risk come after, outside the strategy.
import type { TBar, TOrderSide, TTimeframe } from '@ai-trader/contracts';
import type { FeatureVector, TFeatureName } from '../features/feature-set.ts';

export interface StrategyInput {
  symbol: string;
  timeframe: TTimeframe;
  bar: TBar;
  features: FeatureVector;
  /** The last closes up to and including this bar, oldest first, for strategies that need a price history (ma-cross). */
  closes?: readonly string[];
}

export interface TopFeature {
  name: TFeatureName;
  value: number;
  /** How much it pushed the decision (same units as the score's logit or rule distance); sign = direction. */
  contribution: number;
}

export interface StrategyDecision {
  side: TOrderSide;
  score: number; // [-1, 1]
  reason: string; // one sentence with the numbers
  topFeatures: TopFeature[];
  modelVersion?: string; // name@version for model-based strategies
}

export interface Strategy {
  readonly name: string;
  readonly kind: string;
  /** null: no trade on this bar (including when a feature it needs is missing: never trade on bad features). */
  evaluate(input: StrategyInput): StrategyDecision | null;
}

/** The features a strategy needs, all finite; or the names that are missing (null while warming up). */
export function requireFeatures<const N extends readonly TFeatureName[]>(f: FeatureVector, names: N): { ok: true; v: Record<N[number], number> } | { ok: false; missing: TFeatureName[] } {
  const missing = names.filter((n) => f[n] === null || !Number.isFinite(f[n]));
  if (missing.length) return { ok: false, missing: [...missing] };
  return { ok: true, v: Object.fromEntries(names.map((n) => [n, f[n] as number])) as Record<N[number], number> };
}

export const clamp = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x));
