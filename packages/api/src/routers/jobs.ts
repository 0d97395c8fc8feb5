import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ZReason, type TConfig, type TJobDefinitions } from '@ai-trader/contracts';
import { ConfigFileError, parseJobDefinitions } from '@ai-trader/adapters';
import { actOnFailedJob, JobsInputError, listFailedJobs, listQueues, recentRuns, runScheduledJob, runScheduledNow, schedulerStatus } from '@ai-trader/core';
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { adminProcedure, router, traderProcedure, viewerProcedure } from '../trpc.ts';

const DEFINITIONS = path.join('ops', 'job-definitions.yaml');

/** The scheduled jobs: JOB_DEFINITIONS_FILE, else ops/job-definitions.yaml found upwards from the console's working
 *  directory (read at run time, not bundled — like ops/scanner.yaml). A bad file is the request's error, with its line. */
export function loadJobDefinitionsFile(config: Pick<TConfig, 'JOB_DEFINITIONS_FILE'>, from = process.cwd()): TJobDefinitions {
  let file = config.JOB_DEFINITIONS_FILE;
  for (let dir = path.resolve(/*turbopackIgnore: true*/ from); !file; dir = path.dirname(dir)) {
    const candidate = path.join(/*turbopackIgnore: true*/ dir, DEFINITIONS);
    if (existsSync(candidate)) file = candidate;
    else if (path.dirname(dir) === dir) return {};
  }
  try {
    return parseJobDefinitions(readFileSync(file, 'utf8'), config.JOB_DEFINITIONS_FILE ? file : DEFINITIONS);
  } catch (e) {
    if (e instanceof ConfigFileError) throw new TRPCError({ code: 'PRECONDITION_FAILED', message: e.message, cause: e });
    throw e;
  }
}

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
  /** The jobs of ops/job-definitions.yaml: schedule, market hours, next run, last result, failures, paused. */
  scheduled: viewerProcedure.query(({ ctx }) => schedulerStatus(ctx.deps, loadJobDefinitionsFile(ctx.deps.config))),
  runs: viewerProcedure.input(z.object({ job: z.string().min(1).max(64).optional(), limit: z.number().int().min(1).max(200).default(50) })).query(({ ctx, input }) => recentRuns(ctx.deps, input)),
  /** A scheduled job now, after its dependencies (market hours not applied; HALT is, for jobs that trade). */
  runJob: traderProcedure.input(z.object({ name: z.string().min(1).max(64), reason: ZReason })).mutation(({ ctx, input }) =>
    runScheduledJob(ctx.deps, loadJobDefinitionsFile(ctx.deps.config), { ...input, actor: ctx.actor }).catch(badInput)),
  runNow: traderProcedure.input(z.object({ queue: queueName, reason: ZReason })).mutation(({ ctx, input }) => runScheduledNow(ctx.deps, { ...input, actor: ctx.actor }).catch(badInput)),
});
