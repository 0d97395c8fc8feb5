// `ai-trader recover system` and `ai-trader recover --from-backup DATE`: the recovery runbooks, step by step, each
// refused while trading is ACTIVE. Exit 0 when every step worked and the system validates, 1 otherwise.
import {
  MaintenanceInputError, parseDuration, recoverFromBackup, RecoveryInputError, RecoveryRefusedError, recoverSystem, RestoreError,
  type OnRecoveryStep, type RecoveryResult,
} from '@ai-trader/core';
import { InvalidArgumentError, type Command } from 'commander';
import { paint } from '../colour.ts';
import { CliError, type CliContext } from '../context.ts';
import { cliAdmin } from './emergency.ts';
import { printCheck } from './validate.ts';

/** Prints each step as it starts, its lines when it ends, and each component check as validation runs. */
export const printStep: OnRecoveryStep = (e) => {
  if (e.phase === 'start') return console.log(paint.bold(`[${e.n}/${e.total}] ${e.name}`));
  if (e.phase === 'check') return printCheck(e.check, '      ');
  for (const l of e.lines) console.log(`      ${e.status === 'skipped' ? paint.dim(l) : l}`);
  console.log(`      ${e.status === 'done' ? paint.green('✓ done') : e.status === 'skipped' ? paint.dim('– not run') : paint.red('✗ failed')}`);
};

export function printOutcome(what: string, r: RecoveryResult): void {
  const failed = r.steps.filter((s) => s.status === 'failed');
  const skipped = r.steps.filter((s) => s.status === 'skipped');
  if (r.ok) console.log(paint.green(`${what}: every step done, the system validates`));
  else console.log(paint.red(`${what}: ${failed.length} step(s) failed: ${failed.map((s) => s.name).join(', ')}${skipped.length ? `; not run: ${skipped.map((s) => s.name).join(', ')}` : ''}`));
}

const duration = (v: string) => {
  try {
    return parseDuration(v);
  } catch (e) {
    if (e instanceof MaintenanceInputError) throw new InvalidArgumentError('must be a duration like 30s, 10m or 1h');
    throw e;
  }
};

/** Refusals (ACTIVE, no such backup, a backup that does not match its manifest) are one line, exit 1; bad names exit 2. */
async function expected<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof RecoveryInputError) throw new CliError(e.message, 2);
    if (e instanceof RecoveryRefusedError || e instanceof RestoreError) throw new CliError(e.message, 1);
    throw e;
  }
}

export function registerRecover(program: Command, ctx: () => CliContext) {
  const recover = program
    .command('recover')
    .description('recovery runbooks: recover system | recover --from-backup DATE; refused while trading is ACTIVE')
    .option('--from-backup <date|file>', 'data corruption: HALT, back up current, restore the newest backup of that UTC date in BACKUP_DIR (or this .dump), validate --all, restart')
    // One --reason for both runbooks: commander gives an option the parent knows to the parent, wherever it stands.
    .option('--reason <text>', 'why, for the audit log')
    .action(async (o: { fromBackup?: string; reason?: string }) => {
      if (!o.fromBackup) throw new CliError('give a runbook: recover system, or recover --from-backup DATE', 2);
      const { deps } = ctx().runtime();
      const r = await expected(() => recoverFromBackup(deps, { actor: cliAdmin(), reason: o.reason ?? 'data corruption', backup: o.fromBackup!, onStep: printStep }));
      printOutcome(`recover --from-backup ${o.fromBackup} (${r.restored.file})`, r);
      if (!r.ok) process.exitCode = 1;
    });

  recover
    .command('system')
    .description('status --detailed, flush our caches, end Postgres sessions left idle (or idle in a transaction), reinitialise (books, partitions, credentials), validate --all')
    .option('--idle-after <duration>', 'end Postgres sessions idle (or idle in a transaction, holding locks) longer than this', duration, 60_000)
    .action(async (o: { idleAfter: number }) => {
      const parent = recover.opts<{ fromBackup?: string; reason?: string }>();
      if (parent.fromBackup) throw new CliError('recover system and recover --from-backup are two runbooks: run one', 2);
      const { deps } = ctx().runtime();
      const r = await expected(() => recoverSystem(deps, { actor: cliAdmin(), reason: parent.reason ?? 'recover system', idleMs: o.idleAfter, onStep: printStep }));
      printOutcome('recover system', r);
      if (!r.ok) process.exitCode = 1;
    });
}
