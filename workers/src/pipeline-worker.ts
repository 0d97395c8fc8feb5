// One BullMQ Worker as the pipeline runs it: the configured lock and stall settings, a run the scheduler queued recorded
// in job_runs and held to its timeout (other jobs pass straight through), a run that failed because Postgres is
// unreachable put back to wait for it without using up an attempt, failures logged, job durations observed
// for the metrics endpoint. startPipeline builds every worker with it, and bench/bullmq-hop.bench.ts measures it.
import { createRedis, instrumentWorker, recordRun } from '@ai-trader/core';
import type { TJobName } from '@ai-trader/contracts';
import type { Runtime } from '@ai-trader/adapters';
import { databaseAnswers, isConnectionError } from '@ai-trader/db';
import { DelayedError, Worker, type ConnectionOptions, type Job } from 'bullmq';

/** While Postgres is unreachable, a job whose run failed for it runs again after this long (no attempt used up). */
export const DATABASE_WAIT_MS = 500;
/** How long the check that Postgres is unreachable waits for its answer. */
const DATABASE_PROBE_MS = 1500;

export type PipelineProcessor = (deps: Runtime['deps'], job: Job, token: string | undefined, signal: AbortSignal | undefined) => Promise<unknown>;

export function pipelineWorker(
  rt: Pick<Runtime, 'deps'>,
  queue: TJobName,
  processor: PipelineProcessor,
  opts: { concurrency?: number; connection?: ConnectionOptions } = {},
): Worker {
  const { deps } = rt;
  const { config, logger } = deps;
  const connection = opts.connection ?? createRedis(config.REDIS_URL, { forBullWorker: true, name: 'workers' });
  const run = async (job: Job, token?: string) => {
    try {
      return await recordRun(deps, job, (signal) => processor(deps, job, token, signal));
    } catch (e) {
      // Postgres unreachable (an outage, a restart): not the job's fault, so no attempt is used up — it looks again
      // shortly and runs within about that long of the database's return, however long the outage (an attempt used
      // per failure would back off to 6–13 s steps and fail jobs for good after ~25 s).
      if (token && isConnectionError(e) && !(await databaseAnswers(deps.pool, DATABASE_PROBE_MS))) {
        logger.debug({ queue, jobId: job.id, err: (e as Error).message }, 'Postgres unreachable: the job waits for it');
        await job.moveToDelayed(Date.now() + DATABASE_WAIT_MS, token);
        throw new DelayedError();
      }
      throw e;
    }
  };
  const w = new Worker(queue, run, {
    connection, prefix: config.REDIS_PREFIX, concurrency: opts.concurrency ?? 1,
    lockDuration: config.WORKER_LOCK_DURATION_MS, stalledInterval: config.WORKER_STALLED_INTERVAL_MS, maxStalledCount: config.WORKER_MAX_STALLED_COUNT,
  });
  w.on('failed', (job, err) => logger.warn({ queue, jobId: job?.id, attempt: job?.attemptsMade, err: err.message }, 'job failed'));
  w.on('error', (err) => logger.error({ queue, err: err.message }, 'worker error'));
  instrumentWorker(w, queue); // job durations per queue for the metrics endpoint
  return w;
}
