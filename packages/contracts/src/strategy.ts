// Strategy configuration as operators write it (ops/strategies.yaml, console, CLI): which symbols or
// scanner layer, timeframe, parameters per kind, sizing, enabled. Validated here, used by the domain.
import { z } from 'zod';
import { ZSymbol, ZTimeframe } from './market.ts';

const money = z.string().regex(/^\d+(\.\d+)?$/, 'must be a decimal amount like 10000');

export const ZSizing = z.discriminatedUnion('mode', [
  z.strictObject({ mode: z.literal('fixed_notional'), notional: money }),
  z.strictObject({ mode: z.literal('pct_equity'), pct: z.number().gt(0).max(100), maxNotional: money.optional() }),
  z.strictObject({
    mode: z.literal('vol_scaled'),
    /** Daily volatility budget of the position as % of equity (e.g. 0.5 = half a percent a day). */
    targetDailyVolPct: z.number().gt(0).max(20),
    maxNotional: money,
  }),
]);
export type TSizing = z.infer<typeof ZSizing>;

export const ZRsiReversionParams = z.strictObject({
  rsiBuyBelow: z.number().min(1).max(50).default(30),
  rsiSellAbove: z.number().min(50).max(99).default(70),
  /** Exit when close/SMA(50) − 1 drops below −this (e.g. 0.01 = 1 % under the average). */
  exitBelowSma50: z.number().min(0).max(0.5).default(0.01),
  /** Entries only above the 50-bar average. */
  trendFilter: z.boolean().default(true),
});
export type TRsiReversionParams = z.infer<typeof ZRsiReversionParams>;

export const ZMaCrossParams = z.strictObject({ fast: z.number().int().min(1).max(500), slow: z.number().int().min(2).max(1000) }).refine((p) => p.fast < p.slow, {
  message: 'fast must be smaller than slow', path: ['fast'],
});

export const ZModelParams = z.strictObject({
  /** Probability of an up move above which to buy, below (1 − this) to exit. */
  buyAbove: z.number().gt(0.5).lt(1).default(0.55),
  sellBelow: z.number().gt(0).lt(0.5).default(0.45),
});
export type TModelParams = z.infer<typeof ZModelParams>;

/** Exits of every entry the strategy makes, in % of the entry's reference price (trailing: under the highest price
 *  since the fill). Watched by the engine on every bar; none configured, none armed. */
export const ZExits = z.strictObject({
  stopLossPct: z.number().gt(0).max(50).optional(),
  takeProfitPct: z.number().gt(0).max(1000).optional(),
  trailingStopPct: z.number().gt(0).max(50).optional(),
});
export type TExits = z.infer<typeof ZExits>;

const base = {
  name: z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/, 'must be lower-case letters, digits and dashes, like rsi-dip'),
  enabled: z.boolean().default(false),
  symbols: z.array(ZSymbol).default([]),
  layer: z.enum(['layer0', 'layer1']).nullable().default(null),
  timeframe: ZTimeframe.default('5m'),
  sizing: ZSizing,
  exits: ZExits.default({}),
};
export const ZStrategyConfig = z
  .discriminatedUnion('kind', [
    z.strictObject({ ...base, kind: z.literal('rsi-reversion'), params: ZRsiReversionParams, modelName: z.null().default(null) }),
    z.strictObject({ ...base, kind: z.literal('ma-cross'), params: ZMaCrossParams, modelName: z.null().default(null) }),
    z.strictObject({ ...base, kind: z.literal('model'), params: ZModelParams, modelName: z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/) }),
  ])
  .refine((s) => s.symbols.length > 0 || s.layer !== null, { message: 'name symbols or a scanner layer', path: ['symbols'] });
export type TStrategyConfig = z.infer<typeof ZStrategyConfig>;

export const ZStrategiesFile = z.strictObject({ strategies: z.array(ZStrategyConfig) });
