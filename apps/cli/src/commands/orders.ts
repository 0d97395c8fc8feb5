// `ai-trader orders cancel-all --reason R`: every open order cancelled at the broker and in our books, verified with
// the broker; the trading state is left as it is. Exit 1 when the broker still lists open orders (printed, with why).
import { cancelAllOrders } from '@ai-trader/core';
import type { Command } from 'commander';
import { paint } from '../colour.ts';
import type { CliContext } from '../context.ts';
import { cliAdmin, emergencyDeps, printStillOpenOrders, reasonOf, refusalsAsCliErrors, stepPrinter } from './emergency.ts';

export function registerOrders(program: Command, ctx: () => CliContext) {
  const orders = program.command('orders').description('orders at the broker');
  orders
    .command('cancel-all')
    .description('cancel every open order at the broker and in our books, verified; the trading state stays as it is')
    .requiredOption('--reason <text>', 'why (audited)')
    .option('--json', 'print the result as JSON')
    .action(async (o: { reason?: string; json?: boolean }) => {
      const reason = reasonOf(o);
      const r = await refusalsAsCliErrors(cancelAllOrders(emergencyDeps(ctx), { actor: cliAdmin(), reason, onStep: stepPrinter(o.json) }));
      if (o.json) console.log(JSON.stringify(r, null, 2));
      else if (!r.stillOpen.length) console.log(paint.green(`${r.canceledOrders.length} order(s) cancelled; the broker reports none open; trading state ${r.state} (unchanged)`));
      else {
        console.log(paint.red(`${r.canceledOrders.length} order(s) cancelled, but the broker still lists ${r.stillOpen.length} open:`));
        printStillOpenOrders(r.stillOpen);
      }
      if (r.stillOpen.length) process.exitCode = 1;
    });
}
