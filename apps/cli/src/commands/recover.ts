// `ai-trader recover system` and `ai-trader recover --from-backup DATE`: the recovery runbooks, step by step, each
// refused while trading is ACTIVE. Exit 0 when every step worked and the system validates, 1 otherwise.
import { RecoveryRefusedError, recoverSystem, type OnRecoveryStep, type RecoveryResult } from '@ai-trader/core';
import { InvalidArgumentError, type Command } from 'commander';
import { paint } from '../colour.ts';
import { CliError, cliActor, type CliContext } from '../context.ts';
import { printCheck } from './validate.ts';

/** Prints each step as it starts, its lines when it ends, and each component check as validation runs. */
export const printStep: OnRecoveryStep = (e) => {
  if (e.phase === 'start') return console.log(paint.bold(`[${e.n}/${e.total}] ${e.name}`));
  if (e.phase === 'check') return printCheck(e.check, '      ');
  for (const l of e.lines) console.log(`      ${l}`);
  console.log(`      ${e.status === 'done' ? paint.green('✓ done') : paint.red('✗ failed')}`);
};

export function printOutcome(what: string, r: RecoveryResult): void {
  const failed = r.steps.filter((s) => s.status === 'failed');
  if (r.ok) console.log(paint.green(`${what}: every step done, the system validates`));
  else console.log(paint.red(`${what}: ${failed.length} step(s) failed: ${failed.map((s) => s.name).join(', ')}`));
}

const seconds = (v: string) => {
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n)) throw new InvalidArgumentError('must be a whole number of seconds');
  return n;
};

export function registerRecover(program: Command, ctx: () => CliContext) {
  const recover = program
    .command('recover')
    .description('recovery runbooks: recover system | recover --from-backup DATE; refused while trading is ACTIVE');

  recover
    .command('system')
    .description('status --detailed, flush our caches, end stuck/idle Postgres sessions, reinitialise (books, partitions, credentials), validate --all')
    .option('--reason <text>', 'why, for the audit log', 'recover system')
    .option('--idle-after <seconds>', 'end Postgres sessions idle longer than this', seconds, 300)
    .option('--idle-in-transaction-after <seconds>', 'end sessions idle inside a transaction (holding locks) longer than this', seconds, 60)
    .action(async (o: { reason: string; idleAfter: number; idleInTransactionAfter: number }) => {
      const { deps } = ctx().runtime();
      try {
        const r = await recoverSystem(deps, { actor: cliActor(), reason: o.reason, idleSeconds: o.idleAfter, idleInTransactionSeconds: o.idleInTransactionAfter, onStep: printStep });
        printOutcome('recover system', r);
        if (!r.ok) process.exitCode = 1;
      } catch (e) {
        if (e instanceof RecoveryRefusedError) throw new CliError(e.message, 1);
        throw e;
      }
    });
}
