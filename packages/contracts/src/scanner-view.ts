// The console's Scanner page: the latest runs, one run's results and alerts, and "run a scan now" (the same
// use-case as `ai-trader scan`). Run, result and alert shapes are those of scanner.ts.
import { z } from 'zod';
import { ZDay } from './jobs.ts';
import { ZScannerLayer, ZScannerRunDetail, ZScannerRunView } from './scanner.ts';

export const ZScannerPageInput = z.object({
  layer: ZScannerLayer.optional(),
  /** The run to show; default the newest succeeded one of the list. */
  runId: z.uuid().optional(),
  limit: z.number().int().min(1).max(100).default(20),
});
export type TScannerPageInput = z.infer<typeof ZScannerPageInput>;

export const ZScannerPage = z.object({
  runs: z.array(ZScannerRunView),
  selected: ZScannerRunDetail.nullable(),
});
export type TScannerPage = z.infer<typeof ZScannerPage>;

export const ZScanNowInput = z.object({
  layer: ZScannerLayer,
  /** Judge the market as of this New York date (after its session); default now. */
  asOf: ZDay.optional(),
});
export type TScanNowInput = z.infer<typeof ZScanNowInput>;

export const ZScanNowResult = z.object({
  run: ZScannerRunView,
  /** layer1 only: the layer0 run made first. */
  layer0: ZScannerRunView.nullable(),
  /** Where the configuration came from: the YAML file, or the schema's defaults. */
  configSource: z.string(),
});
export type TScanNowResult = z.infer<typeof ZScanNowResult>;
