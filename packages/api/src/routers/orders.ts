// Orders from the console: working and history with filters (live over SSE for the first page, older pages by
// cursor), one decision's state timeline, and cancelling a working order (trader+, audited). The CSV export is a
// route handler of the console over the same filtered query (ordersCsv).
import { ZCancelOrderRequest, ZCancelOrderResult, ZOrdersListInput, ZOrdersPage, ZOrderTimeline } from '@ai-trader/contracts';
import { cancelOrder, listOrders, orderTimeline } from '@ai-trader/core';
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { ORDER_KINDS } from '../cached-queries.ts';
import { sharedSnapshots } from '../snapshot-cache.ts';
import { router, traderProcedure, viewerProcedure } from '../trpc.ts';
import { promptly, tradeRequestErrors } from './positions.ts';

// A malformed cursor or date is the caller's mistake.
const badInput = <P extends typeof viewerProcedure>(p: P) =>
  p.use(async ({ next }) => {
    const res = await next();
    if (!res.ok && res.error.cause instanceof RangeError) throw new TRPCError({ code: 'BAD_REQUEST', message: res.error.cause.message, cause: res.error.cause });
    return res;
  });

export const ordersRouter = router({
  list: badInput(viewerProcedure).input(ZOrdersListInput).output(ZOrdersPage).query(({ ctx, input }) => listOrders(ctx.deps, input)),
  /** The newest page of a filter at once, then again whenever orders, signals or positions change (SSE; at once, then
   *  at most 4 a second). */
  live: badInput(viewerProcedure).input(ZOrdersListInput.omit({ cursor: true })).subscription(async function* ({ ctx, input, signal }) {
    const aborted = signal ?? new AbortController().signal;
    // Computed once per change for every page showing this filter.
    const now = () => sharedSnapshots(ctx.live).get(`orders:${JSON.stringify(input)}`, ORDER_KINDS, () => listOrders(ctx.deps, input));
    yield await now();
    for await (const _batch of promptly(ctx.live.changes(aborted, 0), ORDER_KINDS)) yield await now();
  }),
  timeline: viewerProcedure
    .input(z.object({ id: z.uuid() }))
    .output(ZOrderTimeline)
    .query(async ({ ctx, input }) => {
      const t = await orderTimeline(ctx.deps, input);
      if (!t) throw new TRPCError({ code: 'NOT_FOUND', message: `no risk decision ${input.id}` });
      return t;
    }),
  cancel: tradeRequestErrors(traderProcedure)
    .input(ZCancelOrderRequest)
    .output(ZCancelOrderResult)
    .mutation(({ ctx, input }) => cancelOrder(ctx.deps, { clientOrderId: input.clientOrderId, actor: ctx.actor, reason: input.reason })),
});
