// The Database page: sizes, partitions ahead, connections, pools, last backup and archive (viewers read), and
// VACUUM (ANALYZE) / ANALYZE (admins, with a reason, audited). Everything else is the CLI's (`ai-trader db`).
import { ZDatabaseOverview, ZVacuumRequest, ZVacuumResult } from '@ai-trader/contracts';
import { databaseOverview, vacuumDatabase } from '@ai-trader/core';
import { adminProcedure, router, viewerProcedure } from '../trpc.ts';

export const databaseRouter = router({
  overview: viewerProcedure.output(ZDatabaseOverview).query(({ ctx }) => databaseOverview(ctx.deps)),
  vacuum: adminProcedure.input(ZVacuumRequest).output(ZVacuumResult).mutation(({ ctx, input }) =>
    vacuumDatabase(ctx.deps, { analyzeOnly: input.analyzeOnly, actor: ctx.actor, reason: input.reason })),
});
