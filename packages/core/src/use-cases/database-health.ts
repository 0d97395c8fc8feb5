// What the database looks like: table and partition sizes, partitions ahead, connections, slow queries, the pools of
// this process and the last backup and archive — for `ai-trader db sizes|connections|slow-queries` and the Database page.
import type { TConnectionSummary, TDatabaseOverview, TLastArchive, TLastBackup, TPartitionStatus, TTableSize } from '@ai-trader/contracts';
import { partitionCoverage, poolStats, type PgPool } from '@ai-trader/db';
import { keys } from '../infra/redis.ts';
import type { Deps } from '../ports.ts';

/** Every table of the public schema with its size; partitioned tables with their partitions (largest first). */
export async function tableSizes(pool: PgPool): Promise<{ database: string; sizeBytes: number; tables: TTableSize[] }> {
  const r = await pool.query<{ name: string; kind: string; parent: string | null; bytes: string; rows: string }>(
    `SELECT c.relname AS name, c.relkind::text AS kind, p.relname AS parent, pg_total_relation_size(c.oid)::text AS bytes, c.reltuples::bigint::text AS rows
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     LEFT JOIN pg_inherits i ON i.inhrelid = c.oid LEFT JOIN pg_class p ON p.oid = i.inhparent
     WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')`,
  );
  const db = await pool.query<{ name: string; bytes: string }>(`SELECT current_database() AS name, pg_database_size(current_database())::text AS bytes`);
  const byName = new Map<string, TTableSize>();
  for (const x of r.rows.filter((x) => !x.parent))
    byName.set(x.name, { name: x.name, kind: x.kind === 'p' ? 'partitioned' : 'table', totalBytes: Number(x.bytes), rowsEstimate: Number(x.rows), partitions: [] });
  for (const x of r.rows.filter((x) => x.parent)) {
    const parent = byName.get(x.parent!);
    if (!parent) continue;
    parent.partitions.push({ name: x.name, totalBytes: Number(x.bytes), rowsEstimate: Math.max(0, Number(x.rows)) });
    parent.totalBytes += Number(x.bytes);
  }
  for (const t of byName.values()) {
    if (t.kind === 'partitioned') t.rowsEstimate = t.partitions.reduce((s, p) => s + p.rowsEstimate, 0);
    t.partitions.sort((a, b) => a.name.localeCompare(b.name));
  }
  const tables = [...byName.values()].sort((a, b) => b.totalBytes - a.totalBytes || a.name.localeCompare(b.name));
  return { database: db.rows[0]!.name, sizeBytes: Number(db.rows[0]!.bytes), tables };
}

/** Per partitioned table: its dated partitions, how far ahead they reach and the rows waiting in DEFAULT. */
export async function partitionStatus(deps: Pick<Deps, 'pool' | 'clock'>): Promise<TPartitionStatus[]> {
  const now = deps.clock.now().getTime();
  return (await partitionCoverage(deps.pool)).map((c) => {
    const newest = c.partitions.at(-1);
    return {
      table: c.table, count: c.partitions.length, oldest: c.partitions[0]?.name ?? null, newest: newest?.name ?? null,
      coveredUntil: newest?.to.toISOString() ?? null, daysAhead: newest ? Math.floor((newest.to.getTime() - now) / 86_400_000) : null, defaultRows: c.defaultRows,
    };
  });
}

export interface ConnectionRow {
  pid: number;
  user: string | null;
  application: string;
  client: string | null;
  state: string | null;
  /** Seconds in the current state (idle for…, running for…). */
  stateSeconds: number | null;
  backendStart: string;
  waitEvent: string | null;
  query: string;
}

/** The connections to this database, and a summary. */
export async function listConnections(pool: PgPool): Promise<{ summary: TConnectionSummary; connections: ConnectionRow[] }> {
  const r = await pool.query<{ pid: number; usename: string | null; application_name: string; client: string | null; state: string | null; secs: number | null; backend_start: Date; wait: string | null; query: string; me: boolean }>(
    `SELECT pid, usename, application_name, client_addr::text AS client, state, extract(epoch FROM now() - state_change)::float8 AS secs, backend_start,
            CASE WHEN wait_event IS NULL THEN NULL ELSE wait_event_type || ':' || wait_event END AS wait, left(query, 300) AS query, pid = pg_backend_pid() AS me
     FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend' ORDER BY backend_start`,
  );
  const s = await pool.query<{ max: number; total: number }>(
    `SELECT current_setting('max_connections')::int AS max, (SELECT count(*)::int FROM pg_stat_activity WHERE backend_type = 'client backend') AS total`,
  );
  const byState: Record<string, number> = {};
  const byApp = new Map<string, number>();
  let idleOver10m = 0;
  for (const x of r.rows) {
    const st = x.state ?? 'unknown';
    byState[st] = (byState[st] ?? 0) + 1;
    byApp.set(x.application_name || '(none)', (byApp.get(x.application_name || '(none)') ?? 0) + 1);
    if (st.startsWith('idle') && (x.secs ?? 0) > 600) idleOver10m++;
  }
  return {
    summary: {
      maxConnections: s.rows[0]!.max, total: r.rows.length, serverTotal: s.rows[0]!.total, byState,
      byApplication: [...byApp].map(([application, count]) => ({ application, count })).sort((a, b) => b.count - a.count), idleOver10m,
    },
    connections: r.rows.map((x) => ({
      pid: x.pid, user: x.usename, application: x.application_name, client: x.client, state: x.state, stateSeconds: x.secs === null ? null : Math.round(x.secs),
      backendStart: x.backend_start.toISOString(), waitEvent: x.wait, query: x.me ? '(this query)' : x.query,
    })),
  };
}

