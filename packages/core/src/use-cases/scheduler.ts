// The job scheduler: one BullMQ Job Scheduler per definition fires a `scheduler.trigger` job; the trigger applies
// the gates (market hours on the NYSE calendar, HALT for jobs that trade) and queues the job as a BullMQ flow after
// its dependencies. Every run — queued, skipped or done — is a job_runs row, the durable history.
import { runOrder, type TJobDefinition, type TJobDefinitions, type TJobTrigger } from '@ai-trader/contracts';
import { FlowProducer, type FlowJob, type Queue } from 'bullmq';
import type { Queues } from '../infra/queues.ts';
import type { Deps } from '../ports.ts';
import { marketHoursBlock } from './scheduler-gates.ts';
import { getTradingState } from './trading-state.ts';

export type SchedulerDeps = Pick<Deps, 'prisma' | 'jobs' | 'clock' | 'logger' | 'config' | 'redis'>;

export class SchedulerInputError extends Error {}

/** What a task job carries beside its payload, for the run recorder (scheduler-runs.ts). */
export interface RunMeta {
  id: string;
  job: string;
  /** Runs that wait for this one, nearest first: failed with it when it fails for good. */
  dependents: string[];
  timeoutMs: number;
  trading: boolean;
}

const KEEP = { removeOnComplete: { age: 7 * 86_400, count: 1000 }, removeOnFail: { age: 14 * 86_400, count: 1000 } };

export function triggerQueue(deps: Pick<Deps, 'jobs'>): Queue {
  const q = (deps.jobs as Partial<Queues>).queues?.get('scheduler.trigger');
  if (!q) throw new Error('this process has no queue handles (jobs are only sinks here)');
  return q;
}

export function definitionOf(defs: TJobDefinitions, name: string): TJobDefinition {
  const d = defs[name];
  if (!d) throw new SchedulerInputError(`no scheduled job named ${name}; jobs: ${Object.keys(defs).sort().join(', ')}`);
  return d;
}

/**
 * One Job Scheduler per enabled definition with a schedule (upserted: a changed schedule replaces the old one); schedulers of jobs
 * no longer defined or disabled are removed. Each target queue's global concurrency is the lowest its definitions ask.
 */
export async function syncSchedules(deps: SchedulerDeps, defs: TJobDefinitions): Promise<{ upserted: string[]; removed: string[] }> {
  const tq = triggerQueue(deps);
  const enabled = Object.entries(defs).filter(([, d]) => d.enabled && (d.cron || d.every !== undefined));
  for (const [name, d] of enabled) {
    const repeat = d.cron ? { pattern: d.cron, tz: d.tz } : { every: d.every! };
    await tq.upsertJobScheduler(name, repeat, { name: 'scheduler.trigger', data: { job: name }, opts: { attempts: 1, removeOnComplete: { count: 200 }, removeOnFail: { count: 200 } } });
  }
  const removed: string[] = [];
  for (const s of await tq.getJobSchedulers(0, -1)) {
    if (!enabled.some(([name]) => name === s.key)) {
      await tq.removeJobScheduler(s.key);
      removed.push(s.key);
    }
  }
  const limits = new Map<string, number>();
  for (const d of Object.values(defs)) if (d.enabled) limits.set(d.queue, Math.min(limits.get(d.queue) ?? Infinity, d.concurrency));
  const queues = (deps.jobs as Queues).queues;
  for (const [queue, n] of limits) await queues.get(queue as never)!.setGlobalConcurrency(n);
  // The daily-data chores were a hard-coded schedule before the file: the file's jobs replace it.
  await queues.get('maintenance.daily-data')?.removeJobScheduler('daily-data');
  deps.logger.info({ category: 'scheduler', jobs: enabled.map(([n]) => n), removed }, `scheduler: ${enabled.length} job(s) scheduled`);
  return { upserted: enabled.map(([n]) => n), removed };
}

export type TriggerResult =
  | { status: 'queued'; runId: string; runs: { job: string; runId: string }[] }
  | { status: 'skipped'; runId: string; reason: string };

