// `recover --from-backup DATE`, the data-corruption runbook: HALT (open orders cancelled), back up what is there now,
// restore the named backup over it (verified against its manifest), validate --all, restart (caches flushed, books,
// partitions and credentials re-established) — trading stays HALTED for an admin to resume after a clean
// reconciliation. Refused while ACTIVE. The backup and restore are db/ops/backup.ts through backup-database.ts.
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { TActor, TTradingState } from '@ai-trader/contracts';
import { parseDatabaseUrl } from '@ai-trader/db';
import type { Deps } from '../ports.ts';
import { restoreBackup, takeBackup } from './backup-database.ts';
import { commitHalt, haltTrading } from './emergency.ts';
import {
  flushCachesStep, refuseWhileActive, reinitialiseStep, RecoveryRefusedError, RecoverySteps, validateAllStep,
  type OnRecoveryStep, type RecoveryResult,
} from './recover-system.ts';
import { getTradingState } from './trading-state.ts';

/** A date that is not YYYY-MM-DD, or a path that is not a .dump: the caller asked for something that cannot be. */
export class RecoveryInputError extends Error {}

export interface BackupFile { file: string; takenAt: string }

const DAY = /^\d{4}-\d{2}-\d{2}$/;
/** `<database>-<YYYYMMDDTHHMMSSZ>[-n].dump`, as takeBackup names them. */
const NAME = /^(.+)-(\d{8}T\d{6}Z)(?:-(\d+))?\.dump$/;

const stampToIso = (s: string) => `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}T${s.slice(9, 11)}:${s.slice(11, 13)}:${s.slice(13, 15)}Z`;

/** The backups of this database in BACKUP_DIR, oldest first. */
export async function listBackups(deps: Pick<Deps, 'config'>): Promise<BackupFile[]> {
  const database = parseDatabaseUrl(deps.config.DATABASE_URL).database;
  const names = await readdir(deps.config.BACKUP_DIR).catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? [] : Promise.reject(e)));
  return names
    .map((n) => ({ n, m: NAME.exec(n) }))
    .filter((x): x is { n: string; m: RegExpExecArray } => !!x.m && x.m[1] === database)
    .sort((a, b) => a.m[2]!.localeCompare(b.m[2]!) || Number(a.m[3] ?? 1) - Number(b.m[3] ?? 1))
    .map((x) => ({ file: path.join(deps.config.BACKUP_DIR, x.n), takenAt: stampToIso(x.m[2]!) }));
}

/**
 * What `--from-backup` names: a UTC date (the newest backup of this database taken that day in BACKUP_DIR) or the path
 * of a .dump file. Resolved before anything changes, so a wrong name refuses with nothing touched.
 */
export async function resolveBackup(deps: Pick<Deps, 'config'>, which: string): Promise<BackupFile> {
  if (which.endsWith('.dump')) {
    const m = NAME.exec(path.basename(which));
    return { file: path.resolve(which), takenAt: m ? stampToIso(m[2]!) : 'unknown' };
  }
  if (!DAY.test(which) || Number.isNaN(Date.parse(`${which}T00:00:00Z`))) throw new RecoveryInputError(`--from-backup ${which}: give a date like 2025-06-04 (UTC, as backups are named) or the path of a .dump file`);
  const all = await listBackups(deps);
  const that = all.filter((b) => b.takenAt.startsWith(which));
  if (!that.length) {
    const days = [...new Set(all.map((b) => b.takenAt.slice(0, 10)))];
    throw new RecoveryRefusedError(`no backup of ${which} in ${deps.config.BACKUP_DIR} (${days.length ? `backups there: ${days.slice(-10).join(', ')}` : 'it holds none: ai-trader db backup writes them'})`);
  }
  return that.at(-1)!;
}

export async function recoverFromBackup(
  deps: Deps,
  input: { actor: TActor; reason: string; backup: string; onStep?: OnRecoveryStep },
): Promise<RecoveryResult & { restored: BackupFile }> {
  // What to restore is settled first (reading a folder changes nothing): a wrong name is refused whatever the state.
  const restored = await resolveBackup(deps, input.backup);
  await refuseWhileActive(deps, 'recover --from-backup');
  const steps = new RecoverySteps(5, input.onStep);
  const reason = `recover --from-backup ${input.backup}: ${input.reason}`;
  // A step runs only while every one before it worked; the rest are reported as not run.
  let blocked: string | null = null;
  const step = async (name: string, fn: (lines: string[]) => Promise<boolean | void>) => {
    if (blocked) return steps.skip(name, `not run: ${blocked} failed`);
    if (!(await steps.run(name, fn))) blocked = name;
  };

  await step('stop (HALT)', async (lines) => {
    const r = await haltTrading(deps, { actor: input.actor, reason });
    lines.push(r.changed ? 'trading HALTED: no order is sent from here' : 'trading was already HALTED');
    lines.push(`${r.canceledOrders.length} open order(s) cancelled at the broker${r.stillOpen.length ? `; STILL OPEN: ${r.stillOpen.join(', ')}` : ''}`);
    return r.stillOpen.length === 0;
  });

  let current = '';
  await step('back up current', async (lines) => {
    const b = await takeBackup(deps);
    current = b.path;
    lines.push(`${b.path}: ${b.bytes} bytes, ${Object.keys(b.tables).length} tables, sha256 ${b.sha256.slice(0, 12)}…`);
  });

  await step(`restore ${path.basename(restored.file)}`, async (lines) => {
    lines.push(`${restored.file} (taken ${restored.takenAt})`);
    // Read before the restore replaces it: the audit chain's head then, for the record written after.
    const head = await deps.pool.query<{ seq: string; hash: string }>('SELECT seq::text, hash FROM audit_log ORDER BY seq DESC LIMIT 1');
    // The database is dropped and created again: every connection to it ends, ours too (the pools reconnect).
    const r = await restoreBackup(deps, { file: restored.file, force: true });
    lines.push(`restored ${r.tables} tables, ${r.rows} rows${r.verified ? ', identical to the backup (row counts and checksums)' : ' (no manifest: not verified)'}`);
    if (r.safetyBackup) lines.push(`what it replaced is also in ${r.safetyBackup}`);
    // The backup's own trading state may be ACTIVE: nothing may trade on restored books before an admin says so.
    const was: TTradingState = (await getTradingState(deps.prisma)).state;
    await commitHalt(deps, input.actor, reason);
    lines.push(`trading state in the backup: ${was}; set to HALTED`);
    await deps.prisma.auditLog.create({
      data: {
        at: deps.clock.now(), actorId: input.actor.id, actorEmail: input.actor.email, action: 'recover.from-backup', reason,
        after: { restored: restored.file, takenAt: restored.takenAt, backupOfCurrent: current, safetyBackup: r.safetyBackup, replacedAuditHead: head.rows[0] ?? null, tradingStateInBackup: was },
      },
    });
    await deps.events.publish('audit');
  });

  const validation = blocked ? (steps.skip('validate --all', `not run: ${blocked} failed`), null) : await validateAllStep(deps, steps, input.onStep);
  if (!blocked && !validation?.ok) blocked = 'validate --all';

  await step('restart', async (lines) => {
    await flushCachesStep(deps, lines);
    await reinitialiseStep(deps, lines);
    lines.push(`running on the restored database (as of ${restored.takenAt}); trading stays HALTED: resume it once reconciliation is clean`);
  });
  return { ok: steps.steps.every((s) => s.status === 'done'), steps: steps.steps, validation, restored };
}
