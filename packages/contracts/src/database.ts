// The Database page and the `ai-trader db` read commands: sizes, partitions ahead, connections, pools, the last
// backup and archive; and the one action the console offers (vacuum / analyze, admin).
import { z } from 'zod';
import { ZReason } from './api.ts';

export const ZTableSize = z.object({
  name: z.string(),
  /** table: an ordinary table; partitioned: the parent (its bytes are its partitions' together). */
  kind: z.enum(['table', 'partitioned']),
  totalBytes: z.number().int(),
  /** Postgres' estimate (pg_class.reltuples, as of the last VACUUM/ANALYZE); -1 never analysed. */
  rowsEstimate: z.number().int(),
  partitions: z.array(z.object({ name: z.string(), totalBytes: z.number().int(), rowsEstimate: z.number().int() })),
});
export type TTableSize = z.infer<typeof ZTableSize>;

export const ZPartitionStatus = z.object({
  table: z.string(),
  /** Dated partitions (the DEFAULT one not counted). */
  count: z.number().int(),
  oldest: z.string().nullable(),
  newest: z.string().nullable(),
  /** End (exclusive, UTC) of the newest dated partition: rows up to here land in their own partition. */
  coveredUntil: z.string().nullable(),
  daysAhead: z.number().nullable(),
  /** Rows waiting in the DEFAULT partition (counted up to 100 001): their partition was missing when they came. */
  defaultRows: z.number().int(),
});
export type TPartitionStatus = z.infer<typeof ZPartitionStatus>;

export const ZPoolStats = z.object({
  name: z.string(),
  max: z.number().int(),
  total: z.number().int(),
  idle: z.number().int(),
  waiting: z.number().int(),
  /** Callers that gave up waiting for a connection (PoolExhaustedError) since the process started. */
  exhaustedTotal: z.number().int(),
  acquireTimeoutMs: z.number().int(),
});
export type TPoolStats = z.infer<typeof ZPoolStats>;

export const ZConnectionSummary = z.object({
  maxConnections: z.number().int(),
  /** Client connections to this database. */
  total: z.number().int(),
  /** Client connections to every database of the server (what max_connections limits). */
  serverTotal: z.number().int(),
  byState: z.record(z.string(), z.number().int()),
  byApplication: z.array(z.object({ application: z.string(), count: z.number().int() })),
  /** Idle (or idle in a transaction) for longer than 10 minutes. */
  idleOver10m: z.number().int(),
});
export type TConnectionSummary = z.infer<typeof ZConnectionSummary>;

export const ZLastBackup = z.object({ at: z.string(), file: z.string(), bytes: z.number().int(), sha256: z.string(), tables: z.number().int(), rows: z.number().int() });
export type TLastBackup = z.infer<typeof ZLastBackup>;
export const ZLastArchive = z.object({ at: z.string(), dir: z.string(), olderThanDays: z.number().int(), partitions: z.array(z.string()), rows: z.number().int() });
export type TLastArchive = z.infer<typeof ZLastArchive>;

export const ZDatabaseOverview = z.object({
  database: z.string(),
  sizeBytes: z.number().int(),
  tables: z.array(ZTableSize),
  partitions: z.array(ZPartitionStatus),
  connections: ZConnectionSummary,
  /** The pools of the process answering (the console's own). */
  pools: z.array(ZPoolStats),
  lastBackup: ZLastBackup.nullable(),
  lastArchive: ZLastArchive.nullable(),
  at: z.string(),
});
export type TDatabaseOverview = z.infer<typeof ZDatabaseOverview>;

export const ZVacuumRequest = z.object({
  /** ANALYZE only (statistics, cheap) instead of VACUUM (ANALYZE). */
  analyzeOnly: z.boolean().default(false),
  reason: ZReason,
});
export const ZVacuumResult = z.object({ command: z.string(), tables: z.array(z.string()), ms: z.number().int() });
export type TVacuumResult = z.infer<typeof ZVacuumResult>;