export type SlowQueries =
  | { available: true; queries: Array<{ queryId: string; calls: number; totalMs: number; meanMs: number; maxMs: number; rows: number; query: string }> }
  | { available: false; how: string; running: Array<{ pid: number; seconds: number; state: string; query: string }> };

export const ENABLE_PG_STAT_STATEMENTS =
  "pg_stat_statements is not enabled. As a superuser: add shared_preload_libraries = 'pg_stat_statements' to postgresql.conf " +
  '(Debian: /etc/postgresql/15/main/postgresql.conf), restart Postgres (pg_ctlcluster 15 main restart), then in this database: CREATE EXTENSION pg_stat_statements;';

/** The slowest statements by mean time (pg_stat_statements); without it, how to enable it and what runs long now. */
export async function slowQueries(pool: PgPool, input: { limit: number }): Promise<SlowQueries> {
  const r = await pool.query<{ installed: boolean; loaded: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements') AS installed,
            'pg_stat_statements' = ANY (string_to_array(replace(current_setting('shared_preload_libraries'), ' ', ''), ',')) AS loaded`,
  );
  if (r.rows[0]!.installed && r.rows[0]!.loaded) {
    const q = await pool.query<{ queryid: string; calls: string; total: number; mean: number; max: number; rows: string; query: string }>(
      `SELECT s.queryid::text AS queryid, s.calls::text AS calls, s.total_exec_time AS total, s.mean_exec_time AS mean, s.max_exec_time AS max, s.rows::text AS rows, left(s.query, 500) AS query
       FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = current_database() ORDER BY s.mean_exec_time DESC LIMIT $1`,
      [input.limit],
    );
    return {
      available: true,
      queries: q.rows.map((x) => ({ queryId: x.queryid, calls: Number(x.calls), totalMs: round(x.total), meanMs: round(x.mean), maxMs: round(x.max), rows: Number(x.rows), query: x.query })),
    };
  }
  const running = await pool.query<{ pid: number; secs: number; state: string; query: string }>(
    `SELECT pid, extract(epoch FROM now() - query_start)::float8 AS secs, state, left(query, 300) AS query FROM pg_stat_activity
     WHERE datname = current_database() AND backend_type = 'client backend' AND state <> 'idle' AND pid <> pg_backend_pid() AND now() - query_start > interval '1 second'
     ORDER BY query_start LIMIT $1`,
    [input.limit],
  );
  return { available: false, how: ENABLE_PG_STAT_STATEMENTS, running: running.rows.map((x) => ({ pid: x.pid, seconds: round(x.secs), state: x.state, query: x.query })) };
}

const round = (n: number) => Math.round(n * 100) / 100;

export async function lastBackupAndArchive(deps: Pick<Deps, 'redis' | 'config'>): Promise<{ lastBackup: TLastBackup | null; lastArchive: TLastArchive | null }> {
  const k = keys(deps.config.REDIS_PREFIX);
  const [b, a] = await deps.redis.mget(k.dbLastBackup, k.dbLastArchive);
  return { lastBackup: b ? (JSON.parse(b) as TLastBackup) : null, lastArchive: a ? (JSON.parse(a) as TLastArchive) : null };
}

/** The Database page: everything above in one answer (the largest 15 tables). */
export async function databaseOverview(deps: Pick<Deps, 'pool' | 'clock' | 'redis' | 'config'>): Promise<TDatabaseOverview> {
  const [sizes, partitions, conns, last] = await Promise.all([tableSizes(deps.pool), partitionStatus(deps), listConnections(deps.pool), lastBackupAndArchive(deps)]);
  return {
    database: sizes.database, sizeBytes: sizes.sizeBytes, tables: sizes.tables.slice(0, 15), partitions, connections: conns.summary,
    pools: poolStats(), ...last, at: deps.clock.now().toISOString(),
  };
}
