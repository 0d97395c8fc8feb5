// Positions from the console: the list with P&L and exits (live over SSE), a symbol's chart data (bars and
// fills, live), and the manual close (trader+, audited; it goes through risk like any exit).
import { ZClosePositionRequest, ZClosePositionResult, ZPositionDetail, ZPositionDetailInput, ZPositionsView } from '@ai-trader/contracts';
import { closePosition, listPositions, positionDetail, TradeRequestError } from '@ai-trader/core';
import { TRPCError } from '@trpc/server';
import { POSITION_KINDS } from '../cached-queries.ts';
import { sharedSnapshots } from '../snapshot-cache.ts';
import { router, traderProcedure, viewerProcedure, type Context } from '../trpc.ts';

/** A request the use-case could not do as asked reaches the browser with its code and message. */
export const tradeRequestErrors = <P extends typeof viewerProcedure>(p: P) =>
  p.use(async ({ next }) => {
    const res = await next();
    if (!res.ok && res.error.cause instanceof TradeRequestError) throw new TRPCError({ code: res.error.cause.code, message: res.error.cause.message, cause: res.error.cause });
    return res;
  });

const DETAIL_KINDS = ['bar', 'position', 'order'] as const;

// What the live procedures push, computed once per change for every page that has them open.
const positionsNow = (ctx: Context) => sharedSnapshots(ctx.live).get('positions', POSITION_KINDS, () => listPositions(ctx.deps));
const detailNow = (ctx: Context, input: { symbol: string; bars: number }) =>
  sharedSnapshots(ctx.live).get(`positions.detail:${input.symbol}:${input.bars}`, DETAIL_KINDS, () => positionDetail(ctx.deps, input));

/**
 * The batches of changes with one of `kinds` in them, on the leading edge: at once after a quiet spell, then at most
 * one per `ms` (read from the hub with no coalescing of its own). The hub's coalescing holds every push back by its
 * window, which alone used up the 250 ms a fill may take to show on the page (bench/console-browser.bench.ts).
 */
export async function* promptly<K>(changes: AsyncIterable<Set<K>>, kinds: readonly K[], ms = 250): AsyncGenerator<Set<K>> {
  let last = -Infinity;
  for await (const batch of changes) {
    if (!kinds.some((k) => batch.has(k))) continue;
    const wait = last + ms - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    last = performance.now();
    yield batch;
  }
}

export const positionsRouter = router({
  list: viewerProcedure.output(ZPositionsView).query(({ ctx }) => listPositions(ctx.deps)),
  /** The list at once, then again whenever prices, positions or orders change (SSE; at once, then at most 4 a second). */
  live: viewerProcedure.subscription(async function* ({ ctx, signal }) {
    const aborted = signal ?? new AbortController().signal;
    yield await positionsNow(ctx);
    for await (const _batch of promptly(ctx.live.changes(aborted, 0), POSITION_KINDS)) yield await positionsNow(ctx);
  }),
  detail: viewerProcedure.input(ZPositionDetailInput).output(ZPositionDetail).query(({ ctx, input }) => positionDetail(ctx.deps, input)),
  /** The chart's data, pushed at most once a second (a bar every few hundred ms in a fast replay would redraw it needlessly). */
  liveDetail: viewerProcedure.input(ZPositionDetailInput).subscription(async function* ({ ctx, input, signal }) {
    const aborted = signal ?? new AbortController().signal;
    yield await detailNow(ctx, input);
    for await (const kinds of ctx.live.changes(aborted, 1000)) if (DETAIL_KINDS.some((k) => kinds.has(k))) yield await detailNow(ctx, input);
  }),
  close: tradeRequestErrors(traderProcedure)
    .input(ZClosePositionRequest)
    .output(ZClosePositionResult)
    .mutation(({ ctx, input }) => closePosition(ctx.deps, { symbol: input.symbol, actor: ctx.actor, reason: input.reason })),
});
