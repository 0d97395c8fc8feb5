// Logs from the console: a bounded newest-first search and a live tail pushed over SSE (a server-side
// XREAD BLOCK per subscription; no polling). Every signed-in user may read them: secrets are redacted at the source.
import { ZLogLiveInput, ZLogPage, ZLogSearchInput } from '@ai-trader/contracts';
import { searchLogs, tailLogs } from '@ai-trader/core';
import { tracked } from '@trpc/server';
import { router, viewerProcedure } from '../trpc.ts';

export const logsRouter = router({
  search: viewerProcedure.input(ZLogSearchInput).output(ZLogPage).query(({ ctx, input }) => searchLogs(ctx.deps, input)),
  /** Batches of new matching lines, newest first; a reconnecting client resumes after the last batch it got. */
  live: viewerProcedure.input(ZLogLiveInput).subscription(async function* ({ ctx, input, signal }) {
    const aborted = signal ?? new AbortController().signal;
    const { after, lastEventId, ...filter } = input;
    for await (const b of tailLogs(ctx.deps, filter, aborted, { after: lastEventId ?? after })) yield tracked(b.lastId, b.lines);
  }),
});
