// The ai-trader command tree: each command checks its input, calls one use-case, prints the result.
import { Command } from 'commander';
import { registerBackfill } from './commands/backfill.ts';
import { registerData } from './commands/data.ts';
import { registerDb } from './commands/db.ts';
import { registerCache } from './commands/cache.ts';
import { registerFeatures } from './commands/features.ts';
import { registerScan } from './commands/scan.ts';
import { registerStatus } from './commands/status.ts';
import { registerValidate } from './commands/validate.ts';
import { registerStrategies } from './commands/strategies.ts';
import { registerModels } from './commands/models.ts';
import { registerBacktest } from './commands/backtest.ts';
import { registerRisk } from './commands/risk.ts';
import { registerAudit } from './commands/audit.ts';
import { registerKeys } from './commands/keys.ts';
import { registerUsers } from './commands/users.ts';
import { registerAlert } from './commands/alert.ts';
import { registerEmergency } from './commands/emergency.ts';
import { registerOrders } from './commands/orders.ts';
import { registerTrade } from './commands/trade.ts';
import { registerRecover } from './commands/recover.ts';
import { registerScheduler } from './commands/scheduler.ts';
import { registerRamp } from './commands/ramp.ts';
import { registerReadiness } from './commands/readiness.ts';
import type { CliContext } from './context.ts';
import { applyRunbookHelp } from './runbook-help.ts';

export function buildProgram(ctx: () => CliContext): Command {
  const program = new Command('ai-trader')
    .description('operator commands of the ai-trader system, grouped as the runbook')
    .option('--verbose', 'on an error, also print its stack and cause')
    .showHelpAfterError()
    .exitOverride();
  registerTrade(program);
  registerStatus(program, ctx);
  registerDb(program, ctx);
  registerCache(program, ctx);
  registerData(program, ctx);
  registerBackfill(program, ctx);
  registerValidate(program, ctx);
  registerStrategies(program, ctx);
  registerModels(program, ctx);
  registerBacktest(program, ctx);
  registerRisk(program, ctx);
  registerFeatures(program, ctx);
  registerScan(program, ctx);
  registerAudit(program, ctx);
  registerKeys(program, ctx);
  registerUsers(program, ctx);
  registerAlert(program, ctx);
  registerEmergency(program, ctx);
  registerOrders(program, ctx);
  registerRecover(program, ctx);
  registerScheduler(program, ctx);
  registerRamp(program, ctx);
  registerReadiness(program, ctx);
  return applyRunbookHelp(program);
}
