// A fingerprint of a database's contents: per table, the row count and an order-independent sum of 64-bit
// hashes of each row's text. Two databases with equal fingerprints hold the same rows (a backup and its
// restore, for instance). Constant memory: one scan per table, no sorting, no string building.
import type pg from 'pg';

export interface TableFingerprint {
  rows: number;
  /** sum(hashtextextended(row::text, 0)) as exact decimal text. */
  hash: string;
}
export type DatabaseFingerprint = Record<string, TableFingerprint>;

/** The ordinary tables (leaf partitions included) of the non-system schemas, as schema.table. */
export async function userTables(db: pg.ClientBase | pg.Pool): Promise<string[]> {
  const r = await db.query<{ name: string }>(
    `SELECT n.nspname || '.' || c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'
     ORDER BY 1`,
  );
  return r.rows.map((x) => x.name);
}

const quoted = (qualified: string) => qualified.split('.').map((p) => `"${p.replace(/"/g, '""')}"`).join('.');

/**
 * Fingerprints every user table as `client`'s transaction sees it. Call it inside a transaction (REPEATABLE READ
 * for a consistent picture): the text form of rows depends on settings, so they are pinned here with SET LOCAL.
 */
export async function fingerprintDatabase(client: pg.ClientBase, onTable?: (table: string, done: number, total: number) => void): Promise<DatabaseFingerprint> {
  for (const s of ["TimeZone = 'UTC'", "DateStyle = 'ISO, YMD'", "IntervalStyle = 'postgres'", 'extra_float_digits = 1', "bytea_output = 'hex'"])
    await client.query(`SET LOCAL ${s}`);
  const tables = await userTables(client);
  const out: DatabaseFingerprint = {};
  for (const [i, t] of tables.entries()) {
    const r = await client.query<{ rows: string; hash: string }>(`SELECT count(*)::text AS rows, coalesce(sum(hashtextextended(x::text, 0)), 0)::text AS hash FROM ${quoted(t)} x`);
    out[t] = { rows: Number(r.rows[0]!.rows), hash: r.rows[0]!.hash };
    onTable?.(t, i + 1, tables.length);
  }
  return out;
}

/** The tables whose rows differ between two fingerprints, each with a one-line reason. */
export function compareFingerprints(expected: DatabaseFingerprint, actual: DatabaseFingerprint): string[] {
  const out: string[] = [];
  for (const [t, e] of Object.entries(expected)) {
    const a = actual[t];
    if (!a) out.push(`${t}: missing`);
    else if (a.rows !== e.rows) out.push(`${t}: ${a.rows} rows, expected ${e.rows}`);
    else if (a.hash !== e.hash) out.push(`${t}: ${a.rows} rows as expected but different contents`);
  }
  for (const t of Object.keys(actual)) if (!(t in expected)) out.push(`${t}: not in the backup`);
  return out;
}
