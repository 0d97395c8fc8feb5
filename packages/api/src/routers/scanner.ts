// The Scanner page: runs with their results and alerts (live over SSE, pushed by every scan wherever it runs),
// and "run a scan now" for traders, with the configuration the CLI reads (ops/scanner.yaml).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ZScannerConfig, ZScannerPage, ZScannerPageInput, ZScanNowInput, ZScanNowResult, type TScannerConfig } from '@ai-trader/contracts';
import { ConfigFileError, parseYamlConfig } from '@ai-trader/adapters';
import { getScannerPage, runScanNow, ScannerBusyError } from '@ai-trader/core';
import { TRPCError } from '@trpc/server';
import { router, traderProcedure, viewerProcedure } from '../trpc.ts';

const CONFIG_FILE = path.join('ops', 'scanner.yaml');

/** ops/scanner.yaml of the checkout the console runs from (found upwards from its working directory), else the defaults.
 *  Read at run time, not bundled: the ignore comments keep the console's build from tracing the whole checkout. */
export function loadScannerConfigFile(from = process.cwd()): { config: TScannerConfig; source: string } {
  for (let dir = path.resolve(/*turbopackIgnore: true*/ from); ; dir = path.dirname(dir)) {
    const file = path.join(/*turbopackIgnore: true*/ dir, CONFIG_FILE);
    if (existsSync(file)) return { config: parseYamlConfig(readFileSync(file, 'utf8'), CONFIG_FILE, ZScannerConfig), source: CONFIG_FILE };
    if (path.dirname(dir) === dir) return { config: ZScannerConfig.parse({}), source: `defaults (no ${CONFIG_FILE} above ${from})` };
  }
}

export const scannerRouter = router({
  page: viewerProcedure.input(ZScannerPageInput).output(ZScannerPage).query(({ ctx, input }) => getScannerPage(ctx.deps, input)),
  live: viewerProcedure.input(ZScannerPageInput).subscription(async function* ({ ctx, input, signal }) {
    const aborted = signal ?? new AbortController().signal;
    yield await getScannerPage(ctx.deps, input);
    for await (const kinds of ctx.live.changes(aborted)) if (kinds.has('scanner')) yield await getScannerPage(ctx.deps, input);
  }),
  /** Runs a layer now (the same use-case as `ai-trader scan`); answers when the run is stored. */
  runNow: traderProcedure.input(ZScanNowInput).output(ZScanNowResult).mutation(async ({ ctx, input }) => {
    try {
      const { config, source } = loadScannerConfigFile();
      return await runScanNow(ctx.deps, { layer: input.layer, asOf: input.asOf, config, configSource: source });
    } catch (e) {
      if (e instanceof ScannerBusyError) throw new TRPCError({ code: 'CONFLICT', message: e.message, cause: e });
      if (e instanceof ConfigFileError || e instanceof RangeError) throw new TRPCError({ code: 'BAD_REQUEST', message: e.message, cause: e });
      throw e;
    }
  }),
});
