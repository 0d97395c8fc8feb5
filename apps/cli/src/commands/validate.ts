// `ai-trader validate`: check the system's components (`--component database,redis | --all`: each a real check,
// exit 1 when one fails) or stored bars (`--symbols AAPL --days 7`: exit 1 when anything was found).
import { ZSymbol, ZTimeframe } from '@ai-trader/contracts';
import { BackfillInputError, lastTradingDays, parseComponents, SYSTEM_COMPONENTS, UnknownComponentError, validateStored, validateSystem, type ComponentCheck, type SystemValidation } from '@ai-trader/core';
import { toEt } from '@ai-trader/domain';
import type { Command } from 'commander';
import { paint } from '../colour.ts';
import { CliError, type CliContext } from '../context.ts';

const MARK = { ok: () => paint.green('ok  '), warn: () => paint.yellow('WARN'), fail: () => paint.red('FAIL') };

export function printCheck(c: ComponentCheck, indent = '  '): void {
  console.log(`${indent}${MARK[c.status]()}  ${c.component.padEnd(13)} ${c.summary}`);
  for (const l of c.lines) console.log(`${indent}      ${' '.repeat(13)} ${paint.dim(l)}`);
}

export function printVerdict(v: SystemValidation, indent = ''): void {
  const n = (s: ComponentCheck['status']) => v.checks.filter((c) => c.status === s).length;
  const text = `${n('fail')} failed, ${n('warn')} warning(s), ${n('ok')} ok`;
  console.log(`${indent}${v.ok ? paint.green(`valid: ${text}`) : paint.red(`NOT valid: ${text}`)}`);
}

export function registerValidate(program: Command, ctx: () => CliContext) {
  program
    .command('validate')
    .description('check components (database, redis, broker, feed, partitions, audit-chain, config, data_pipeline) or stored bars; exit 1 on a failure')
    .option('--component <names>', `comma-separated: ${SYSTEM_COMPONENTS.join(', ')}`)
    .option('--all', 'every component')
    .option('--json', 'print JSON')
    .option('--symbols <list>', 'comma-separated tickers to validate')
    .option('--days <n>', 'trading days back from --to', '7')
    .option('--to <date>', 'last New York date (default: today)')
    .option('--timeframe <tf>', '1m | 5m | 1h | 1d', '5m')
    .option('--session <mode>', 'regular | extended | any (stored data includes extended hours)', 'extended')
    .action(async (o: { component?: string; all?: boolean; json?: boolean; symbols?: string; days: string; to?: string; timeframe: string; session: string }) => {
      if (o.component || o.all) {
        if (o.component && o.all) throw new CliError('give --component or --all, not both', 2);
        if (o.symbols) throw new CliError('--symbols validates stored bars; --component/--all validate components: give one of them', 2);
        let components: readonly (typeof SYSTEM_COMPONENTS)[number][];
        try {
          components = o.all ? SYSTEM_COMPONENTS : parseComponents(o.component!.split(',').map((x) => x.trim()).filter(Boolean));
        } catch (e) {
          if (e instanceof UnknownComponentError) throw new CliError(e.message, 2);
          throw e;
        }
        const { deps } = ctx().runtime();
        if (!o.json) console.log(`validate ${components.join(', ')}`);
        const v = await validateSystem(deps, components, o.json ? undefined : (c) => printCheck(c));
        if (!v.ok) process.exitCode = 1;
        if (o.json) return console.log(JSON.stringify(v, null, 2));
        printVerdict(v);
        return;
      }
      if (!o.symbols) throw new CliError('give --symbols (e.g. --symbols AAPL,MSFT) or --component NAME / --all', 2);
      const symbols = o.symbols.split(',').map((s) => s.trim()).filter(Boolean);
      for (const s of symbols) if (!ZSymbol.safeParse(s).success) throw new CliError(`--symbols: '${s}' is not an upper-case ticker like SPY`, 2);
      const tf = ZTimeframe.safeParse(o.timeframe);
      if (!tf.success) throw new CliError(`--timeframe ${o.timeframe}: must be one of 1m, 5m, 1h, 1d`, 2);
      if (!['regular', 'extended', 'any'].includes(o.session)) throw new CliError(`--session ${o.session}: must be regular, extended or any`, 2);
      const { deps } = ctx().runtime();
      try {
        const range = lastTradingDays(o.to ?? toEt(new Date()).date, Number(o.days));
        const r = await validateStored(deps, { symbols, timeframe: tf.data, session: o.session as 'regular', ...range });
        if (o.json) return console.log(JSON.stringify({ symbols, timeframe: tf.data, ...range, problems: r.problems, series: r.series }, null, 2));
        console.log(`validated ${symbols.join(', ')} ${tf.data} ${range.from}…${range.to}: ${r.problems} problem(s)`);
        console.log(r.report);
        if (r.problems) process.exitCode = 1;
      } catch (e) {
        if (e instanceof BackfillInputError) throw new CliError(e.message, 2);
        throw e;
      }
    });
}
