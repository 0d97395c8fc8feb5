// One BullMQ Worker as the pipeline runs it: the configured lock and stall settings, a run the scheduler queued recorded
// in job_runs and held to its timeout (other jobs pass straight through), failures logged, job durations observed
// for the metrics endpoint. startPipeline builds every worker with it, and bench/bullmq-hop.bench.ts measures it.
import { createRedis, instrumentWorker, recordRun } from '@ai-trader/core';
import type { TJobName } from '@ai-trader/contracts';
import type { Runtime } from '@ai-trader/adapters';
import { Worker, type ConnectionOptions, type Job } from 'bullmq';

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
  const w = new Worker(queue, (job, token) => recordRun(deps, job, (signal) => processor(deps, job, token, signal)), {
    connection, prefix: config.REDIS_PREFIX, concurrency: opts.concurrency ?? 1,
    lockDuration: config.WORKER_LOCK_DURATION_MS, stalledInterval: config.WORKER_STALLED_INTERVAL_MS, maxStalledCount: config.WORKER_MAX_STALLED_COUNT,
  });
  w.on('failed', (job, err) => logger.warn({ queue, jobId: job?.id, attempt: job?.attemptsMade, err: err.message }, 'job failed'));
  w.on('error', (err) => logger.error({ queue, err: err.message }, 'worker error'));
  instrumentWorker(w, queue); // job durations per queue for the metrics endpoint
  return w;
}
