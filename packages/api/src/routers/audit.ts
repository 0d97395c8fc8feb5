import { ZAuditEntry, ZAuditListInput } from '@ai-trader/contracts';
import { listAudit } from '@ai-trader/core';
import { z } from 'zod';
import { router, viewerProcedure } from '../trpc.ts';

export const auditRouter = router({
  list: viewerProcedure.input(ZAuditListInput).output(z.array(ZAuditEntry)).query(({ ctx, input }) => listAudit(ctx.deps, input)),
  /** Tells the page that new audit rows exist (it then re-reads its page). */
  changes: viewerProcedure.subscription(async function* ({ ctx, signal }) {
    const aborted = signal ?? new AbortController().signal;
    for await (const kinds of ctx.live.changes(aborted)) if (kinds.has('audit') || kinds.has('trading-state')) yield { at: new Date().toISOString() };
  }),
});
