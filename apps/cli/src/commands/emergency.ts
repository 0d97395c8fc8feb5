// The emergency verbs of the runbook: `ai-trader emergency stop-entries|halt|liquidate|suspend|unsuspend` and
// `ai-trader shutdown [--force]` (stops trading, not the console). Each prints its steps as they happen and the
// outcome the broker verified; exit 0 when it reached what it promises, 1 when not (what is still open is printed),
// 2 on bad usage — liquidate and suspend refuse to run without --confirm.
import { ZReason, type TEmergencyStep, type TLiquidateResult, type TStillOpenOrder, type TSuspendResult } from '@ai-trader/contracts';
import { createLogger, emergencyLiquidate, ForbiddenError, getTradingState, haltTrading, setBrokerSuspended, stopEntries, TradeRequestError, type Deps } from '@ai-trader/core';
import type { Command } from 'commander';
import { paint } from '../colour.ts';
import { CliError, cliActor, type CliContext } from '../context.ts';

/** Whoever runs the CLI holds the database credentials: they act as an admin (accounts and roles are the console's). */
export const cliAdmin = () => ({ ...cliActor(), role: 'admin' as const });

/** The runtime's deps with the use-cases' log lines on stderr: stdout is the steps and the outcome (or the JSON). */
export function emergencyDeps(ctx: () => CliContext): Deps {
  const logger = createLogger({ name: 'cli', level: process.env.LOG_LEVEL ?? 'warn', stdout: { write: (line: string) => void process.stderr.write(line) } });
  return { ...ctx().runtime().deps, logger };
}

export function reasonOf(o: { reason?: string }): string {
  const r = ZReason.safeParse(o.reason ?? '');
  if (!r.success) throw new CliError(`--reason: ${r.error.issues[0]!.message} (every emergency action is audited with its reason)`, 2);
  return r.data;
}

/** A use-case's refusal (forbidden, conflict) as one line with exit 1; anything else goes up. */
export async function refusalsAsCliErrors<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof ForbiddenError || e instanceof TradeRequestError) throw new CliError(e.message, 1);
    throw e;
  }
}

/** Prints each step as it happens (not with --json: stdout is the JSON then). */
export const stepPrinter = (json?: boolean) => (s: TEmergencyStep) => {
  if (json) return;
  const mark = s.ok ? paint.green('✓') : paint.red('✗');
  console.log(`${mark} ${s.step.padEnd(17)} ${paint.dim(`+${s.ms} ms`.padStart(9))}  ${s.detail}`);
};

export function printStillOpenOrders(orders: readonly TStillOpenOrder[]): void {
  for (const o of orders) console.log(`  order ${o.clientOrderId}  ${o.side} ${o.qty} ${o.symbol}, ${o.filledQty} filled, ${o.status ?? 'open'} — ${o.why}`);
}

function printLiquidation(r: TLiquidateResult): void {
  const t = r.timings;
  if (r.nothingToDo) console.log(paint.green('nothing to do: the broker had no open order and no position (HALTED)'));
  else if (r.flat) console.log(paint.green(`FLAT, verified with the broker: ${r.closing.length} position(s) closed, ${r.canceledOrders} order(s) cancelled`));
  else {
    console.log(paint.red(`NOT FLAT after the verification deadline: ${r.stillOpen.positions.length} position(s) and ${r.stillOpen.orders.length} order(s) still open`));
    for (const p of r.stillOpen.positions) console.log(`  position ${p.symbol} ${p.qty} — ${p.why}`);
    printStillOpenOrders(r.stillOpen.orders);
    for (const c of r.closing.filter((x) => x.error)) console.log(`  close of ${c.symbol} refused: ${c.error}`);
  }
  if (!r.books.flat) console.log(paint.yellow(`our books still show: ${r.books.positions.map((p) => `${p.symbol} ${p.qty}`).join(', ')} (reconciliation settles what the broker did)`));
  console.log(paint.dim(`new orders blocked after ${t.haltedMs} ms; ${t.flatMs === null ? 'not flat' : `flat and verified after ${t.flatMs} ms`}; done after ${t.totalMs} ms; ${r.brokerCalls} broker call(s), ${r.verifyPasses} check(s); run ${r.runId}`));
}

function printSuspend(r: TSuspendResult, suspend: boolean): void {
  const word = suspend ? 'SUSPENDED' : 'unsuspended';
  console.log((r.suspended === suspend ? paint.green : paint.red)(`trading ${word} at the ${r.broker} broker${r.changed ? '' : ' (it already was)'}; trading state ${r.state}`));
  if (suspend) console.log(`${r.canceledOrders.length} open order(s) cancelled${r.stillOpen.length ? '; still open:' : ''}`);
  printStillOpenOrders(r.stillOpen);
  if (!suspend && r.state !== 'ACTIVE') console.log(paint.dim('an admin resumes trading on the console once reconciliation is clean'));
}

function requireConfirm(o: { confirm?: boolean }, what: string): void {
  if (!o.confirm) throw new CliError(`refusing to ${what} without --confirm`, 2);
}

