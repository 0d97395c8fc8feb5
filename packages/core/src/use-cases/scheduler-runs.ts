// A scheduled job's run as its worker sees it: recorded in job_runs (running, each attempt, succeeded or failed),
// held to its timeout, paused while HALTED if it trades; and the reads of that history (status, waiting on a run).
import type { TJobDefinitions, TJobRunView, TScheduledJobView } from '@ai-trader/contracts';
import type { JobRunModel } from '@ai-trader/db';
import { UnrecoverableError } from 'bullmq';
import type { Deps } from '../ports.ts';
import { describeMarketHours, describeSchedule } from './scheduler-gates.ts';
import { triggerQueue, type RunMeta } from './scheduler.ts';
import { getTradingState } from './trading-state.ts';

interface TaskJob {
  data: unknown;
  attemptsMade: number;
  opts: { attempts?: number | undefined };
}

export class JobTimeoutError extends Error {}

function metaOf(job: TaskJob): RunMeta | null {
  const m = (job.data as { _run?: RunMeta } | null)?._run;
  return m && typeof m.id === 'string' ? m : null;
}

/**
 * Runs `work` for a task job. A job the scheduler queued (it carries `_run`) is recorded: running, then succeeded
 * or — after its last attempt, or at once when unrecoverable — failed, and the runs waiting on it failed with it.
 * A run past its definition's timeout fails (and retries like any failure); its work is told through the signal
 * (a task that waits, like the scheduled backfill, stops waiting; a statement already sent runs to its end).
 */
