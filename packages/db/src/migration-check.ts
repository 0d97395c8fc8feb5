// Whether the database has every migration of prisma/migrations, unchanged, without loading the migration engine:
// the `_prisma_migrations` table against the folder (Prisma's checksum is the sha256 of migration.sql).
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';

// Built from this file's path at run time, not as `new URL('…', import.meta.url)`: bundlers (the console's Turbopack
// build) treat that form as an asset to resolve, and a directory is not one.
export const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'prisma', 'migrations');

export interface MigrationCheck {
  applied: number;
  /** In the folder, not applied. */
  pending: string[];
  /** Started and never finished (must be resolved by hand before anything else applies). */
  failed: string[];
  /** Applied, but migration.sql changed since. */
  edited: string[];
  /** Applied here but not in the folder (a newer release ran against this database). */
  unknown: string[];
  upToDate: boolean;
}

export async function checkMigrations(db: pg.Pool | pg.ClientBase, dir = MIGRATIONS_DIR): Promise<MigrationCheck> {
  const local = new Map<string, string>();
  for (const name of readdirSync(dir).sort()) {
    const file = path.join(dir, name, 'migration.sql');
    if (existsSync(file)) local.set(name, createHash('sha256').update(readFileSync(file)).digest('hex'));
  }
  const exists = await db.query<{ t: string | null }>(`SELECT to_regclass('_prisma_migrations')::text AS t`);
  const rows = exists.rows[0]?.t
    ? (await db.query<{ name: string; checksum: string; finished: boolean; rolledBack: boolean }>(
        `SELECT migration_name AS name, checksum, finished_at IS NOT NULL AS finished, rolled_back_at IS NOT NULL AS "rolledBack" FROM _prisma_migrations`,
      )).rows
    : [];
  const live = rows.filter((r) => !r.rolledBack);
  const done = new Map(live.filter((r) => r.finished).map((r) => [r.name, r.checksum]));
  const failed = live.filter((r) => !r.finished).map((r) => r.name).sort();
  const pending = [...local.keys()].filter((n) => !done.has(n) && !failed.includes(n));
  const edited = [...done].filter(([n, sum]) => local.has(n) && local.get(n) !== sum).map(([n]) => n).sort();
  const unknown = [...done.keys()].filter((n) => !local.has(n)).sort();
  return { applied: done.size, pending, failed, edited, unknown, upToDate: !pending.length && !failed.length && !edited.length && !unknown.length };
}
