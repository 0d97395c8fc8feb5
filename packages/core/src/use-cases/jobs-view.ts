// The Jobs page and `ai-trader scheduler status`-style reads: every queue's depth and throughput, the job
// schedulers and their next run, failed jobs with their reason; and the admin's hands on them — retry or remove
// a failed job, run a scheduled job now. Changes are audited.
import { JOB_NAMES, type TActor, type TJobDefinitions, type TJobName } from '@ai-trader/contracts';
import type { Queue } from 'bullmq';
import type { Queues } from '../infra/queues.ts';
import type { Deps } from '../ports.ts';
import { ForbiddenError } from './emergency.ts';
import { SchedulerInputError, triggerJob, type SchedulerDeps, type TriggerResult } from './scheduler.ts';

export interface QueueSummary {
  name: TJobName;
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
  completed: number;
  paused: boolean;
  completedLastMinute: number; // throughput, from the kept completed jobs
}
export interface SchedulerView { queue: TJobName; key: string; every: number | null; pattern: string | null; tz: string | null; next: string | null }
export interface FailedJobView { queue: TJobName; id: string; name: string; reason: string; attempts: number; failedAt: string | null; data: string }

export class JobsInputError extends Error {}

function queuesOf(deps: Pick<Deps, 'jobs'>): Map<TJobName, Queue> {
  const q = (deps.jobs as Partial<Queues>).queues;
  if (!q) throw new Error('this process has no queue handles (jobs are only sinks here)');
  return q;
}
function queue(deps: Pick<Deps, 'jobs'>, name: string): Queue {
  if (!(JOB_NAMES as readonly string[]).includes(name)) throw new JobsInputError(`no queue named ${name}; queues: ${JOB_NAMES.join(', ')}`);
  return queuesOf(deps).get(name as TJobName)!;
}

export async function listQueues(deps: Pick<Deps, 'jobs' | 'clock'>): Promise<{ queues: QueueSummary[]; schedulers: SchedulerView[] }> {
  const since = deps.clock.now().getTime() - 60_000;
  const queues: QueueSummary[] = [];
  const schedulers: SchedulerView[] = [];
  for (const [name, q] of queuesOf(deps)) {
    const [c, paused, recent, scheds] = await Promise.all([
      q.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed', 'prioritized'),
      q.isPaused(),
      q.getJobs(['completed'], 0, 199, false),
      q.getJobSchedulers(0, 99, true),
    ]);
    queues.push({
      name, waiting: (c.waiting ?? 0) + (c.prioritized ?? 0), active: c.active ?? 0, delayed: c.delayed ?? 0, failed: c.failed ?? 0, completed: c.completed ?? 0, paused,
      completedLastMinute: recent.filter((j) => (j.finishedOn ?? 0) >= since).length,
    });
    for (const s of scheds)
      schedulers.push({ queue: name, key: s.key, every: s.every ? Number(s.every) : null, pattern: s.pattern ?? null, tz: s.tz ?? null, next: s.next ? new Date(s.next).toISOString() : null });
  }
  return { queues, schedulers };
}

export async function listFailedJobs(deps: Pick<Deps, 'jobs'>, q: { queue?: string; limit: number }): Promise<FailedJobView[]> {
  const names = q.queue ? [queue(deps, q.queue).name as TJobName] : [...queuesOf(deps).keys()];
  const out: FailedJobView[] = [];
  for (const name of names) {
    const jobs = await queuesOf(deps).get(name)!.getJobs(['failed'], 0, q.limit - 1, false);
    for (const j of jobs)
      out.push({
        queue: name, id: String(j.id), name: j.name, reason: j.failedReason ?? 'unknown', attempts: j.attemptsMade,
        failedAt: j.finishedOn ? new Date(j.finishedOn).toISOString() : null, data: JSON.stringify(j.data).slice(0, 300),
      });
  }
  return out.sort((a, b) => (b.failedAt ?? '').localeCompare(a.failedAt ?? '')).slice(0, q.limit);
}

async function audit(deps: Pick<Deps, 'prisma' | 'clock' | 'events'>, actor: TActor, action: string, reason: string, after: object) {
  await deps.prisma.auditLog.create({ data: { at: deps.clock.now(), actorId: actor.id, actorEmail: actor.email, action, reason, after } });
  await deps.events.publish('audit');
}

/** Admin: a failed job runs again (its processor is idempotent), or is removed. */
export async function actOnFailedJob(
  deps: Pick<Deps, 'jobs' | 'prisma' | 'clock' | 'events'>,
  input: { queue: string; id: string; action: 'retry' | 'remove'; actor: TActor; reason: string },
): Promise<{ done: true }> {
  if (input.actor.role !== 'admin') throw new ForbiddenError(`only an admin can ${input.action} a failed job`);
  const job = await queue(deps, input.queue).getJob(input.id);
  if (!job) throw new JobsInputError(`no job ${input.id} on ${input.queue}`);
  if (!(await job.isFailed())) throw new JobsInputError(`job ${input.id} on ${input.queue} is not failed (it is ${await job.getState()})`);
  if (input.action === 'retry') await job.retry('failed');
  else await job.remove();
  await audit(deps, input.actor, `jobs.${input.action}`, input.reason, { queue: input.queue, id: input.id, name: job.name, failedReason: job.failedReason });
  return { done: true };
}

/** Trader+: a scheduled job (a monitor or maintenance queue with a scheduler) runs once now. */
export async function runScheduledNow(deps: Pick<Deps, 'jobs' | 'prisma' | 'clock' | 'events'>, input: { queue: string; actor: TActor; reason: string }): Promise<{ jobId: string }> {
  if (input.actor.role === 'viewer') throw new ForbiddenError('viewers cannot run jobs');
  const q = queue(deps, input.queue);
  if (input.queue === 'scheduler.trigger') throw new JobsInputError('a scheduled job of ops/job-definitions.yaml runs with its dependencies: use "Run now" on the job');
  if (!(await q.getJobSchedulers(0, 0)).length) throw new JobsInputError(`${input.queue} has no schedule: only scheduled jobs can be run now`);
  const jobId = `${input.queue}-manual-${deps.clock.now().getTime()}`;
  await q.add(input.queue, {}, { jobId, attempts: 1, removeOnComplete: { count: 50 }, removeOnFail: { count: 200 } });
  await audit(deps, input.actor, 'jobs.run-now', input.reason, { queue: input.queue, jobId });
  return { jobId };
}

/** Trader+: a job of ops/job-definitions.yaml runs now, after its dependencies (market hours not applied; HALT is). Audited. */
export async function runScheduledJob(
  deps: SchedulerDeps & Pick<Deps, 'events'>,
  defs: TJobDefinitions,
  input: { name: string; actor: TActor; reason: string },
): Promise<TriggerResult> {
  if (input.actor.role === 'viewer') throw new ForbiddenError('viewers cannot run jobs');
  const r = await triggerJob(deps, defs, input.name, { trigger: 'manual', requestedBy: input.actor.email }).catch((e: unknown) => {
    if (e instanceof SchedulerInputError) throw new JobsInputError(e.message);
    throw e;
  });
  await audit(deps, input.actor, 'jobs.run-job', input.reason, { job: input.name, runId: r.runId, status: r.status, ...(r.status === 'skipped' ? { skipped: r.reason } : {}) });
  return r;
}
