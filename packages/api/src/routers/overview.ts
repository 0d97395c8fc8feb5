import { ZOverview } from '@ai-trader/contracts';
import { getOverview } from '@ai-trader/core';
import { router, viewerProcedure } from '../trpc.ts';

export const overviewRouter = router({
  get: viewerProcedure.output(ZOverview).query(({ ctx }) => getOverview(ctx.deps)),
  /** Pushes a fresh overview whenever the pipeline reports a change (SSE; no polling). */
  live: viewerProcedure.subscription(async function* ({ ctx, signal }) {
    const aborted = signal ?? new AbortController().signal;
    yield await getOverview(ctx.deps);
    for await (const _kinds of ctx.live.changes(aborted)) yield await getOverview(ctx.deps);
  }),
});
