// `ai-trader validate`: check stored bars (`--symbols AAPL --days 7`) or the whole data pipeline
// (`--component data_pipeline`). Exit 0 when clean, 1 when anything was found.
import { ZSymbol, ZTimeframe } from '@ai-trader/contracts';
import { BackfillInputError, lastTradingDays, validateDataPipeline, validateStored } from '@ai-trader/core';
import { toEt } from '@ai-trader/domain';
import type { Command } from 'commander';
import { CliError, type CliContext } from '../context.ts';

export function registerValidate(program: Command, ctx: () => CliContext) {
  program
    .command('validate')
    .description('validate stored market data, or the data pipeline as a whole')
    .option('--component <name>', 'data_pipeline: freshness, quarantine and failed loads of the last day')
    .option('--symbols <list>', 'comma-separated tickers to validate')
    .option('--days <n>', 'trading days back from --to', '7')
    .option('--to <date>', 'last New York date (default: today)')
    .option('--timeframe <tf>', '1m | 5m | 1h | 1d', '5m')
    .option('--session <mode>', 'regular | extended | any (stored data includes extended hours)', 'extended')
    .action(async (o: { component?: string; symbols?: string; days: string; to?: string; timeframe: string; session: string }) => {
      const { deps } = ctx().runtime();
      if (o.component) {
        if (o.component !== 'data_pipeline') throw new CliError(`--component ${o.component}: known components: data_pipeline`, 2);
        const h = await validateDataPipeline(deps);
        console.log(`data pipeline: ${h.ok ? 'ok' : 'PROBLEMS'}`);
        if (!h.freshness.length) console.log('  freshness: no bar has arrived yet');
        for (const f of h.freshness) console.log(`  ${f.symbol.padEnd(6)} ${f.timeframe}  last bar ${f.lastBarTs}, arrived ${f.ageSeconds} s ago${f.stale ? '  STALE' : ''}`);
        console.log(`  quarantined in the last 24 h: ${h.quarantinedLastDay.map((q) => `${q.kind} ${q.count}`).join(', ') || 'nothing'}`);
        for (const r of h.failedBackfills) console.log(`  failed backfill ${r.id} (${r.createdAt}): ${r.error}`);
        if (!h.ok) process.exitCode = 1;
        return;
      }
      if (!o.symbols) throw new CliError('give --symbols (e.g. --symbols AAPL,MSFT) or --component data_pipeline', 2);
      const symbols = o.symbols.split(',').map((s) => s.trim()).filter(Boolean);
      for (const s of symbols) if (!ZSymbol.safeParse(s).success) throw new CliError(`--symbols: '${s}' is not an upper-case ticker like SPY`, 2);
      const tf = ZTimeframe.safeParse(o.timeframe);
      if (!tf.success) throw new CliError(`--timeframe ${o.timeframe}: must be one of 1m, 5m, 1h, 1d`, 2);
      if (!['regular', 'extended', 'any'].includes(o.session)) throw new CliError(`--session ${o.session}: must be regular, extended or any`, 2);
      try {
        const range = lastTradingDays(o.to ?? toEt(new Date()).date, Number(o.days));
        const r = await validateStored(deps, { symbols, timeframe: tf.data, session: o.session as 'regular', ...range });
        console.log(`validated ${symbols.join(', ')} ${tf.data} ${range.from}…${range.to}: ${r.problems} problem(s)`);
        console.log(r.report);
        if (r.problems) process.exitCode = 1;
      } catch (e) {
        if (e instanceof BackfillInputError) throw new CliError(e.message, 2);
        throw e;
      }
    });
}
