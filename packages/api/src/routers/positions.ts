// Positions from the console: the list with P&L and exits (live over SSE), a symbol's chart data (bars and
// fills, live), and the manual close (trader+, audited; it goes through risk like any exit).
import { ZClosePositionRequest, ZClosePositionResult, ZPositionDetail, ZPositionDetailInput, ZPositionsView } from '@ai-trader/contracts';
import { closePosition, listPositions, positionDetail, TradeRequestError } from '@ai-trader/core';
import { TRPCError } from '@trpc/server';
import { router, traderProcedure, viewerProcedure } from '../trpc.ts';

/** A request the use-case could not do as asked reaches the browser with its code and message. */
export const tradeRequestErrors = <P extends typeof viewerProcedure>(p: P) =>
  p.use(async ({ next }) => {
    const res = await next();
    if (!res.ok && res.error.cause instanceof TradeRequestError) throw new TRPCError({ code: res.error.cause.code, message: res.error.cause.message, cause: res.error.cause });
    return res;
  });

const POSITION_KINDS = ['bar', 'position', 'order', 'signal', 'trading-state'] as const;

export const positionsRouter = router({
  list: viewerProcedure.output(ZPositionsView).query(({ ctx }) => listPositions(ctx.deps)),
  /** The list at once, then again whenever prices, positions or orders change (SSE; coalesced by the hub). */
  live: viewerProcedure.subscription(async function* ({ ctx, signal }) {
    const aborted = signal ?? new AbortController().signal;
    yield await listPositions(ctx.deps);
    for await (const kinds of ctx.live.changes(aborted)) if (POSITION_KINDS.some((k) => kinds.has(k))) yield await listPositions(ctx.deps);
  }),
  detail: viewerProcedure.input(ZPositionDetailInput).output(ZPositionDetail).query(({ ctx, input }) => positionDetail(ctx.deps, input)),
  /** The chart's data, pushed at most once a second (a bar every few hundred ms in a fast replay would redraw it needlessly). */
  liveDetail: viewerProcedure.input(ZPositionDetailInput).subscription(async function* ({ ctx, input, signal }) {
    const aborted = signal ?? new AbortController().signal;
    yield await positionDetail(ctx.deps, input);
    for await (const kinds of ctx.live.changes(aborted, 1000)) if (kinds.has('bar') || kinds.has('position') || kinds.has('order')) yield await positionDetail(ctx.deps, input);
  }),
  close: tradeRequestErrors(traderProcedure)
    .input(ZClosePositionRequest)
    .output(ZClosePositionResult)
    .mutation(({ ctx, input }) => closePosition(ctx.deps, { symbol: input.symbol, actor: ctx.actor, reason: input.reason })),
});
