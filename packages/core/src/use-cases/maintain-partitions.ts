// Partitions ahead, and the DEFAULT partition as a safety net: a bar whose partition is missing still lands (in
// DEFAULT) and raises `partition.default:<table>`; maintenance (the daily job, `ai-trader db partitions`) creates
// the missing partitions — which moves the waiting rows into them — and resolves the alert once DEFAULT is empty.
import { ensurePartitionsAhead, partitionCoverage, type PartitionedTable } from '@ai-trader/db';
import type { Deps } from '../ports.ts';
import { raiseAlert, resolveAlert } from './alerts.ts';

export const defaultPartitionAlertKey = (table: string) => `partition.default:${table}`;

/**
 * Called by ingestion when a row went to `<table>_default`. Raises (or bumps) the alert at most once a minute per
 * table, so a feed writing into a missing month does not write an alert update per bar.
 */
export async function noteRowInDefaultPartition(deps: Deps, table: string, row: { symbol: string; ts: string }): Promise<void> {
  const gate = await deps.redis.set(`${deps.config.REDIS_PREFIX}:partition-default-noted:${table}`, '1', 'EX', 60, 'NX');
  if (gate !== 'OK') return;
  await raiseAlert(deps, {
    key: defaultPartitionAlertKey(table), level: 'warning', source: 'market-data',
    message: `no partition of ${table} covers ${row.ts} (${row.symbol}): the bar was stored in ${table}_default; run ai-trader db partitions (the daily maintenance also does) to move it into its own partition`,
    details: { table, symbol: row.symbol, ts: row.ts },
  });
}

export interface PartitionMaintenance {
  /** Partitions created, per table (ahead of time, and for rows that waited in DEFAULT). */
  created: Record<PartitionedTable, string[]>;
  /** Rows still in DEFAULT per table after the work (0 unless rows arrived meanwhile). */
  defaultRows: Record<PartitionedTable, number>;
}

/** Creates partitions `daysAhead` days ahead (from `from`, default now), drains DEFAULT and resolves its alerts. */
export async function maintainPartitions(
  deps: Pick<Deps, 'pool' | 'prisma' | 'logger' | 'events' | 'clock'>,
  input: { daysAhead: number; from?: Date },
): Promise<PartitionMaintenance> {
  if (!Number.isInteger(input.daysAhead) || input.daysAhead < 0 || input.daysAhead > 3660) throw new RangeError(`--days-ahead ${input.daysAhead}: must be a whole number of days from 0 to 3660`);
  const created = await ensurePartitionsAhead(deps.pool, deps.clock.now(), input.daysAhead, input.from);
  const defaultRows = {} as Record<PartitionedTable, number>;
  for (const c of await partitionCoverage(deps.pool)) {
    defaultRows[c.table] = c.defaultRows;
    if (c.defaultRows === 0) await resolveAlert(deps, defaultPartitionAlertKey(c.table), `partitions created; DEFAULT is empty${created[c.table].length ? ` (created ${created[c.table].join(', ')})` : ''}`);
  }
  const all = Object.values(created).flat();
  if (all.length) deps.logger.info({ category: 'data', created: all }, `created ${all.length} partition(s)`);
  return { created, defaultRows };
}
