// The job catalog: every BullMQ queue of the pipeline, its payload schema and its natural job id.
// Processors parse payloads with these schemas; producers build ids with jobId() so re-adds dedupe.
import { z } from 'zod';
import { ZAlertDelivery } from './alerts.ts';
import { ZBar, ZSymbol, ZTimeframe, ZTradeUpdate } from './market.ts';
import { ZReadinessCheckId } from './readiness.ts';
import { ZScannerLayer } from './scanner.ts';

export const ZDay = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date like 2025-06-04');
export const ZBackfillStage = z.enum(['market_data', 'news']);
export type TBackfillStage = z.infer<typeof ZBackfillStage>;

export const JOBS = {
  'ingest.bars': {
    payload: z.object({ bar: ZBar }),
    id: (p: { bar: { symbol: string; timeframe: string; ts: string } }) => `bar-${p.bar.symbol}-${p.bar.timeframe}-${Date.parse(p.bar.ts)}`,
  },
  'scoring.score': {
    payload: z.object({ symbol: ZSymbol, timeframe: ZTimeframe, ts: z.iso.datetime() }),
    id: (p: { symbol: string; timeframe: string; ts: string }) => `score-${p.symbol}-${p.timeframe}-${Date.parse(p.ts)}`,
  },
  'risk.check': {
    payload: z.object({ signalId: z.uuid() }),
    id: (p: { signalId: string }) => `risk-${p.signalId}`,
  },
  'execution.submit': {
    payload: z.object({ intentId: z.uuid() }),
    id: (p: { intentId: string }) => `submit-${p.intentId}`,
  },
  'broker.sim-match': {
    payload: z.object({ symbol: ZSymbol, timeframe: ZTimeframe, ts: z.iso.datetime() }),
    id: (p: { symbol: string; timeframe: string; ts: string }) => `match-${p.symbol}-${p.timeframe}-${Date.parse(p.ts)}`,
  },
  'portfolio.apply': {
    payload: z.object({ update: ZTradeUpdate }),
    id: (p: { update: { clientOrderId: string; event: string; executionId?: string | undefined } }) =>
      `trade-${p.update.executionId ?? `${p.update.clientOrderId}-${p.update.event}`}`,
  },
  'backfill.chunk': {
    payload: z.object({ runId: z.uuid(), stage: ZBackfillStage, symbol: ZSymbol, day: ZDay, attempt: z.number().int().min(0) }),
    id: (p: { runId: string; stage: string; symbol: string; day: string; attempt: number }) => `bf-${p.runId}-${p.stage}-${p.symbol}-${p.day}-${p.attempt}`,
  },
  'backfill.run': {
    payload: z.object({ runId: z.uuid(), attempt: z.number().int().min(0) }),
    id: (p: { runId: string; attempt: number }) => `bfrun-${p.runId}-${p.attempt}`,
  },
  'maintenance.daily-data': {
    payload: z.object({ date: ZDay.optional() }),
    id: (p: { date?: string | undefined }) => `daily-data-${p.date ?? 'last'}-${Date.now()}`,
  },
  'monitor.breakers': {
    payload: z.object({}),
    id: () => `breakers-${Date.now()}`, // scheduled (upsertJobScheduler)
  },
  'monitor.outbox': {
    payload: z.object({}),
    id: () => `outbox-${Date.now()}`, // scheduled (upsertJobScheduler)
  },
  'monitor.reconcile': {
    payload: z.object({}),
    id: () => `reconcile-${Date.now()}`, // scheduled (upsertJobScheduler) and once at start
  },
  'alerts.deliver': {
    payload: ZAlertDelivery,
    id: (p: { alertId: string; count: number }) => `alert-${p.alertId}-${p.count}`,
  },
  'monitor.freshness': {
    payload: z.object({}),
    id: () => `freshness-${Date.now()}`, // scheduled (upsertJobScheduler); an ad-hoc run is its own job
  },
  // The scheduler (ops/job-definitions.yaml): its trigger, and the tasks that only it starts. Runs have their own
  // ids (run-<job run id>); these ids serve an ad-hoc add.
  'scheduler.trigger': {
    payload: z.object({ job: z.string().min(1) }),
    id: (p: { job: string }) => `trigger-${p.job}-${Date.now()}`,
  },
  'backfill.scheduled': {
    payload: z.object({ days: z.number().int().min(1).max(30).default(1), stages: z.array(ZBackfillStage).min(1).default(['market_data']) }),
    id: () => `backfill-scheduled-${Date.now()}`,
  },
  'maintenance.partitions': {
    payload: z.object({ daysAhead: z.number().int().min(0).max(3660).default(30) }),
    id: () => `partitions-${Date.now()}`,
  },
  'maintenance.features': {
    payload: z.object({ timeframe: ZTimeframe.default('5m'), days: z.number().int().min(1).max(30).default(1) }),
    id: () => `features-${Date.now()}`,
  },
  'scanner.run': {
    payload: z.object({ layer: ZScannerLayer }),
    id: (p: { layer: string }) => `scan-${p.layer}-${Date.now()}`,
  },
  'maintenance.archive': {
    payload: z.object({ days: z.number().int().min(1).max(36_500).default(365) }),
    id: () => `archive-${Date.now()}`,
  },
  'maintenance.vacuum': {
    payload: z.object({ analyzeOnly: z.boolean().default(false) }),
    id: () => `vacuum-${Date.now()}`,
  },
  'maintenance.backup': {
    payload: z.object({}),
    id: () => `backup-${Date.now()}`,
  },
  // Go-live readiness checks (readiness.ts): the expensive ones on a schedule, any by hand.
  'readiness.run': {
    payload: z.object({ checks: z.array(ZReadinessCheckId).min(1).optional(), /** the admin who pressed Run now */ requestedBy: z.string().max(200).optional() }),
    id: () => `readiness-${Date.now()}`,
  },
  'ramp.evaluate': {
    payload: z.object({}),
    id: () => `ramp-${Date.now()}`,
  },
} as const;

export type TJobName = keyof typeof JOBS;
export type TJobPayload<N extends TJobName> = z.infer<(typeof JOBS)[N]['payload']>;
export const JOB_NAMES = Object.keys(JOBS) as TJobName[];

export function jobId<N extends TJobName>(name: N, payload: TJobPayload<N>): string {
  return (JOBS[name].id as (p: TJobPayload<N>) => string)(payload);
}
