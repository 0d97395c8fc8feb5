// The Risk page: limits and their usage, breakers and their trips, reconciliation (live over SSE), and the
// what-if order check. Reads only; nothing here changes the trading state.
import { ZRiskView, ZWhatIfAnswer, ZWhatIfInput, type TLiveEvent } from '@ai-trader/contracts';
import { getRiskView, whatIfNow } from '@ai-trader/core';
import { TRPCError } from '@trpc/server';
import { router, viewerProcedure } from '../trpc.ts';

/** What moves a limit or a breaker: prices (bars), orders and fills, the state, alerts and audit rows. */
const RELEVANT = new Set<TLiveEvent['kind']>(['bar', 'order', 'position', 'trading-state', 'alert', 'audit']);
/** The one-minute order window, the breaker job's equity snapshots (every 15 s) and reconciliation passes change
 *  with time and publish no event, so an idle page is re-read this often. */
const IDLE_REFRESH_MS = 15_000;

export const riskRouter = router({
  get: viewerProcedure.output(ZRiskView).query(({ ctx }) => getRiskView(ctx.deps)),
  live: viewerProcedure.subscription(async function* ({ ctx, signal }) {
    const aborted = signal ?? new AbortController().signal;
    yield await getRiskView(ctx.deps);
    const changes = ctx.live.changes(aborted);
    let next = changes.next();
    while (!aborted.aborted) {
      let timer: NodeJS.Timeout | undefined;
      const tick = new Promise<'tick'>((r) => (timer = setTimeout(() => r('tick'), IDLE_REFRESH_MS)));
      const got = await Promise.race([next, tick]);
      clearTimeout(timer);
      if (got !== 'tick') {
        if (got.done) break;
        next = changes.next();
        if (![...got.value].some((k) => RELEVANT.has(k))) continue;
      }
      yield await getRiskView(ctx.deps);
    }
  }),
  /** Would this order pass risk now, and if not why (reads only; the session judged at the market's time). */
  whatIf: viewerProcedure.input(ZWhatIfInput).output(ZWhatIfAnswer).query(async ({ ctx, input }) => {
    try {
      return await whatIfNow(ctx.deps, input);
    } catch (e) {
      if (e instanceof RangeError) throw new TRPCError({ code: 'BAD_REQUEST', message: e.message });
      throw e;
    }
  }),
});
