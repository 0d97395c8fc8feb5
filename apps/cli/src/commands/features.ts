// `ai-trader features --symbols AAPL,MSFT --timeframe 5m [--from D --to D] [--json]`: computes the feature
// set over stored bars and stores it (idempotent: a re-run rewrites nothing). Exit 0; 1 when a symbol has
// no stored bars in the range; 2 on bad options.
import { ZSymbol, ZTimeframe } from '@ai-trader/contracts';
import { computeStoredFeatures, FeaturesInputError } from '@ai-trader/core';
import { SingleBar, Presets } from 'cli-progress';
import type { Command } from 'commander';
import { CliError, type CliContext } from '../context.ts';

interface Options { symbols?: string; timeframe: string; from?: string; to?: string; json?: boolean }

const DATE = /^\d{4}-\d{2}-\d{2}$/;

function parseOptions(o: Options) {
  if (!o.symbols) throw new CliError('--symbols is required, e.g. --symbols AAPL,MSFT', 2);
  const symbols = [...new Set(o.symbols.split(',').map((s) => s.trim()).filter(Boolean))];
  if (!symbols.length) throw new CliError('--symbols is empty: name at least one ticker, e.g. --symbols AAPL', 2);
  for (const s of symbols) if (!ZSymbol.safeParse(s).success) throw new CliError(`--symbols: '${s}' is not an upper-case ticker like SPY`, 2);
  const tf = ZTimeframe.safeParse(o.timeframe);
  if (!tf.success) throw new CliError(`--timeframe ${o.timeframe}: must be one of 1m, 5m, 1h, 1d`, 2);
  for (const [name, v] of [['--from', o.from], ['--to', o.to]] as const)
    if (v !== undefined && (!DATE.test(v) || new Date(Date.parse(v) || 0).toISOString().slice(0, 10) !== v)) throw new CliError(`${name} ${v}: must be a New York date like 2025-06-04`, 2);
  if (o.from && o.to && o.from > o.to) throw new CliError(`--from ${o.from} is after --to ${o.to}`, 2);
  return { symbols, timeframe: tf.data, from: o.from, to: o.to };
}

export function registerFeatures(program: Command, ctx: () => CliContext) {
  program
    .command('features')
    .description('compute the feature set (returns, volatility, RSI, MACD, Bollinger, ATR, VWAP, …) of stored bars and store it')
    .option('--symbols <list>', 'comma-separated tickers, e.g. AAPL,MSFT')
    .option('--timeframe <tf>', '1m | 5m | 1h | 1d', '5m')
    .option('--from <date>', 'first New York date (default: the first stored bar)')
    .option('--to <date>', 'last New York date, inclusive (default: the last stored bar)')
    .option('--json', 'print the result as JSON (no progress bar)')
    .action(async (o: Options) => {
      const req = parseOptions(o);
      const c = ctx();
      const bar = o.json
        ? null
        : new SingleBar({ format: 'features [{bar}] {percentage}% | {value}/{total} bars | {symbol}', hideCursor: true, noTTYOutput: true, notTTYSchedule: 2000 }, Presets.shades_classic);
      let started = false;
      const t0 = performance.now();
      try {
        const r = await computeStoredFeatures({ pool: c.pool() }, {
          ...req,
          onProgress: ({ symbol, done, total }) => {
            if (!bar) return;
            if (!started) {
              bar.start(total, 0, { symbol });
              started = true;
            }
            bar.update(done, { symbol });
          },
        }).finally(() => started && bar?.stop());
        const seconds = (performance.now() - t0) / 1000;
        const empty = r.symbols.filter((s) => s.bars === 0);
        if (empty.length) process.exitCode = 1;
        if (o.json) return console.log(JSON.stringify({ ...r, seconds: Number(seconds.toFixed(3)) }, null, 2));
        const range = `${req.from ?? 'first bar'}…${req.to ?? 'last bar'}`;
        console.log(`features v${r.setVersion} ${r.timeframe} ${range}: ${r.bars} bars, ${r.written} rows written in ${seconds.toFixed(1)} s`);
        for (const s of r.symbols) {
          if (!s.bars) {
            console.log(`  ${s.symbol.padEnd(6)} no stored ${r.timeframe} bars in ${range} (load them first: ai-trader data import / backfill)`);
            continue;
          }
          const notes = [s.warmup ? `warmed up on ${s.warmup} earlier bars` : '', s.gaps ? `${s.gaps} gap(s) inside a day (see ai-trader validate)` : ''].filter(Boolean).join('; ');
          console.log(`  ${s.symbol.padEnd(6)} ${s.bars} bars ${s.first} … ${s.last}: ${s.written} written, ${s.unchanged} unchanged${notes ? `  (${notes})` : ''}`);
        }
      } catch (e) {
        if (e instanceof FeaturesInputError) throw new CliError(e.message, 2);
        throw e;
      }
    });
}
