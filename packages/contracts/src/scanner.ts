// The scanner: its configuration (ops/scanner.yaml, every key optional with the defaults below; unknown
// keys are refused so a typo cannot silently switch a filter off) and the views the CLI and console read.
import { z } from 'zod';
import { ZSymbol } from './market.ts';

export const ZScannerLayer = z.enum(['layer0', 'layer1']);
export type TScannerLayer = z.infer<typeof ZScannerLayer>;

/** The symbols of shared/data/bars (5m for all seven, 1d for all but GOOGL): the universe when none is configured. */
export const DEFAULT_SCANNER_UNIVERSE = ['SPY', 'QQQ', 'AAPL', 'MSFT', 'TSLA', 'AMZN', 'GOOGL'] as const;

/** A non-negative decimal written as a YAML number (5, 2.5) or string ('10_000_000'); kept as a decimal string. */
export const ZDecimalInput = z
  .union([z.string(), z.number()])
  .transform((v) => (typeof v === 'number' ? String(v) : v.trim().replace(/_/g, '')))
  .pipe(z.string().regex(/^\d+(\.\d+)?$/, 'must be a non-negative decimal like 5, 12.5 or 10_000_000'));

const noDuplicates = (list: string[]) => new Set(list).size === list.length;
const symbolList = z.array(ZSymbol).refine(noDuplicates, 'lists a symbol twice');

/** Layer 0, the universe: which symbols may be traded at all (tradable, price, listed long enough, still trading). */
export const ZScannerLayer0Config = z
  .strictObject({
    symbols: symbolList.min(1, 'needs at least one symbol').default([...DEFAULT_SCANNER_UNIVERSE]),
    /** When given, only these may pass (e.g. what the broker lets us trade); absent = every symbol is tradable. */
    tradable: symbolList.optional(),
    exclude: symbolList.default([]),
    minPrice: ZDecimalInput.default('5'),
    maxPrice: ZDecimalInput.optional(),
    /** "Listed long enough": at least this many trading days with bars up to the scan date. */
    minHistoryDays: z.number().int().min(0).default(20),
    /** "Still trading": the last bar at most this many NYSE trading days before the scan date. Absent = not checked. */
    maxStaleDays: z.number().int().min(0).optional(),
  })
  .refine((c) => c.maxPrice === undefined || Number(c.maxPrice) >= Number(c.minPrice), { path: ['maxPrice'], message: 'must not be below minPrice' });
export type TScannerLayer0Config = z.infer<typeof ZScannerLayer0Config>;

/** Layer 1, liquidity: of layer 0's symbols, the ones that trade enough and cheaply enough to act on. */
export const ZScannerLayer1Config = z
  .strictObject({
    /** The window, in NYSE trading days ending at the scan date. */
    lookbackDays: z.number().int().min(2).max(250).default(20),
    /** Daily bars the window must hold (a symbol with holes in its data is not judged on a few days). */
    minBars: z.number().int().min(2).default(15),
    /** Mean of close × volume over the window, in dollars. */
    minAvgDollarVolume: ZDecimalInput.default('50000000'),
    /** Corwin–Schultz spread estimate from daily highs and lows (0.01 = 1 %); see domain/scanner/statistics.ts. */
    maxSpreadProxy: z.number().min(0).max(1).default(0.01),
  })
  .refine((c) => c.minBars <= c.lookbackDays, { path: ['minBars'], message: 'must not exceed lookbackDays' });
export type TScannerLayer1Config = z.infer<typeof ZScannerLayer1Config>;

export const ZScannerAlertsConfig = z.strictObject({
  /** The last day's volume against the days before it. */
  unusualVolume: z
    .strictObject({
      enabled: z.boolean().default(true),
      lookbackDays: z.number().int().min(2).max(250).default(20),
      /** Earlier days needed before the alert can fire at all. */
      minDays: z.number().int().min(2).default(5),
      /** last volume ≥ minMultiple × mean volume of the earlier days (only more volume than usual is unusual). */
      minMultiple: z.number().gt(1, 'must be above 1 (1 = an ordinary day)').default(2),
      /** Also require a z-score (sample standard deviation) at least this high; absent = multiple only. */
      minZScore: z.number().optional(),
    })
    .refine((c) => c.minDays <= c.lookbackDays, { path: ['minDays'], message: 'must not exceed lookbackDays' })
    .prefault({}),
  /** The last day's open against the previous close. */
  gap: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** |open − previous close| / previous close, in percent. */
      minPercent: z.number().positive().default(2),
    })
    .prefault({}),
});
export type TScannerAlertsConfig = z.infer<typeof ZScannerAlertsConfig>;

export const ZScannerConfig = z.strictObject({
  layer0: ZScannerLayer0Config.prefault({}),
  layer1: ZScannerLayer1Config.prefault({}),
  alerts: ZScannerAlertsConfig.prefault({}),
});
export type TScannerConfig = z.infer<typeof ZScannerConfig>;
/** What a caller may pass before defaults are filled in (a partial YAML file, a test's overrides). */
export type TScannerConfigInput = z.input<typeof ZScannerConfig>;

export const ZScannerAlertKind = z.enum(['unusual_volume', 'gap_up', 'gap_down']);
export type TScannerAlertKind = z.infer<typeof ZScannerAlertKind>;

/** Numbers a filter looked at: decimal strings for money and prices, numbers for ratios and counts. */
export const ZScannerMetrics = z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]));
export type TScannerMetrics = z.infer<typeof ZScannerMetrics>;

export const ZScannerRunView = z.object({
  id: z.string(),
  layer: ZScannerLayer,
  status: z.enum(['queued', 'running', 'succeeded', 'failed', 'canceled']),
  /** The market time judged: the requested cut-off while running, the newest bar used once done. */
  asOf: z.iso.datetime(),
  startedAt: z.iso.datetime(),
  finishedAt: z.iso.datetime().nullable(),
  symbolsIn: z.number().int(),
  symbolsOut: z.number().int(),
  error: z.string().nullable(),
  /** layer1: the layer0 run whose passed symbols it judged. */
  inputRunId: z.string().nullable(),
  alertCount: z.number().int(),
});
export type TScannerRunView = z.infer<typeof ZScannerRunView>;

export const ZScannerResultView = z.object({
  symbol: z.string(),
  passed: z.boolean(),
  rank: z.number().int().nullable(),
  metrics: ZScannerMetrics,
  reasons: z.array(z.string()),
});
export type TScannerResultView = z.infer<typeof ZScannerResultView>;

export const ZScannerAlertView = z.object({
  id: z.string(),
  symbol: z.string(),
  kind: ZScannerAlertKind,
  ts: z.iso.datetime(),
  detail: z.string(),
  metrics: ZScannerMetrics,
});
export type TScannerAlertView = z.infer<typeof ZScannerAlertView>;

/** One run with its results (passed by rank, then failed by symbol) and alerts. */
export const ZScannerRunDetail = ZScannerRunView.extend({
  /** The configuration the run used, as stored (older runs may predate today's schema). */
  config: z.record(z.string(), z.unknown()),
  results: z.array(ZScannerResultView),
  alerts: z.array(ZScannerAlertView),
});
export type TScannerRunDetail = z.infer<typeof ZScannerRunDetail>;

export const ZScannerRunsInput = z.object({ layer: ZScannerLayer.optional(), limit: z.number().int().min(1).max(200).default(20) });
export type TScannerRunsInput = z.infer<typeof ZScannerRunsInput>;
export const ZScannerRunInput = z.object({ id: z.uuid() });