/**
 * Runs a definition now, after its dependencies (each once, in dependency order, as one BullMQ flow whose children
 * fail their parent). A schedule's trigger honours market hours; an operator's manual run does not, but neither
 * runs a job that trades (or depends on one that does) while trading is HALTED.
 */
export async function triggerJob(
  deps: SchedulerDeps,
  defs: TJobDefinitions,
  name: string,
  opts: { trigger: Exclude<TJobTrigger, 'dependency'>; requestedBy?: string },
): Promise<TriggerResult> {
  const def = definitionOf(defs, name);
  const order = runOrder(defs, name);
  const now = deps.clock.now();
  let reason = opts.trigger === 'schedule' ? marketHoursBlock(def, now) : null;
  if (!reason && opts.trigger === 'schedule' && !def.enabled) reason = 'disabled in the job definitions';
  if (!reason && order.some((n) => defs[n]!.trading)) {
    const state = await getTradingState(deps.prisma);
    if (state.state === 'HALTED') reason = `paused: trading HALTED (${state.reason})`;
  }
  if (reason) {
    const run = await deps.prisma.jobRun.create({
      data: { job: name, queue: def.queue, trigger: opts.trigger, status: 'skipped', reason, requestedBy: opts.requestedBy ?? null, queuedAt: now, finishedAt: now, durationMs: 0 },
    });
    deps.logger.info({ category: 'scheduler', job: name, trigger: opts.trigger, reason }, `scheduled job ${name} skipped: ${reason}`);
    return { status: 'skipped', runId: run.id, reason };
  }

  const rootId = crypto.randomUUID();
  const ids = new Map(order.map((n) => [n, n === name ? rootId : crypto.randomUUID()]));
  await deps.prisma.jobRun.createMany({
    data: order.map((n) => ({
      id: ids.get(n)!, job: n, queue: defs[n]!.queue, trigger: n === name ? opts.trigger : 'dependency', status: 'queued',
      rootRunId: n === name ? null : rootId, requestedBy: opts.requestedBy ?? null, queuedAt: now,
    })),
  });
  try {
    await flows(deps).add(chain(defs, order, ids));
  } catch (e) {
    await deps.prisma.jobRun.updateMany({ where: { id: { in: [...ids.values()] } }, data: { status: 'failed', error: `not queued: ${(e as Error).message}`, finishedAt: now } });
    throw e;
  }
  deps.logger.info({ category: 'scheduler', job: name, trigger: opts.trigger, runs: order }, `scheduled job ${name} queued (${order.join(' → ')})`);
  return { status: 'queued', runId: rootId, runs: order.map((n) => ({ job: n, runId: ids.get(n)! })) };
}

/** [d1, d2, job] → job { children: [d2 { children: [d1] }] }: each waits for the one before it. */
function chain(defs: TJobDefinitions, order: string[], ids: Map<string, string>): FlowJob {
  let below: FlowJob | undefined;
  for (const [i, n] of order.entries()) {
    const d = defs[n]!;
    const meta: RunMeta = { id: ids.get(n)!, job: n, dependents: order.slice(i + 1).map((x) => ids.get(x)!), timeoutMs: d.timeout, trading: d.trading };
    below = {
      name: d.queue, queueName: d.queue, data: { ...d.payload, _run: meta },
      opts: {
        jobId: `run-${meta.id}`, attempts: d.retries.attempts, backoff: { type: d.retries.backoff.type, delay: d.retries.backoff.delay }, ...KEEP,
        ...(i < order.length - 1 ? { failParentOnFailure: true } : {}),
      },
      ...(below ? { children: [below] } : {}),
    };
  }
  return below!;
}

const producers = new WeakMap<object, FlowProducer>();
/** One FlowProducer per Redis connection, on that connection (shared: closing the producer leaves it open). */
function flows(deps: Pick<Deps, 'redis' | 'config'>): FlowProducer {
  let p = producers.get(deps.redis);
  if (!p) producers.set(deps.redis, (p = new FlowProducer({ connection: deps.redis, prefix: deps.config.REDIS_PREFIX })));
  return p;
}
