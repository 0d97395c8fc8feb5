// `ai-trader --help` as the operator runbook: every command in its group (Trading, Emergency, Data, Database,
// Operations, Security/Audit), in that order, with a one-line summary and an example of its use.
import { Command } from 'commander';

export const RUNBOOK_GROUPS = ['Trading', 'Emergency', 'Data', 'Database', 'Operations', 'Security/Audit'] as const;
export type RunbookGroup = (typeof RUNBOOK_GROUPS)[number];

interface Entry { group: RunbookGroup; summary: string; example: string }

/**
 * One row per top-level command. Rows of commands that are not registered (yet) are skipped, so a command
 * written by someone else gets its place here before it lands; a registered command without a row is listed
 * under "Other commands:" and fails the runbook test.
 */
export const RUNBOOK: Record<string, Entry> = {
  broker: { group: 'Trading', summary: 'the broker account: go-live (only when readiness is all pass), go-paper, status', example: 'ai-trader broker go-live --confirm --reason "readiness all pass"' },
  trade: { group: 'Trading', summary: 'start the workers in the foreground: paper (Alpaca paper) or live-sim (sim broker, replayed bars)', example: 'ai-trader trade --mode live-sim' },
  risk: { group: 'Trading', summary: 'would an order pass risk now, and if not why (writes nothing)', example: 'ai-trader risk check --symbol AAPL --side BUY' },
  strategies: { group: 'Trading', summary: 'strategy configuration: list, apply a file, enable, disable (audited)', example: 'ai-trader strategies list' },
  models: { group: 'Trading', summary: 'model registry: train, list, activate', example: 'ai-trader models list' },
  ramp: { group: 'Trading', summary: 'the capital ramp: its step, caps and why it did or did not advance; evaluate; set a step', example: 'ai-trader ramp status' },
  backtest: { group: 'Trading', summary: 'a strategy over stored bars, with the live pipeline\'s rules', example: 'ai-trader backtest --strategy ma-cross-5-20 --from 2025-06-02 --to 2025-08-28' },
  emergency: { group: 'Emergency', summary: 'stop entries, halt, liquidate everything, suspend at the broker', example: 'ai-trader emergency liquidate --confirm --reason "desk says flatten"' },
  shutdown: { group: 'Emergency', summary: 'stop trading, not the console: stop entries; --force: HALT, orders cancelled', example: 'ai-trader shutdown --force --reason "end of day"' },
  orders: { group: 'Emergency', summary: 'open orders: cancel them all at the broker and in our books', example: 'ai-trader orders cancel-all --reason "stale orders"' },
  alert: { group: 'Emergency', summary: 'send an alert to the console and the configured sinks', example: 'ai-trader alert send --level critical --message "feed down"' },
  data: { group: 'Data', summary: 'import a CSV of bars (validated, bad rows quarantined)', example: 'ai-trader data import AAPL.csv --symbol AAPL --timeframe 5m' },
  backfill: { group: 'Data', summary: 'load history as resumable jobs for the workers, with progress', example: 'ai-trader backfill --symbols AAPL,MSFT --days 90' },
  features: { group: 'Data', summary: 'compute and store the feature set of stored bars', example: 'ai-trader features --symbols AAPL,MSFT' },
  scan: { group: 'Data', summary: 'run a scanner layer (layer0 universe, layer1 liquid part)', example: 'ai-trader scan --layer layer1' },
  db: { group: 'Database', summary: 'database maintenance: partitions, backups, archives, connections', example: 'ai-trader db partitions --days-ahead 30' },
  cache: { group: 'Database', summary: 'our Redis caches: stats, flush', example: 'ai-trader cache stats' },
  status: { group: 'Operations', summary: 'trading state and health; --detailed, --account, --metrics, --check-apis', example: 'ai-trader status --detailed --metrics' },
  validate: { group: 'Operations', summary: 'check components (database, redis, broker, feed, partitions, audit-chain, config) or stored bars', example: 'ai-trader validate --all' },
  recover: { group: 'Operations', summary: 'recovery runbooks: recover system, recover --from-backup DATE (not while ACTIVE)', example: 'ai-trader recover system' },
  scheduler: { group: 'Operations', summary: 'the scheduled jobs: start, run one now, status', example: 'ai-trader scheduler status' },
  readiness: { group: 'Operations', summary: 'go-live readiness: every check with status, evidence, age, what to do; run them now', example: 'ai-trader readiness run' },
  help: { group: 'Operations', summary: 'the help of one command (the same as COMMAND --help)', example: 'ai-trader help status' },
  keys: { group: 'Security/Audit', summary: 'provider API keys stored encrypted: add, test, rotate, roll back', example: 'ai-trader keys test --provider alpaca' },
  users: { group: 'Security/Audit', summary: 'console accounts: add, list, set-role, disable, unlock', example: 'ai-trader users list' },
  audit: { group: 'Security/Audit', summary: 'the audit trail: verify the hash chain, trades, API usage, sign-ins', example: 'ai-trader audit verify' },
};

const heading = (g: RunbookGroup) => `${g}:`;

/** Groups, orders and summarises the program's commands; the description column gets an example line each. */
export function applyRunbookHelp(program: Command): Command {
  const help = new Command('help').argument('[command]').description('display help for command');
  program.addHelpCommand(help);
  const rank = (c: Command) => {
    const e = RUNBOOK[c.name()];
    return e ? RUNBOOK_GROUPS.indexOf(e.group) : RUNBOOK_GROUPS.length;
  };
  // Commander lists groups in the order their first command was registered: sort its list once, stably, by group
  // (typed readonly for callers; the array is the command's own, and the order is all that changes).
  (program.commands as Command[]).sort((a, b) => rank(a) - rank(b));
  for (const c of [...program.commands, help]) {
    const e = RUNBOOK[c.name()];
    if (e) c.helpGroup(heading(e.group)).summary(e.summary);
    else c.helpGroup('Other commands:');
  }
  program.configureHelp({
    // Only the top level carries examples; a subcommand's own --help stays as its author wrote it.
    subcommandDescription: (c) => {
      const e = c.parent === program || c === help ? RUNBOOK[c.name()] : undefined;
      const text = c.summary() || c.description();
      return e ? `${text}\n  e.g. ${e.example}` : text;
    },
  });
  program.addHelpText('after', [
    '',
    'Exit codes: 0 ok, 1 failure (what failed is printed), 2 usage (a bad option or argument).',
    'Add --json to a read command for JSON, --verbose for the stack and cause of an error. NO_COLOR=1 turns colour off.',
  ].join('\n'));
  return program;
}
