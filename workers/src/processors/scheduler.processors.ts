// The scheduler's processors: the trigger (gates, then the job's flow after its dependencies) and the tasks that
// only the scheduler starts. Thin, like the others: parse with the catalog's schema, call one use-case.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { JOBS, ZScannerConfig, type TJobName, type TJobPayload } from '@ai-trader/contracts';
import {
  evaluateRamp, readinessChecks, runScanner, scheduledArchive, scheduledBackfill, scheduledBackup, scheduledFeatures, scheduledPartitions, scheduledVacuum, triggerJob,
} from '@ai-trader/core';
import { ConfigFileError, loadCapitalRamp, parseYamlConfig } from '@ai-trader/adapters';
import { runReadiness, SCHEDULED_READINESS_CHECKS } from '@ai-trader/core';
import { UnrecoverableError, type Job } from 'bullmq';
import type { Processor } from './pipeline.processors.ts';

/** The scanner's configuration, read at each run so an edited file counts from the next one. */
export const SCANNER_CONFIG_FILE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../ops/scanner.yaml');

function payload<N extends TJobName>(name: N, job: Job): TJobPayload<N> {
  const r = JOBS[name].payload.safeParse(job.data);
  if (!r.success) throw new UnrecoverableError(`job ${job.id} on ${name}: bad payload: ${r.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`);
  return r.data as TJobPayload<N>;
}

export const SCHEDULER_PROCESSORS = {
  'scheduler.trigger': async (deps, job, _token, ctx) => {
    if (!ctx?.definitions) throw new UnrecoverableError('this process runs no scheduler role: it has no job definitions');
    const { job: name } = payload('scheduler.trigger', job);
    // A schedule left behind by a definition since removed: nothing to run (the next sync removes it).
    if (!ctx.definitions[name]) return { status: 'unknown', job: name };
    return triggerJob(deps, ctx.definitions, name, { trigger: 'schedule', requestedBy: 'system:scheduler' });
  },
  'backfill.scheduled': (deps, job, _token, ctx) => scheduledBackfill(deps, payload('backfill.scheduled', job), { signal: ctx?.signal }),
  'maintenance.partitions': (deps, job) => scheduledPartitions(deps, payload('maintenance.partitions', job)),
  'maintenance.features': (deps, job) => scheduledFeatures(deps, payload('maintenance.features', job)),
  'scanner.run': async (deps, job) => {
    const { layer } = payload('scanner.run', job);
    const config = parseYamlConfig(readFileSync(SCANNER_CONFIG_FILE, 'utf8'), SCANNER_CONFIG_FILE, ZScannerConfig);
    const r = await runScanner(deps, { layer, config });
    return { runId: r.run.id, layer, status: r.run.status };
  },
  'maintenance.archive': (deps, job) => scheduledArchive(deps, payload('maintenance.archive', job)),
  'maintenance.vacuum': (deps, job) => scheduledVacuum(deps, payload('maintenance.vacuum', job)),
  'maintenance.backup': (deps) => scheduledBackup(deps),
  // Readiness checks (default: the expensive ones the report leaves to the schedule), stored with the job as who ran them.
  'readiness.run': async (deps, job) => {
    const { checks, requestedBy } = payload('readiness.run', job);
    const r = await runReadiness(deps, { checks: checks ?? SCHEDULED_READINESS_CHECKS, ranBy: requestedBy ?? `job:${(job.data as { _run?: { job?: string } })._run?.job ?? job.name}`, trigger: requestedBy ? 'manual' : 'schedule' });
    return { checks: r.map((x) => `${x.id} ${x.status}`) };
  },
  // The capital ramp's evaluation: its file read at each run (a bad file fails the run with its line, no retry).
  'ramp.evaluate': async (deps) => {
    let ramp;
    try {
      ramp = loadCapitalRamp(deps.config.CAPITAL_RAMP_FILE).ramp;
    } catch (e) {
      throw e instanceof ConfigFileError ? new UnrecoverableError(e.message) : e;
    }
    const r = await evaluateRamp(deps, { ramp, readiness: readinessChecks });
    return { verdict: r.verdict.kind, reason: r.verdict.reason, step: r.state?.stepName ?? null };
  },
} satisfies Partial<Record<TJobName, Processor>>;