export async function recordRun<T>(deps: Pick<Deps, 'prisma' | 'clock' | 'logger'>, job: TaskJob, work: (signal?: AbortSignal) => Promise<T>): Promise<T> {
  const meta = metaOf(job);
  if (!meta) return work();
  const attempt = job.attemptsMade + 1;
  const startedAt = deps.clock.now();
  const row = await deps.prisma.jobRun.findUnique({ where: { id: meta.id }, select: { startedAt: true } });
  const firstStart = row?.startedAt ?? startedAt;
  await deps.prisma.jobRun.updateMany({ where: { id: meta.id }, data: { status: 'running', startedAt: firstStart, attempts: attempt } });
  if (meta.trading) {
    const state = await getTradingState(deps.prisma);
    if (state.state === 'HALTED') {
      const reason = `paused: trading HALTED (${state.reason})`;
      await finish(deps, meta, firstStart, { status: 'skipped', reason });
      await failDependents(deps, meta, `dependency ${meta.job} skipped: ${reason}`);
      throw new UnrecoverableError(reason);
    }
  }
  let timer: NodeJS.Timeout | undefined;
  const abort = new AbortController();
  try {
    const result = await Promise.race([
      work(abort.signal),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          const e = new JobTimeoutError(`timed out after ${meta.timeoutMs / 1000} s`);
          abort.abort(e);
          reject(e);
        }, meta.timeoutMs);
      }),
    ]);
    await finish(deps, meta, firstStart, { status: 'succeeded', result: summary(result) });
    deps.logger.info({ category: 'scheduler', job: meta.job, run: meta.id, attempt }, `scheduled job ${meta.job} succeeded`);
    return result;
  } catch (e) {
    const message = (e as Error).message ?? String(e);
    const last = e instanceof UnrecoverableError || attempt >= (job.opts.attempts ?? 1);
    if (last) {
      await finish(deps, meta, firstStart, { status: 'failed', error: message });
      await failDependents(deps, meta, `dependency ${meta.job} failed: ${message}`);
      deps.logger.warn({ category: 'scheduler', job: meta.job, run: meta.id, attempt, err: message }, `scheduled job ${meta.job} failed`);
    } else {
      await deps.prisma.jobRun.updateMany({ where: { id: meta.id }, data: { status: 'queued', error: `attempt ${attempt} failed: ${message}` } });
    }
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

async function finish(deps: Pick<Deps, 'prisma' | 'clock'>, meta: RunMeta, startedAt: Date, r: { status: string; reason?: string; error?: string; result?: object | null }) {
  const finishedAt = deps.clock.now();
  await deps.prisma.jobRun.updateMany({
    where: { id: meta.id },
    data: { status: r.status, reason: r.reason ?? null, error: r.error ?? null, ...(r.result ? { result: r.result } : {}), finishedAt, durationMs: Math.max(0, finishedAt.getTime() - startedAt.getTime()) },
  });
}

async function failDependents(deps: Pick<Deps, 'prisma' | 'clock'>, meta: RunMeta, reason: string) {
  if (!meta.dependents.length) return;
  await deps.prisma.jobRun.updateMany({ where: { id: { in: meta.dependents }, status: 'queued' }, data: { status: 'failed', reason, finishedAt: deps.clock.now() } });
}

/** A small JSON of what the use-case returned, for the history (the full result is in the logs). */
function summary(result: unknown): object | null {
  if (result === undefined || result === null) return null;
  const text = JSON.stringify(result);
  return text.length <= 2000 ? (JSON.parse(text) as object) : { truncated: text.slice(0, 2000) };
}

export function toRunView(r: JobRunModel): TJobRunView {
  return {
    id: r.id, job: r.job, queue: r.queue, trigger: r.trigger as TJobRunView['trigger'], status: r.status as TJobRunView['status'], reason: r.reason, rootRunId: r.rootRunId,
    attempts: r.attempts, error: r.error, queuedAt: r.queuedAt.toISOString(), startedAt: r.startedAt?.toISOString() ?? null,
    finishedAt: r.finishedAt?.toISOString() ?? null, durationMs: r.durationMs,
  };
}

/** Every definition with its schedule, next run, last result, duration and failures in the last 24 h. */
export async function schedulerStatus(deps: Pick<Deps, 'prisma' | 'jobs' | 'clock'>, defs: TJobDefinitions): Promise<TScheduledJobView[]> {
  const names = Object.keys(defs);
  const since = new Date(deps.clock.now().getTime() - 86_400_000);
  const [schedulers, state, failures] = await Promise.all([
    triggerQueue(deps).getJobSchedulers(0, -1),
    getTradingState(deps.prisma),
    deps.prisma.jobRun.groupBy({ by: ['job'], where: { job: { in: names }, status: 'failed', queuedAt: { gte: since } }, _count: { _all: true } }),
  ]);
  const out: TScheduledJobView[] = [];
  for (const name of names) {
    const d = defs[name]!;
    const [last, ok] = await Promise.all([
      deps.prisma.jobRun.findFirst({ where: { job: name, status: { not: 'queued' } }, orderBy: { queuedAt: 'desc' } }),
      deps.prisma.jobRun.findFirst({ where: { job: name, status: 'succeeded' }, orderBy: { queuedAt: 'desc' }, select: { finishedAt: true } }),
    ]);
    const s = schedulers.find((x) => x.key === name);
    out.push({
      name, description: d.description, queue: d.queue, schedule: describeSchedule(d), marketHours: describeMarketHours(d), dependsOn: d.depends_on,
      trading: d.trading, enabled: d.enabled, paused: d.trading && state.state === 'HALTED' ? `trading HALTED (${state.reason})` : null,
      nextRun: d.enabled && s?.next ? new Date(s.next).toISOString() : null, last: last ? toRunView(last) : null,
      lastSucceededAt: ok?.finishedAt?.toISOString() ?? null, failures24h: failures.find((f) => f.job === name)?._count._all ?? 0,
    });
  }
  return out;
}

/** The runs of one trigger: the job's run and those of its dependencies, in the order they run. */
export async function runsOf(deps: Pick<Deps, 'prisma'>, rootRunId: string): Promise<TJobRunView[]> {
  const rows = await deps.prisma.jobRun.findMany({ where: { OR: [{ id: rootRunId }, { rootRunId }] } });
  const root = rows.find((r) => r.id === rootRunId);
  // Dependencies first (queued together; ties broken by the start), the job itself last.
  return rows.filter((r) => r !== root).sort((a, b) => (a.startedAt?.getTime() ?? Infinity) - (b.startedAt?.getTime() ?? Infinity)).concat(root ? [root] : []).map(toRunView);
}

export async function recentRuns(deps: Pick<Deps, 'prisma'>, q: { job?: string; limit: number }): Promise<TJobRunView[]> {
  const rows = await deps.prisma.jobRun.findMany({ where: q.job ? { job: q.job } : {}, orderBy: { queuedAt: 'desc' }, take: q.limit });
  return rows.map(toRunView);
}
