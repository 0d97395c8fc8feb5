// Signals and strategies: the latest signals with their reasons, strategy configs (enable/disable by traders,
// audited), the model registry and backtest results. Live over SSE where the pipeline pushes.
import { ZReason } from '@ai-trader/contracts';
import { listBacktests, listModels, listSignals, listStrategies, setStrategyEnabled } from '@ai-trader/core';
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { router, traderProcedure, viewerProcedure } from '../trpc.ts';

const ZSignalsInput = z.object({ limit: z.number().int().min(1).max(500).default(100), strategy: z.string().max(64).optional(), symbol: z.string().max(10).optional() });

export const strategiesRouter = router({
  signals: viewerProcedure.input(ZSignalsInput).query(({ ctx, input }) => listSignals(ctx.deps, input)),
  liveSignals: viewerProcedure.input(ZSignalsInput).subscription(async function* ({ ctx, input, signal }) {
    const aborted = signal ?? new AbortController().signal;
    yield await listSignals(ctx.deps, input);
    for await (const kinds of ctx.live.changes(aborted)) if (kinds.has('signal') || kinds.has('order')) yield await listSignals(ctx.deps, input);
  }),
  list: viewerProcedure.query(({ ctx }) => listStrategies(ctx.deps)),
  setEnabled: traderProcedure
    .input(z.object({ name: z.string().min(1).max(64), enabled: z.boolean(), reason: ZReason }))
    .mutation(async ({ ctx, input }) => {
      try {
        return await setStrategyEnabled(ctx.deps, input.name, input.enabled, ctx.actor, input.reason);
      } catch (e) {
        if (e instanceof RangeError) throw new TRPCError({ code: 'BAD_REQUEST', message: e.message });
        throw e;
      }
    }),
  models: viewerProcedure.query(({ ctx }) => listModels(ctx.deps)),
  backtests: viewerProcedure.input(z.object({ strategy: z.string().max(64).optional(), limit: z.number().int().min(1).max(50).default(10) })).query(({ ctx, input }) => listBacktests(ctx.deps, input)),
});
