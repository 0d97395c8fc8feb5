// Dated partitions of the time-partitioned tables, created ahead of time (monthly for 1m/5m, yearly for
// 1h/1d/news). Rows that arrived before their partition existed sit in the DEFAULT partition; creating the
// partition moves them into it in the same transaction, so no row is lost or duplicated.
import type pg from 'pg';

export type PartitionedTable = 'market_data_1m' | 'market_data_5m' | 'market_data_1h' | 'market_data_1d' | 'news';

const SPEC: Record<PartitionedTable, { column: string; unit: 'month' | 'year' }> = {
  market_data_1m: { column: 'ts', unit: 'month' },
  market_data_5m: { column: 'ts', unit: 'month' },
  market_data_1h: { column: 'ts', unit: 'year' },
  market_data_1d: { column: 'ts', unit: 'year' },
  news: { column: 'publishedAt', unit: 'year' },
};
export const PARTITIONED_TABLES = Object.keys(SPEC) as PartitionedTable[];

export const TIMEFRAME_TABLE = { '1m': 'market_data_1m', '5m': 'market_data_5m', '1h': 'market_data_1h', '1d': 'market_data_1d' } as const;

export interface PartitionRange {
  name: string;
  from: Date;
  to: Date;
}

/** The partition holding `at` (UTC boundaries). */
export function partitionFor(table: PartitionedTable, at: Date): PartitionRange {
  const y = at.getUTCFullYear(), m = at.getUTCMonth();
  if (SPEC[table].unit === 'year')
    return { name: `${table}_y${y}`, from: new Date(Date.UTC(y, 0, 1)), to: new Date(Date.UTC(y + 1, 0, 1)) };
  return { name: `${table}_m${y}_${String(m + 1).padStart(2, '0')}`, from: new Date(Date.UTC(y, m, 1)), to: new Date(Date.UTC(y, m + 1, 1)) };
}

/** Every partition touching [from, to]. */
export function partitionsBetween(table: PartitionedTable, from: Date, to: Date): PartitionRange[] {
  const out: PartitionRange[] = [];
  for (let p = partitionFor(table, from); p.from <= to; p = partitionFor(table, p.to)) out.push(p);
  return out;
}

