// BullMQ plumbing: one Queue per catalog entry, natural job ids, and retry defaults. Every hop is
// at-least-once; processors are idempotent, so a retried or re-added job never double-books.
import { JOB_NAMES, jobId, type TJobName, type TJobPayload } from '@ai-trader/contracts';
import { FlowProducer, Queue, type ConnectionOptions, type JobsOptions } from 'bullmq';
import type { JobSink } from '../ports.ts';

export const DEFAULT_JOB_OPTIONS: JobsOptions = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 200 },
  // Keep completed ids a while so a re-add of the same natural id is ignored, then let them go.
  removeOnComplete: { age: 3600, count: 20_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

/** Queues whose jobs need other retry timing than the pipeline's. */
const QUEUE_JOB_OPTIONS: Partial<Record<TJobName, JobsOptions>> = {
  // A sink that is down may stay down for minutes: retry for about an hour (1 s, 2 s, 4 s … 34 min), then the
  // delivery is recorded as failed. Each retry sends only to the sinks that have not taken it yet.
  'alerts.deliver': { attempts: 12, backoff: { type: 'exponential', delay: 1000 } },
};

export interface Queues extends JobSink {
  queues: Map<TJobName, Queue>;
  close(): Promise<void>;
}

export function createQueues(connection: ConnectionOptions, prefix: string): Queues {
  const queues = new Map<TJobName, Queue>();
  for (const name of JOB_NAMES) queues.set(name, new Queue(name, { connection, prefix, defaultJobOptions: { ...DEFAULT_JOB_OPTIONS, ...QUEUE_JOB_OPTIONS[name] } }));
  let flows: FlowProducer | null = null;
  return {
    queues,
    async add<N extends TJobName>(name: N, payload: TJobPayload<N>) {
      await queues.get(name)!.add(name, payload, { jobId: jobId(name, payload) });
    },
    async ensure<N extends TJobName>(name: N, payload: TJobPayload<N>) {
      const q = queues.get(name)!;
      const id = jobId(name, payload);
      const job = await q.getJob(id);
      if (!job) {
        await q.add(name, payload, { jobId: id });
        return 'queued' as const;
      }
      const state = await job.getState();
      if (state === 'failed') {
        await job.retry('failed');
        return 'retried' as const;
      }
      if (state === 'completed') {
        await job.remove();
        await q.add(name, payload, { jobId: id });
        return 'queued' as const;
      }
      return 'present' as const;
    },
    async addFlow(parent, children) {
      flows ??= new FlowProducer({ connection, prefix });
      await flows.add({
        name: parent.name, queueName: parent.name, data: parent.payload, opts: { ...DEFAULT_JOB_OPTIONS, jobId: jobId(parent.name, parent.payload) },
        children: children.map((c) => ({
          name: c.name, queueName: c.name, data: c.payload,
          // A child that fails for good must not leave the parent waiting forever: the parent then
          // reads the outcome of every child from Postgres.
          opts: { ...DEFAULT_JOB_OPTIONS, attempts: 5, jobId: jobId(c.name, c.payload), ignoreDependencyOnFailure: true },
        })),
      });
    },
    async close() {
      await flows?.close();
      await Promise.all([...queues.values()].map((q) => q.close()));
    },
  };
}

/** True when no queue of the live pipeline has waiting, delayed or active work. */
export async function pipelineIdle(queues: Map<TJobName, Queue>): Promise<boolean> {
  for (const [name, q] of queues) {
    // History loads, watches, scheduled jobs (their triggers wait as delayed jobs) and alert deliveries run beside the
    // live pipeline, not in it.
    if (['backfill.', 'monitor.', 'maintenance.', 'alerts.', 'scheduler.', 'scanner.'].some((p) => name.startsWith(p))) continue;
    const c = await q.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children');
    if (Object.values(c).some((n) => n > 0)) return false;
  }
  return true;
}