export function registerEmergency(program: Command, ctx: () => CliContext) {
  const deps = () => emergencyDeps(ctx);
  const em = program.command('emergency').description('emergency actions: stop entries, halt, liquidate everything, suspend at the broker (audited, alerted)');

  em.command('stop-entries')
    .description('state REDUCING: no new entries, exits still go out')
    .requiredOption('--reason <text>', 'why (audited)')
    .option('--json', 'print JSON')
    .action(async (o: { reason?: string; json?: boolean }) => {
      const reason = reasonOf(o);
      const r = await refusalsAsCliErrors(stopEntries(deps(), { actor: cliAdmin(), reason }));
      if (o.json) return console.log(JSON.stringify(r, null, 2));
      console.log(r.changed ? paint.yellow('entries stopped: REDUCING (exits still go out)') : 'entries were already stopped (REDUCING)');
    });

  em.command('halt')
    .description('state HALTED and every open order cancelled at the broker, verified (the same as shutdown --force)')
    .requiredOption('--reason <text>', 'why (audited)')
    .option('--json', 'print JSON')
    .action((o: { reason?: string; json?: boolean }) => halt(deps(), reasonOf(o), o.json));

  em.command('liquidate')
    .description('HALT, cancel every order and close every position at the broker, verified until flat or the deadline (LIQUIDATE_VERIFY_TIMEOUT_SECONDS); exit 1 when not flat')
    .option('--confirm', 'yes: close every position at the broker now')
    .requiredOption('--reason <text>', 'why (audited)')
    .option('--json', 'print the result as JSON')
    .action(async (o: { confirm?: boolean; reason?: string; json?: boolean }) => {
      requireConfirm(o, 'liquidate (it closes every position at the broker)');
      const reason = reasonOf(o);
      const r = await refusalsAsCliErrors(emergencyLiquidate(deps(), { actor: cliAdmin(), reason, onStep: stepPrinter(o.json) }));
      if (o.json) console.log(JSON.stringify(r, null, 2));
      else printLiquidation(r);
      if (!r.flat) process.exitCode = 1;
    });

  for (const [verb, suspend] of [['suspend', true], ['unsuspend', false]] as const)
    em.command(verb)
      .description(suspend
        ? 'last resort: HALT, then suspend_trade at the broker (it refuses every new order, whatever our processes do), then cancel all'
        : 'suspend_trade off at the broker; trading stays HALTED until an admin resumes')
      .option('--confirm', `yes: ${verb} trading at the broker`)
      .requiredOption('--reason <text>', 'why (audited)')
      .option('--json', 'print the result as JSON')
      .action(async (o: { confirm?: boolean; reason?: string; json?: boolean }) => {
        requireConfirm(o, `${verb} trading at the broker`);
        const reason = reasonOf(o);
        const r = await refusalsAsCliErrors(setBrokerSuspended(deps(), { actor: cliAdmin(), reason, suspend, onStep: stepPrinter(o.json) }));
        if (o.json) console.log(JSON.stringify(r, null, 2));
        else printSuspend(r, suspend);
        if (r.suspended !== suspend || r.stillOpen.length) process.exitCode = 1;
      });

  program
    .command('shutdown')
    .description('stop trading, not the console: entries stopped (REDUCING); --force: HALT, every open order cancelled at the broker')
    .option('--force', 'HALT and cancel every open order (else: stop entries, exits still go out)')
    .requiredOption('--reason <text>', 'why (audited)')
    .option('--json', 'print JSON')
    .action(async (o: { force?: boolean; reason?: string; json?: boolean }) => {
      const reason = reasonOf(o);
      if (o.force) return halt(deps(), reason, o.json);
      const before = await getTradingState(deps().prisma);
      if (before.state === 'HALTED') {
        if (o.json) return console.log(JSON.stringify({ state: 'HALTED', changed: false }, null, 2));
        return console.log('trading is already HALTED: nothing to stop (use --force to cancel open orders again)');
      }
      const r = await refusalsAsCliErrors(stopEntries(deps(), { actor: cliAdmin(), reason }));
      if (o.json) return console.log(JSON.stringify(r, null, 2));
      console.log(r.changed ? paint.yellow('entries stopped: REDUCING — exits still go out; the console keeps running') : 'entries were already stopped (REDUCING)');
    });
}

async function halt(deps: Deps, reason: string, json?: boolean): Promise<void> {
  const r = await refusalsAsCliErrors(haltTrading(deps, { actor: cliAdmin(), reason, onStep: stepPrinter(json) }));
  if (json) console.log(JSON.stringify(r, null, 2));
  else if (r.stillOpen.length) console.log(paint.red(`HALTED; ${r.canceledOrders.length} order(s) cancelled, but the broker still lists ${r.stillOpen.length} open: ${r.stillOpen.join(', ')}`));
  else console.log(paint.green(`HALTED${r.changed ? '' : ' (already)'}; ${r.canceledOrders.length} open order(s) cancelled; the broker reports none open`));
  if (r.stillOpen.length) process.exitCode = 1;
}