export async function existingPartitions(db: pg.Pool | pg.ClientBase, table: PartitionedTable): Promise<Set<string>> {
  const r = await db.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = $1`,
    [table],
  );
  return new Set(r.rows.map((x) => x.name));
}

/**
 * Creates the missing partitions for [from, to]; returns the names it created. Idempotent and safe to run
 * concurrently. Pass the client you already hold (not the pool) when you hold one: taking a second
 * connection from a small pool while holding one is how a busy worker deadlocks.
 */
export async function ensurePartitions(db: pg.Pool | pg.ClientBase, table: PartitionedTable, from: Date, to: Date): Promise<string[]> {
  const wanted = partitionsBetween(table, from, to);
  const have = await existingPartitions(db, table);
  const created: string[] = [];
  for (const p of wanted) {
    if (have.has(p.name)) continue;
    const isPool = 'totalCount' in db;
    const client = isPool ? await (db as pg.Pool).connect() : (db as pg.ClientBase);
    try {
      await client.query('BEGIN');
      // Serialises partition changes of this table across processes (the DDL would deadlock otherwise).
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`partitions:${table}`]);
      if ((await existingPartitions(client, table)).has(p.name)) {
        await client.query('COMMIT');
        continue;
      }
      const col = `"${SPEC[table].column}"`;
      const def = `"${table}_default"`;
      const range = [p.from.toISOString(), p.to.toISOString()];
      await client.query(`CREATE TABLE "${p.name}" (LIKE "${table}" INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`);
      // Rows that waited in the default partition move into their own partition before it is attached.
      await client.query(`WITH moved AS (DELETE FROM ${def} WHERE ${col} >= $1 AND ${col} < $2 RETURNING *) INSERT INTO "${p.name}" SELECT * FROM moved`, range);
      await client.query(`ALTER TABLE "${table}" ATTACH PARTITION "${p.name}" FOR VALUES FROM ('${range[0]}') TO ('${range[1]}')`);
      await client.query('COMMIT');
      created.push(p.name);
    } catch (e) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw new Error(`creating partition ${p.name}: ${(e as Error).message}`, { cause: e });
    } finally {
      if (isPool) (client as pg.PoolClient).release();
    }
  }
  return created;
}

/**
 * Partitions for every table from `from` to `daysAhead` days after `now` (the scheduled job's work), and the
 * partitions of rows waiting in a DEFAULT partition (creating them moves those rows out).
 */
export async function ensurePartitionsAhead(pool: pg.Pool, now: Date, daysAhead: number, from?: Date): Promise<Record<PartitionedTable, string[]>> {
  const until = new Date(now.getTime() + daysAhead * 86_400_000);
  const out = {} as Record<PartitionedTable, string[]>;
  for (const t of PARTITIONED_TABLES) out[t] = [...(await ensurePartitions(pool, t, from ?? now, until)), ...(await drainDefaultPartition(pool, t))];
  return out;
}

/** The DEFAULT partition of a partitioned table. */
export const defaultPartition = (table: PartitionedTable) => `${table}_default`;

/**
 * Creates the partition of every month (or year) that has rows in the DEFAULT partition; ensurePartitions moves
 * them in the same transaction. Returns the partitions created. A full scan of DEFAULT, which is small or empty.
 */
export async function drainDefaultPartition(pool: pg.Pool, table: PartitionedTable): Promise<string[]> {
  const { column, unit } = SPEC[table];
  const r = await pool.query<{ at: string }>(
    `SELECT DISTINCT to_char(date_trunc('${unit}', "${column}" AT TIME ZONE 'UTC'), 'YYYY-MM-DD') AS at FROM "${defaultPartition(table)}" ORDER BY 1`,
  );
  const created: string[] = [];
  for (const { at } of r.rows) {
    const start = new Date(`${at}T00:00:00Z`);
    created.push(...(await ensurePartitions(pool, table, start, start)));
  }
  return created;
}

/** The range of one of our dated partitions from its name (`market_data_5m_m2024_01`, `news_y2024`); null otherwise. */
export function partitionRange(table: PartitionedTable, name: string): PartitionRange | null {
  const m = new RegExp(`^${table}_(?:m(\\d{4})_(\\d{2})|y(\\d{4}))$`).exec(name);
  if (!m) return null;
  const at = m[3] ? new Date(Date.UTC(Number(m[3]), 0, 1)) : new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, 1));
  const p = partitionFor(table, at);
  return p.name === name ? p : null;
}

/** The dated partitions of `table` that exist, oldest first. */
export async function datedPartitions(db: pg.Pool | pg.ClientBase, table: PartitionedTable): Promise<PartitionRange[]> {
  return [...(await existingPartitions(db, table))]
    .map((n) => partitionRange(table, n))
    .filter((p): p is PartitionRange => p !== null)
    .sort((a, b) => a.from.getTime() - b.from.getTime());
}

export interface PartitionCoverage {
  table: PartitionedTable;
  partitions: PartitionRange[];
  /** Rows in DEFAULT, counted up to `DEFAULT_COUNT_LIMIT`. */
  defaultRows: number;
}
export const DEFAULT_COUNT_LIMIT = 100_001;

/** Dated partitions and rows waiting in DEFAULT, for every partitioned table. */
export async function partitionCoverage(pool: pg.Pool): Promise<PartitionCoverage[]> {
  const out: PartitionCoverage[] = [];
  for (const table of PARTITIONED_TABLES) {
    const partitions = await datedPartitions(pool, table);
    const d = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM (SELECT 1 FROM "${defaultPartition(table)}" LIMIT ${DEFAULT_COUNT_LIMIT}) x`);
    out.push({ table, partitions, defaultRows: d.rows[0]!.n });
  }
  return out;
}
