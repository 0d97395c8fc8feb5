// The Readiness page: every go-live check with its status, evidence, age and what to do (viewers); "Run now" and the
// live switch for admins — the switch with the password again, gated on readiness, and under the two-person policy
// only asked for here and run when a second admin approves (approvalExecutors['broker.go-live']).
import { ZGoLiveInput, ZGoPaperInput, ZReadinessReport, ZReadinessRunInput, type TReadinessCheckId } from '@ai-trader/contracts';
import { assertReadyForLive, goLive, GoLiveRefusedError, goPaper, readinessReport, READINESS_CHECKS, runReadiness } from '@ai-trader/core';
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { requirePassword, ZReauth } from '../account-security.ts';
import { getSettings, requestApproval } from '../approvals.ts';
import type { Context } from '../trpc.ts';
import { adminProcedure, router, viewerProcedure } from '../trpc.ts';

async function refusalAsConflict<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof GoLiveRefusedError) throw new TRPCError({ code: 'PRECONDITION_FAILED', message: e.message });
    throw e;
  }
}

/** What an approved live switch runs, as the approving admin: readiness is checked again then. */
export const goLiveExecutor = (ctx: Pick<Context, 'deps'> & { actor: NonNullable<Context['actor']> }, payload: Record<string, unknown>, reason: string) => {
  const p = z.object({ requestedBy: z.string() }).parse(payload);
  return refusalAsConflict(goLive(ctx.deps, { actor: ctx.actor, reason, approvedBy: `requested by ${p.requestedBy}, approved by ${ctx.actor.email}` }));
};

export const readinessRouter = router({
  report: viewerProcedure.output(ZReadinessReport).query(({ ctx }) => readinessReport(ctx.deps)),
  /** Cheap checks run now and answer with the new report; the scheduled (expensive) ones are queued for the
   *  scheduler's worker, stored under this admin's name when they finish. */
  run: adminProcedure.input(ZReadinessRunInput).mutation(async ({ ctx, input }) => {
    const ids: TReadinessCheckId[] = input.checks ?? [...READINESS_CHECKS.keys()];
    const now = ids.filter((id) => !READINESS_CHECKS.get(id)!.scheduled);
    const queued = ids.filter((id) => READINESS_CHECKS.get(id)!.scheduled);
    if (queued.length) await ctx.deps.jobs.add('readiness.run', { checks: queued, requestedBy: ctx.actor.email });
    const results = now.length ? await runReadiness(ctx.deps, { checks: now, ranBy: ctx.actor.email, trigger: 'manual' }) : [];
    return { results, queued, report: await readinessReport(ctx.deps) };
  }),
  /** Admin, password again; refused unless readiness is all pass and fresh. Two-person policy: asks, a second admin approves. */
  goLive: adminProcedure.input(ZGoLiveInput.merge(ZReauth)).mutation(async ({ ctx, input }) => {
    await requirePassword(ctx.deps, ctx.actor, input.password, 'broker.go-live');
    if ((await getSettings(ctx.deps.prisma)).twoPersonApproval) {
      await refusalAsConflict(assertReadyForLive(ctx.deps)); // no request that could not run
      const a = await requestApproval(ctx.deps.prisma, { action: 'broker.go-live', payload: { requestedBy: ctx.actor.email }, reason: input.reason, actor: ctx.actor });
      await ctx.deps.events.publish('audit');
      return { changed: false, pendingApproval: a };
    }
    const r = await refusalAsConflict(goLive(ctx.deps, { actor: ctx.actor, reason: input.reason }));
    await ctx.deps.events.publish('audit');
    return { changed: r.changed, pendingApproval: null };
  }),
  goPaper: adminProcedure.input(ZGoPaperInput.merge(ZReauth)).mutation(async ({ ctx, input }) => {
    await requirePassword(ctx.deps, ctx.actor, input.password, 'broker.go-paper');
    const r = await goPaper(ctx.deps, { actor: ctx.actor, reason: input.reason });
    await ctx.deps.events.publish('audit');
    return r;
  }),
});
