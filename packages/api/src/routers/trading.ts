import { ZHaltRequest, ZHaltResult, ZOrderSide, ZResumeRequest, ZSymbol } from '@ai-trader/contracts';
import { getTradingState, haltTrading, lastReconciliation, resumeReadiness, resumeTrading, stopEntries, whatIfOrder } from '@ai-trader/core';
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { requirePassword, ZReauth } from '../account-security.ts';
import { getSettings, requestApproval } from '../approvals.ts';
import { adminProcedure, router, traderProcedure, viewerProcedure } from '../trpc.ts';
import { tradeRequestErrors } from './positions.ts';

const amount = z.string().regex(/^\d+(\.\d+)?$/, 'must be an amount like 123.45');

export const tradingRouter = router({
  // Anyone who may trade may stop trading; only an admin may start it again.
  halt: traderProcedure.input(ZHaltRequest).output(ZHaltResult).mutation(({ ctx, input }) => haltTrading(ctx.deps, { actor: ctx.actor, reason: input.reason })),
  stopEntries: traderProcedure.input(ZHaltRequest).mutation(({ ctx, input }) => stopEntries(ctx.deps, { actor: ctx.actor, reason: input.reason })),
  /** The trading state, pushed on every change (the emergency panel on every page). */
  stateLive: viewerProcedure.subscription(async function* ({ ctx, signal }) {
    const aborted = signal ?? new AbortController().signal;
    yield await getTradingState(ctx.deps.prisma);
    for await (const kinds of ctx.live.changes(aborted)) if (kinds.has('trading-state')) yield await getTradingState(ctx.deps.prisma);
  }),
  /** Admin, with the password again, and only after a clean reconciliation (else CONFLICT saying why); under the
   *  two-person policy this only asks, and a second admin approves (the reconciliation is checked again then). */
  resume: tradeRequestErrors(adminProcedure).input(ZResumeRequest.merge(ZReauth)).mutation(async ({ ctx, input }) => {
    await requirePassword(ctx.deps, ctx.actor, input.password, 'trading.resume');
    if ((await getSettings(ctx.deps.prisma)).twoPersonApproval) {
      const ready = await resumeReadiness(ctx.deps);
      if (!ready.ok) throw new TRPCError({ code: 'CONFLICT', message: `cannot resume yet: ${ready.problems.join('; ')}` });
      const a = await requestApproval(ctx.deps.prisma, { action: 'trading.resume', payload: {}, reason: input.reason, actor: ctx.actor });
      await ctx.deps.events.publish('audit');
      return { pendingApproval: a };
    }
    return { ...(await resumeTrading(ctx.deps, { actor: ctx.actor, reason: input.reason })), pendingApproval: null };
  }),
  /** The last reconciliation pass with the broker (drift, repairs) and the last drift it found; null before the first. */
  reconciliation: viewerProcedure.query(({ ctx }) => lastReconciliation(ctx.deps)),
  /** Would this order pass risk now, and if not why (reads only). */
  whatIf: viewerProcedure
    .input(z.object({ symbol: ZSymbol, side: ZOrderSide, price: amount.optional(), notional: amount.optional(), strategy: z.string().max(64).optional() }))
    .query(async ({ ctx, input }) => {
      try {
        return await whatIfOrder(ctx.deps, input);
      } catch (e) {
        if (e instanceof RangeError) throw new TRPCError({ code: 'BAD_REQUEST', message: e.message });
        throw e;
      }
    }),
});
