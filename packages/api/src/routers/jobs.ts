import { ZReason } from '@ai-trader/contracts';
import { actOnFailedJob, JobsInputError, listFailedJobs, listQueues, runScheduledNow } from '@ai-trader/core';
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { adminProcedure, router, traderProcedure, viewerProcedure } from '../trpc.ts';

const badInput = (e: unknown): never => {
  if (e instanceof JobsInputError) throw new TRPCError({ code: 'BAD_REQUEST', message: e.message });
  throw e;
};
const queueName = z.string().min(1).max(64);

export const jobsRouter = router({
  /** Queues and schedulers, sampled on the server every 2 s and pushed (queue depth has no event of its own). */
  live: viewerProcedure.subscription(async function* ({ ctx, signal }) {
    const aborted = signal ?? new AbortController().signal;
    while (!aborted.aborted) {
      yield await listQueues(ctx.deps);
      await new Promise((r) => setTimeout(r, 2000));
    }
  }),
  failed: viewerProcedure.input(z.object({ queue: queueName.optional(), limit: z.number().int().min(1).max(200).default(50) })).query(({ ctx, input }) => listFailedJobs(ctx.deps, input).catch(badInput)),
  retry: adminProcedure.input(z.object({ queue: queueName, id: z.string().min(1).max(200), reason: ZReason })).mutation(({ ctx, input }) =>
    actOnFailedJob(ctx.deps, { ...input, action: 'retry', actor: ctx.actor }).catch(badInput)),
  remove: adminProcedure.input(z.object({ queue: queueName, id: z.string().min(1).max(200), reason: ZReason })).mutation(({ ctx, input }) =>
    actOnFailedJob(ctx.deps, { ...input, action: 'remove', actor: ctx.actor }).catch(badInput)),
  runNow: traderProcedure.input(z.object({ queue: queueName, reason: ZReason })).mutation(({ ctx, input }) => runScheduledNow(ctx.deps, { ...input, actor: ctx.actor }).catch(badInput)),
});
