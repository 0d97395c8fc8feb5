import { ZHaltRequest, ZHaltResult, ZResumeRequest } from '@ai-trader/contracts';
import { haltTrading, resumeTrading } from '@ai-trader/core';
import { adminProcedure, router, traderProcedure } from '../trpc.ts';

export const tradingRouter = router({
  // Anyone who may trade may stop trading; only an admin may start it again.
  halt: traderProcedure.input(ZHaltRequest).output(ZHaltResult).mutation(({ ctx, input }) => haltTrading(ctx.deps, { actor: ctx.actor, reason: input.reason })),
  resume: adminProcedure.input(ZResumeRequest).mutation(({ ctx, input }) => resumeTrading(ctx.deps, { actor: ctx.actor, reason: input.reason })),
});
