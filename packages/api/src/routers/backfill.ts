// Backfill runs from the console: read progress (live over SSE), start a run, resume a failed one.
// The work itself is done by the `backfill` worker role; these procedures only plan and enqueue.
import { ZBackfillStage, ZDay, ZSymbol, ZTimeframe, type TBackfillStage } from '@ai-trader/contracts';
import { BackfillInputError, backfillStatus, lastTradingDays, resumeBackfill, startBackfill } from '@ai-trader/core';
import { toEt } from '@ai-trader/domain';
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { router, traderProcedure, viewerProcedure } from '../trpc.ts';

// Input schemas live here until another surface needs them; then they move to @ai-trader/contracts.
export const ZBackfillStartInput = z.object({
  symbols: z.array(ZSymbol).min(1, 'name at least one ticker').max(50, 'at most 50 tickers per run'),
  days: z.number().int('must be a whole number').min(1).max(3650),
  to: ZDay.optional(),
  stage: z.enum([...ZBackfillStage.options, 'all']),
  timeframe: ZTimeframe,
});
export type TBackfillStartInput = z.infer<typeof ZBackfillStartInput>;
export const ZBackfillResumeInput = z.object({ runId: z.uuid() });

/** How many runs the page shows: the latest ones, newest first. */
const LIST_LIMIT = 20;

// A BackfillInputError is the caller's mistake (a date outside the calendar, an unknown run…), so it
// reaches the browser as BAD_REQUEST with its message instead of an opaque internal error.
const backfillProcedure = (p: typeof viewerProcedure) =>
  p.use(async ({ next }) => {
    const res = await next();
    if (!res.ok && res.error.cause instanceof BackfillInputError) throw new TRPCError({ code: 'BAD_REQUEST', message: res.error.cause.message, cause: res.error.cause });
    return res;
  });

const stagesOf = (s: TBackfillStartInput['stage']): TBackfillStage[] => (s === 'all' ? [...ZBackfillStage.options] : [s]);

export const backfillRouter = router({
  list: backfillProcedure(viewerProcedure).query(({ ctx }) => backfillStatus(ctx.deps, undefined, LIST_LIMIT)),
  /** The run list at once, then again after every backfill event (SSE; the page never polls). */
  live: backfillProcedure(viewerProcedure).subscription(async function* ({ ctx, signal }) {
    const aborted = signal ?? new AbortController().signal;
    yield await backfillStatus(ctx.deps, undefined, LIST_LIMIT);
    for await (const kinds of ctx.live.changes(aborted)) if (kinds.has('backfill')) yield await backfillStatus(ctx.deps, undefined, LIST_LIMIT);
  }),
  start: backfillProcedure(traderProcedure).input(ZBackfillStartInput).mutation(({ ctx, input }) => {
    // "Today" is the New York trading date, not the server's UTC date (which runs ahead each evening).
    const range = lastTradingDays(input.to ?? toEt(new Date()).date, input.days);
    // A repeated ticker would collide on the chunk key (run × stage × symbol × day); one is enough.
    const symbols = [...new Set(input.symbols)];
    return startBackfill(ctx.deps, { symbols, stages: stagesOf(input.stage), timeframe: input.timeframe, ...range, requestedBy: ctx.actor.email });
  }),
  resume: backfillProcedure(traderProcedure).input(ZBackfillResumeInput).mutation(({ ctx, input }) => resumeBackfill(ctx.deps, input.runId)),
});
