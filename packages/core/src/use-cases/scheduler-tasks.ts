// The scheduled tasks that had no queue of their own: each calls the use-case an operator's command calls, with
// what a schedule knows (the feed's symbols, the last completed trading day, the configured directories).
import type { TJobPayload } from '@ai-trader/contracts';
import type { Deps } from '../ports.ts';
import { archiveBars } from './archive-bars.ts';
import { backfillStatus, lastTradingDays, startBackfill } from './backfill-plan.ts';
import { takeBackup } from './backup-database.ts';
import { lastCompletedTradingDay } from './daily-data-maintenance.ts';
import { vacuumDatabase } from './database-maintenance.ts';
import { computeStoredFeatures } from './features.ts';
import { maintainPartitions } from './maintain-partitions.ts';
import { expectedFeedSymbols } from './monitor-freshness.ts';

const SCHEDULER = 'system:scheduler';

/**
 * The feed's symbols over the last `days` completed trading days, from the configured providers; resolves when
 * the backfill run has finished (its chunks run on the backfill workers), and fails when any chunk failed.
 */
export async function scheduledBackfill(deps: Deps, p: TJobPayload<'backfill.scheduled'>, opts: { pollMs?: number; signal?: AbortSignal | undefined } = {}) {
  const range = lastTradingDays(lastCompletedTradingDay(deps.clock.now()), p.days);
  const { runId, chunks } = await startBackfill(deps, { symbols: expectedFeedSymbols(deps.config), stages: p.stages, timeframe: '5m', ...range, requestedBy: SCHEDULER });
  for (;;) {
    opts.signal?.throwIfAborted(); // timed out: stop waiting (the run's chunks stay queued for the backfill workers)
    const [run] = await backfillStatus(deps, runId);
    if (run && (run.status === 'succeeded' || run.status === 'failed' || run.status === 'canceled')) {
      if (run.status !== 'succeeded') throw new Error(`backfill run ${runId} ${run.status}: ${run.failed} of ${run.total} chunk(s) failed${run.error ? ` (${run.error})` : ''}`);
      return { runId, chunks, ...range, rowsStored: run.rowsStored, rowsRejected: run.rowsRejected };
    }
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 2000));
  }
}

export async function scheduledPartitions(deps: Deps, p: TJobPayload<'maintenance.partitions'>) {
  const r = await maintainPartitions(deps, { daysAhead: p.daysAhead });
  return { created: Object.values(r.created).flat(), defaultRows: r.defaultRows };
}

/** The feature set of the feed's symbols over the last `days` completed trading days. */
export async function scheduledFeatures(deps: Deps, p: TJobPayload<'maintenance.features'>) {
  const range = lastTradingDays(lastCompletedTradingDay(deps.clock.now()), p.days);
  const r = await computeStoredFeatures(deps, { symbols: expectedFeedSymbols(deps.config), timeframe: p.timeframe, ...range });
  return { ...range, timeframe: r.timeframe, bars: r.bars, written: r.written };
}

export async function scheduledArchive(deps: Deps, p: TJobPayload<'maintenance.archive'>) {
  const r = await archiveBars(deps, { days: p.days, actor: { id: SCHEDULER, email: SCHEDULER } });
  return { cutoff: r.cutoff, dir: r.dir, partitions: r.partitions.map((x) => x.partition) };
}

export async function scheduledVacuum(deps: Deps, p: TJobPayload<'maintenance.vacuum'>) {
  const r = await vacuumDatabase(deps, { analyzeOnly: p.analyzeOnly, actor: { id: SCHEDULER, email: SCHEDULER }, reason: 'scheduled' });
  return { command: r.command, tables: r.tables.length, ms: r.ms };
}

export async function scheduledBackup(deps: Deps) {
  const b = await takeBackup(deps);
  return { file: b.path, bytes: b.bytes, sha256: b.sha256 };
}
