// `ai-trader backtest --strategy NAME --from D --to D [--symbols …]`: a strategy over stored bars through the
// live decision path (features, strategy, sizing, risk checks, next-open fills); stored for the console.
import { ZSymbol } from '@ai-trader/contracts';
import { BacktestInputError, runBacktest } from '@ai-trader/core';
import { Presets, SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { CliError, cliActor, type CliContext } from '../context.ts';

export function registerBacktest(program: Command, ctx: () => CliContext) {
  program
    .command('backtest')
    .description('run a strategy over stored bars (same features, strategy, sizing, risk and fill rule as live)')
    .requiredOption('--strategy <name>', 'a stored strategy (ai-trader strategies list)')
    .requiredOption('--from <date>', 'first New York date')
    .requiredOption('--to <date>', 'last New York date, inclusive')
    .option('--symbols <list>', "default: the strategy's symbols")
    .option('--cash <amount>', 'starting cash (default SIM_STARTING_CASH)')
    .option('--json', 'print the result as JSON')
    .action(async (o: { strategy: string; from: string; to: string; symbols?: string; cash?: string; json?: boolean }) => {
      const symbols = o.symbols?.split(',').map((s) => s.trim()).filter(Boolean);
      for (const s of symbols ?? []) if (!ZSymbol.safeParse(s).success) throw new CliError(`--symbols: '${s}' is not an upper-case ticker like SPY`, 2);
      if (o.cash !== undefined && !/^\d+(\.\d+)?$/.test(o.cash)) throw new CliError(`--cash ${o.cash}: must be an amount like 100000`, 2);
      const bar = o.json ? null : new SingleBar({ format: 'backtest [{bar}] {percentage}% | {value}/{total} bars', hideCursor: true, noTTYOutput: true, notTTYSchedule: 2000 }, Presets.shades_classic);
      let started = false;
      let r;
      try {
        r = await runBacktest(ctx().runtime().deps, {
          strategy: o.strategy, from: o.from, to: o.to, ...(symbols ? { symbols } : {}), ...(o.cash ? { startingCash: o.cash } : {}),
          onProgress: (done, total) => {
            if (!bar) return;
            if (!started) bar.start(total, 0);
            started = true;
            bar.update(done);
          },
        }, cliActor());
      } catch (e) {
        if (e instanceof BacktestInputError || e instanceof RangeError) throw new CliError(e.message, 2);
        throw e;
      } finally {
        if (started) bar?.stop();
      }
      if (o.json) return console.log(JSON.stringify(r, null, 2));
      const m = r.metrics;
      console.log(`backtest ${r.id}: ${r.strategy} ${o.from}…${o.to}, ${m.bars} bars, ${m.signals} signals`);
      console.log(`  equity ${m.startingCash} → ${m.endingEquity} (${m.totalReturnPct.toFixed(2)} %), max drawdown ${m.maxDrawdownPct.toFixed(2)} %, Sharpe ${m.sharpe?.toFixed(2) ?? 'n/a'}`);
      console.log(`  ${m.trades} closed trades, hit rate ${m.hitRate === null ? 'n/a' : `${(m.hitRate * 100).toFixed(1)} %`}${Object.keys(m.denied).length ? `; denied by risk: ${Object.entries(m.denied).map(([k, n]) => `${k} ${n}`).join(', ')}` : ''}`);
      for (const t of r.trades.slice(0, 20)) console.log(`  ${t.symbol.padEnd(6)} ${t.qty.padStart(6)} ${t.entryTs} @ ${t.entryPrice} → ${t.exitTs ?? 'open'}${t.exitPrice ? ` @ ${t.exitPrice}` : ''}  P&L ${t.pnl}`);
      if (r.trades.length > 20) console.log(`  … ${r.trades.length - 20} more (--json for all)`);
    });
}
