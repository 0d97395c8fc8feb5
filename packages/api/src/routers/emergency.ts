// The emergency actions beyond HALT (issue 10: admin only): cancel all orders (reason), liquidate everything and
// suspend / unsuspend trading at the broker (reason and the admin's password again). HALT and stop entries stay in
// the trading router, open to traders as the console issue allows. The steps of the running (or last) action are
// pushed live to every console.
import { ZBrokerStatus, ZCancelAllRequest, ZCancelAllResult, ZLiquidateRequest, ZLiquidateResult, ZSuspendRequest, ZSuspendResult } from '@ai-trader/contracts';
import { brokerStatus, cancelAllOrders, emergencyLiquidate, lastEmergency, setBrokerSuspended } from '@ai-trader/core';
import { requirePassword, ZReauth } from '../account-security.ts';
import { adminProcedure, router, viewerProcedure } from '../trpc.ts';
import { tradeRequestErrors } from './positions.ts';

const admin = tradeRequestErrors(adminProcedure);

export const emergencyRouter = router({
  cancelAll: admin.input(ZCancelAllRequest).output(ZCancelAllResult).mutation(({ ctx, input }) => cancelAllOrders(ctx.deps, { actor: ctx.actor, reason: input.reason })),
  liquidate: admin.input(ZLiquidateRequest.merge(ZReauth)).output(ZLiquidateResult).mutation(async ({ ctx, input }) => {
    await requirePassword(ctx.deps, ctx.actor, input.password, 'emergency.liquidate');
    return emergencyLiquidate(ctx.deps, { actor: ctx.actor, reason: input.reason });
  }),
  suspend: admin.input(ZSuspendRequest.merge(ZReauth)).output(ZSuspendResult).mutation(async ({ ctx, input }) => {
    await requirePassword(ctx.deps, ctx.actor, input.password, 'broker.suspend');
    return setBrokerSuspended(ctx.deps, { actor: ctx.actor, reason: input.reason, suspend: true });
  }),
  unsuspend: admin.input(ZSuspendRequest.merge(ZReauth)).output(ZSuspendResult).mutation(async ({ ctx, input }) => {
    await requirePassword(ctx.deps, ctx.actor, input.password, 'broker.unsuspend');
    return setBrokerSuspended(ctx.deps, { actor: ctx.actor, reason: input.reason, suspend: false });
  }),
  /** Whether the broker has a trading switch and where it stands. */
  brokerStatus: viewerProcedure.output(ZBrokerStatus).query(({ ctx }) => brokerStatus(ctx.deps)),
  /** The last (or running) emergency action with its steps, pushed on every step. */
  progressLive: viewerProcedure.subscription(async function* ({ ctx, signal }) {
    const changes = ctx.live.changes(signal ?? new AbortController().signal, 50);
    let next = changes.next(); // listening before the first read: a step pushed in between is not missed
    yield await lastEmergency(ctx.deps);
    for (let r = await next; !r.done; r = await next) {
      next = changes.next();
      if (r.value.has('emergency')) yield await lastEmergency(ctx.deps);
    }
  }),
});
