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

interface Range {
  name: string;
  from: Date;
  to: Date;
}

/** The partition holding `at` (UTC boundaries). */
export function partitionFor(table: PartitionedTable, at: Date): Range {
  const y = at.getUTCFullYear(), m = at.getUTCMonth();
  if (SPEC[table].unit === 'year')
    return { name: `${table}_y${y}`, from: new Date(Date.UTC(y, 0, 1)), to: new Date(Date.UTC(y + 1, 0, 1)) };
  return { name: `${table}_m${y}_${String(m + 1).padStart(2, '0')}`, from: new Date(Date.UTC(y, m, 1)), to: new Date(Date.UTC(y, m + 1, 1)) };
}

/** Every partition touching [from, to]. */
export function partitionsBetween(table: PartitionedTable, from: Date, to: Date): Range[] {
  const out: Range[] = [];
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

/** Partitions for every table from `from` to `daysAhead` days after `now` (the scheduled job's work). */
export async function ensurePartitionsAhead(pool: pg.Pool, now: Date, daysAhead: number, from?: Date): Promise<Record<PartitionedTable, string[]>> {
  const until = new Date(now.getTime() + daysAhead * 86_400_000);
  const out = {} as Record<PartitionedTable, string[]>;
  for (const t of PARTITIONED_TABLES) out[t] = await ensurePartitions(pool, t, from ?? now, until);
  return out;
}
