// The audit trail: filtered pages (newest first, by seq), the CSV export, and the hash chain's status — the last
// verification for everyone, a new one on demand for admins (cached in Redis with its time).
import { ZAuditChainStatus, ZAuditCsv, ZAuditEntry, ZAuditFilter, ZAuditListInput, ZAuditPage, ZAuditPageInput, ZAuditVerification } from '@ai-trader/contracts';
import { auditChainStatus, auditCsv, listAudit, listAuditPage, verifyAndRecordAuditChain } from '@ai-trader/core';
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { adminProcedure, router, viewerProcedure } from '../trpc.ts';

// A malformed date is the caller's mistake.
const badInput = <P extends typeof viewerProcedure>(p: P) =>
  p.use(async ({ next }) => {
    const res = await next();
    if (!res.ok && res.error.cause instanceof RangeError) throw new TRPCError({ code: 'BAD_REQUEST', message: res.error.cause.message, cause: res.error.cause });
    return res;
  });

export const auditRouter = router({
  list: viewerProcedure.input(ZAuditListInput).output(z.array(ZAuditEntry)).query(({ ctx, input }) => listAudit(ctx.deps, input)),
  page: badInput(viewerProcedure).input(ZAuditPageInput).output(ZAuditPage).query(({ ctx, input }) => listAuditPage(ctx.deps, input)),
  exportCsv: badInput(viewerProcedure).input(z.object({ filter: ZAuditFilter.default({}) })).output(ZAuditCsv).query(({ ctx, input }) => auditCsv(ctx.deps, input.filter)),
  status: viewerProcedure.output(ZAuditChainStatus).query(({ ctx }) => auditChainStatus(ctx.deps)),
  /** Walks the whole chain now (seconds for a million rows); the result becomes everyone's status. */
  verify: adminProcedure.output(ZAuditVerification).mutation(({ ctx }) => verifyAndRecordAuditChain(ctx.deps, { verifiedBy: ctx.actor.email })),
  /** Tells the page that new audit rows (or a new verification) exist; it then re-reads. */
  changes: viewerProcedure.subscription(async function* ({ ctx, signal }) {
    const aborted = signal ?? new AbortController().signal;
    for await (const kinds of ctx.live.changes(aborted)) if (kinds.has('audit') || kinds.has('trading-state')) yield { at: new Date().toISOString() };
  }),
});
