// One thin processor per queue: parse the payload with the catalog's schema, call one use-case.
// A payload that does not parse can never succeed, so it fails without retries (UnrecoverableError).
import { JOBS, type TJobDefinitions, type TJobName, type TJobPayload } from '@ai-trader/contracts';
import { applyTradeUpdate, checkBreakers, deliverAlert, checkRisk, reconcile, driveSimulatedMarket, dailyDataMaintenance, finishBackfillRun, ingestBar, monitorFreshness, runBackfillChunk, scoreBar, submitIntent, sweepOutbox, ensureHoldingSubmission, type Deps } from '@ai-trader/core';
import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import { SCHEDULER_PROCESSORS } from './scheduler.processors.ts';

/** What a processor may need beyond deps: the scheduled jobs (only a process running the scheduler role has them). */
export interface ProcessorContext {
  definitions?: TJobDefinitions;
  /** Aborted when a scheduled run passes its timeout. */
  signal?: AbortSignal;
}
export type Processor = (deps: Deps, job: Job, token?: string, ctx?: ProcessorContext) => Promise<unknown>;

export function parse<N extends TJobName>(name: N, job: Job): TJobPayload<N> {
  const r = JOBS[name].payload.safeParse(job.data);
  if (!r.success) throw new UnrecoverableError(`job ${job.id} on ${name}: bad payload: ${r.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`);
  return r.data as TJobPayload<N>;
}

/** When each held submission job (by id) last made sure the intent holding it has a live job: this process's. */
const heldChecks = new Map<string, number>();

export const PROCESSORS: { [N in TJobName]: Processor } = {
  ...SCHEDULER_PROCESSORS,
  'ingest.bars': (deps, job) => ingestBar(deps, parse('ingest.bars', job).bar),
  'scoring.score': (deps, job) => scoreBar(deps, parse('scoring.score', job)),
  'risk.check': (deps, job) => checkRisk(deps, parse('risk.check', job)).then((d) => ({ outcome: d.outcome, reasonCode: d.reasonCode })),
  'execution.submit': async (deps, job, token) => {
    const payload = parse('execution.submit', job);
    const outcome = await submitIntent(deps, payload, { isLastAttempt: job.attemptsMade + 1 >= (job.opts.attempts ?? 1) }).catch((e: unknown) => {
      heldChecks.delete(job.id!);
      throw e;
    });
    if (outcome !== 'waiting') {
      heldChecks.delete(job.id!);
      return outcome;
    }
    // Per-symbol order: an older intent of the symbol goes first; look again shortly (not an attempt used up). Held
    // for long, make sure the older one's job will run (lost to a store outage, it would hold us until the sweep).
    const every = deps.config.OUTBOX_HOLD_RECHECK_SECONDS * 1000;
    if (Date.now() - (heldChecks.get(job.id!) ?? job.timestamp) >= every) {
      heldChecks.set(job.id!, Date.now());
      await ensureHoldingSubmission(deps, payload.intentId);
    }
    await job.moveToDelayed(Date.now() + 20, token);
    throw new DelayedError();
  },
  'broker.sim-match': (deps, job) => driveSimulatedMarket(deps, parse('broker.sim-match', job)),
  'portfolio.apply': (deps, job) => applyTradeUpdate(deps, parse('portfolio.apply', job).update),
  'backfill.chunk': async (deps, job) => {
    try {
      return await runBackfillChunk(deps, parse('backfill.chunk', job), { isLast: job.attemptsMade + 1 >= (job.opts.attempts ?? 1) });
    } catch (e) {
      if ((e as { permanent?: boolean }).permanent) throw new UnrecoverableError((e as Error).message);
      throw e;
    }
  },
  'backfill.run': (deps, job) => finishBackfillRun(deps, parse('backfill.run', job)),
  'alerts.deliver': async (deps, job) => {
    const { results, retry } = await deliverAlert(deps, parse('alerts.deliver', job), { isLastAttempt: job.attemptsMade + 1 >= (job.opts.attempts ?? 1) });
    // A sink that may yet take it: fail this attempt so BullMQ retries with backoff (the sinks that took it are skipped).
    if (retry) throw new Error(`alert not delivered to ${results.filter((r) => r.status === 'failed' && r.error).map((r) => `${r.sink} (${r.error})`).join(', ')}`);
    return results.map((r) => ({ sink: r.sink, status: r.status }));
  },
  'monitor.freshness': (deps) => monitorFreshness(deps),
  'monitor.breakers': (deps) => checkBreakers(deps),
  'monitor.reconcile': (deps) => reconcile(deps),
  'monitor.outbox': (deps) => sweepOutbox(deps),
  'maintenance.daily-data': (deps, job) => dailyDataMaintenance(deps, parse('maintenance.daily-data', job)),
};

/** Queues a scheduled task's work continues on (a scheduled backfill's chunks): a process running the scheduler
 *  role works them too, so a scheduled run can finish where no backfill role runs. */
export const WORK_BEHIND: Partial<Record<TJobName, { queue: TJobName; concurrency: number }[]>> = {
  'backfill.scheduled': [
    { queue: 'backfill.chunk', concurrency: 4 },
    { queue: 'backfill.run', concurrency: 1 },
  ],
};

/** Which queues each worker role consumes. Ordered hops that must not race run with concurrency 1. */
export const ROLE_QUEUES: Record<string, { queue: TJobName; concurrency: number }[]> = {
  ingest: [
    { queue: 'ingest.bars', concurrency: 1 },
    { queue: 'monitor.freshness', concurrency: 1 },
  ],
  scoring: [{ queue: 'scoring.score', concurrency: 4 }],
  risk: [
    { queue: 'risk.check', concurrency: 1 },
    { queue: 'monitor.breakers', concurrency: 1 },
  ],
  execution: [
    { queue: 'execution.submit', concurrency: 4 }, // one submitter per intent (row lock); per-symbol order kept by submitIntent
    { queue: 'monitor.outbox', concurrency: 1 },
  ],
  broker: [
    { queue: 'broker.sim-match', concurrency: 1 },
    { queue: 'monitor.reconcile', concurrency: 1 },
    // Alert delivery lives with the broker role because every deployment that trades runs it. Concurrency 4: a
    // sink waiting out its timeout does not hold up the next alert.
    { queue: 'alerts.deliver', concurrency: 4 },
  ],
  portfolio: [{ queue: 'portfolio.apply', concurrency: 1 }],
  backfill: [
    { queue: 'backfill.chunk', concurrency: 4 },
    { queue: 'backfill.run', concurrency: 1 },
    { queue: 'maintenance.daily-data', concurrency: 1 },
  ],
  // The trigger of every scheduled job, and the tasks only the scheduler starts. A process with this role also
  // works the other queues its scheduled jobs name (e.g. monitor.reconcile), so a scheduled run never waits for
  // a role that is not deployed.
  scheduler: [
    { queue: 'scheduler.trigger', concurrency: 2 },
    { queue: 'backfill.scheduled', concurrency: 1 },
    { queue: 'maintenance.partitions', concurrency: 1 },
    { queue: 'maintenance.features', concurrency: 1 },
    { queue: 'scanner.run', concurrency: 1 },
    { queue: 'maintenance.archive', concurrency: 1 },
    { queue: 'maintenance.vacuum', concurrency: 1 },
    { queue: 'maintenance.backup', concurrency: 1 },
    { queue: 'readiness.run', concurrency: 1 },
    { queue: 'ramp.evaluate', concurrency: 1 },
  ],
};
