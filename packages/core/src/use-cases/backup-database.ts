// `db backup` and `db restore`: the whole database to a pg_dump file under BACKUP_DIR (with a manifest: sha256 and
// a fingerprint of every table) and back, verified against that manifest. The work is in @ai-trader/db (ops/backup.ts);
// this records the last backup for the Database page and logs both.
import type { TLastBackup } from '@ai-trader/contracts';
import { backupDatabase, restoreDatabase, type BackupManifest, type Progress, type RestoreResult } from '@ai-trader/db';
import { keys } from '../infra/redis.ts';
import type { Deps } from '../ports.ts';

export { RestoreError } from '@ai-trader/db';

export async function takeBackup(
  deps: Pick<Deps, 'config' | 'clock' | 'redis' | 'logger'>,
  input: { dir?: string; onProgress?: (p: Progress) => void } = {},
): Promise<BackupManifest & { path: string }> {
  const b = await backupDatabase({ databaseUrl: deps.config.DATABASE_URL, dir: input.dir ?? deps.config.BACKUP_DIR, now: deps.clock.now(), onProgress: input.onProgress });
  const rows = Object.values(b.tables).reduce((s, t) => s + t.rows, 0);
  const last: TLastBackup = { at: b.createdAt, file: b.path, bytes: b.bytes, sha256: b.sha256, tables: Object.keys(b.tables).length, rows };
  await deps.redis.set(keys(deps.config.REDIS_PREFIX).dbLastBackup, JSON.stringify(last));
  deps.logger.info({ category: 'data', file: b.path, bytes: b.bytes, sha256: b.sha256, tables: last.tables, rows }, 'database backed up');
  return b;
}

/**
 * Restores a backup into `databaseUrl` (default: DATABASE_URL). Needs no Redis or pool of ours: with --force the
 * target database is dropped and created again, which ends every connection to it.
 */
export async function restoreBackup(
  deps: Pick<Deps, 'config' | 'clock' | 'logger'>,
  input: { file: string; force?: boolean; databaseUrl?: string; onProgress?: (p: Progress) => void },
): Promise<RestoreResult> {
  const r = await restoreDatabase({
    databaseUrl: input.databaseUrl ?? deps.config.DATABASE_URL, file: input.file, force: input.force ?? false, safetyBackupDir: deps.config.BACKUP_DIR,
    now: deps.clock.now(), onProgress: input.onProgress,
  });
  deps.logger.info({ category: 'data', ...r }, `database ${r.database} restored from ${r.file}`);
  return r;
}
