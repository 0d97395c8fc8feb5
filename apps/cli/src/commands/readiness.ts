// `ai-trader readiness [--json]`, `ai-trader readiness run [CHECK…]` and the live switch, `ai-trader broker go-live
// --confirm` / `broker go-paper`. Exit 1 when readiness is not all pass (so a script can gate on it) or a switch is refused.
import { READINESS_CHECK_IDS, ZReadinessCheckId, type TReadinessCheckId, type TReadinessItem, type TReadinessReport } from '@ai-trader/contracts';
import { brokerAccountMode, formatAge, goLive, GoLiveRefusedError, goPaper, readinessReport, runReadiness, twoPersonApprovalOn, type StoredResult } from '@ai-trader/core';
import type { Command } from 'commander';
import { paint } from '../colour.ts';
import { CliError, type CliContext } from '../context.ts';
import { cliAdmin } from './emergency.ts';

/** Colour and a word: the word carries the meaning (colour-blind readers, NO_COLOR, logs). */
const STATUS_WORD: Record<TReadinessItem['status'], (s: string) => string> = {
  pass: paint.green, fail: paint.red, stale: paint.yellow, 'not-run': paint.dim,
};

const checkName = (v: string): TReadinessCheckId => {
  const r = ZReadinessCheckId.safeParse(v);
  if (!r.success) throw new CliError(`unknown check '${v}': one of ${READINESS_CHECK_IDS.join(', ')}`, 2);
  return r.data;
};

export function printReport(r: TReadinessReport): void {
  for (const i of r.items) {
    const word = STATUS_WORD[i.status](i.status.toUpperCase().padEnd(7));
    const age = i.ageSeconds === null ? 'never run' : `${formatAge(i.ageSeconds)} ago by ${i.ranBy}`;
    console.log(`${word} ${paint.bold(i.id.padEnd(22))} ${i.title} ${paint.dim(`(${age}; window ${formatAge(i.windowSeconds)}${i.scheduled ? ', scheduled' : ''})`)}`);
    console.log(`        ${i.summary}`);
    if (i.status !== 'pass' && i.remedy) console.log(`        ${paint.yellow('to do:')} ${i.remedy}`);
  }
  const c = r.counts;
  console.log('');
  console.log(`${r.ready ? paint.green('READY') : paint.red('NOT READY')}: ${c.pass} pass, ${c.fail} fail, ${c.stale} stale, ${c['not-run']} not run; broker account: ${r.account}`);
}

function printResult(x: StoredResult): void {
  console.log(`${STATUS_WORD[x.status](x.status.toUpperCase().padEnd(7))} ${paint.bold(x.id.padEnd(22))} ${x.summary} ${paint.dim(`(${x.durationMs} ms)`)}`);
  if (x.remedy) console.log(`        ${paint.yellow('to do:')} ${x.remedy}`);
}

export function registerReadiness(program: Command, ctx: () => CliContext) {
  const readiness = program
    .command('readiness')
    .description('go-live readiness: every check with its status (pass, fail, stale, not-run), evidence, age and what to do; exit 1 unless all pass')
    .option('--json', 'the report as JSON (with each check\'s evidence)')
    .action(async (o: { json?: boolean }) => {
      const r = await readinessReport(ctx().runtime().deps);
      if (o.json) console.log(JSON.stringify(r, null, 2));
      else printReport(r);
      if (!r.ready) process.exitCode = 1;
    });

  readiness
    .command('run')
    .description('run checks now and store their results (default: every check but the scheduled ones; name checks to run those)')
    .argument('[checks...]', `checks to run: ${READINESS_CHECK_IDS.join(', ')}`)
    .option('--all', 'every check, the scheduled (expensive) ones too')
    .option('--json', 'the results as JSON')
    .action(async (names: string[], o: { all?: boolean; json?: boolean }) => {
      const checks = o.all ? [...READINESS_CHECK_IDS] : names.length ? names.map(checkName) : undefined;
      const { deps } = ctx().runtime();
      const results = await runReadiness(deps, { checks, ranBy: cliAdmin().email, trigger: 'cli' }, o.json ? undefined : printResult);
      if (o.json) console.log(JSON.stringify(results, null, 2));
      if (results.some((x) => x.status !== 'pass')) process.exitCode = 1;
    });

  const broker = program.command('broker').description('the broker account the runtime may trade: go-live (gated on readiness), go-paper, status');
  broker
    .command('status')
    .description('paper or live, and whether readiness would allow live')
    .action(async () => {
      const { deps } = ctx().runtime();
      const r = await readinessReport(deps);
      console.log(`broker ${deps.config.BROKER}${deps.config.BROKER === 'alpaca' ? ` at ${new URL(deps.config.ALPACA_BASE_URL).host}` : ''}; account: ${await brokerAccountMode(deps)}; readiness: ${r.ready ? 'all pass' : `${r.items.length - r.counts.pass} check(s) not pass`}`);
    });
  broker
    .command('go-live')
    .description('switch to the live account: refused unless readiness is all pass and fresh; audited (two-person approval: from the console)')
    .option('--confirm', 'yes, real money')
    .option('--reason <text>', 'why, for the audit log')
    .action(async (o: { confirm?: boolean; reason?: string }) => {
      if (!o.confirm) throw new CliError('going live trades real money: add --confirm (and --reason "...")', 2);
      if (!o.reason || o.reason.trim().length < 3) throw new CliError('--reason is required (at least 3 characters): it goes to the audit log', 2);
      const { deps } = ctx().runtime();
      if (await twoPersonApprovalOn(deps)) throw new CliError('two-person approval is on: request the live switch on the console\'s Readiness page; a second admin approves it there', 1);
      try {
        const r = await goLive(deps, { actor: cliAdmin(), reason: o.reason.trim() });
        console.log(r.changed ? paint.green('broker account: LIVE (audited as broker.go-live)') : 'broker account already live');
      } catch (e) {
        if (e instanceof GoLiveRefusedError) {
          if (e.report) printReport(e.report);
          throw new CliError(e.message, 1);
        }
        throw e;
      }
    });
  broker
    .command('go-paper')
    .description('back to the paper account (always allowed; audited)')
    .option('--reason <text>', 'why, for the audit log')
    .action(async (o: { reason?: string }) => {
      if (!o.reason || o.reason.trim().length < 3) throw new CliError('--reason is required (at least 3 characters): it goes to the audit log', 2);
      const r = await goPaper(ctx().runtime().deps, { actor: cliAdmin(), reason: o.reason.trim() });
      console.log(r.changed ? 'broker account: paper (audited as broker.go-paper)' : 'broker account already paper');
    });
}
