// The Data page: freshness, stored newest bars, quarantine and data alerts (live over SSE), older quarantined
// bars by page, and a gaps check over stored bars. Backfills keep their own router (backfill.ts).
import { ZDataView, ZGapsInput, ZGapsResult, ZQuarantineInput, ZQuarantinePage, type TLiveEvent } from '@ai-trader/contracts';
import { findGaps, getDataView, listQuarantine } from '@ai-trader/core';
import { TRPCError } from '@trpc/server';
import { router, viewerProcedure } from '../trpc.ts';

/** Bars move freshness (and quarantine rows come with them); stale-feed and validation findings are alerts. */
const RELEVANT = new Set<TLiveEvent['kind']>(['bar', 'alert', 'backfill']);

export const dataRouter = router({
  get: viewerProcedure.output(ZDataView).query(({ ctx }) => getDataView(ctx.deps)),
  /** The page at once, then again after every bar, alert or backfill event (SSE; ages tick in the browser). */
  live: viewerProcedure.subscription(async function* ({ ctx, signal }) {
    const aborted = signal ?? new AbortController().signal;
    yield await getDataView(ctx.deps);
    for await (const kinds of ctx.live.changes(aborted)) if ([...kinds].some((k) => RELEVANT.has(k))) yield await getDataView(ctx.deps);
  }),
  quarantine: viewerProcedure.input(ZQuarantineInput).output(ZQuarantinePage).query(({ ctx, input }) => listQuarantine(ctx.deps, input)),
  /** Validates the stored bars of a range (completeness against the NYSE calendar, OHLC, outliers, session). */
  gaps: viewerProcedure.input(ZGapsInput).output(ZGapsResult).query(async ({ ctx, input }) => {
    try {
      return await findGaps(ctx.deps, input);
    } catch (e) {
      if (e instanceof RangeError) throw new TRPCError({ code: 'BAD_REQUEST', message: e.message });
      throw e;
    }
  }),
});
