// `ai-trader data import FILE --symbol S --timeframe T`: validated bulk import with a progress bar and a
// report of every problem. Exit 0: all rows stored or already stored; 3: some rows were quarantined.
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseBarCsvFile } from '@ai-trader/adapters';
import { ZSymbol, ZTimeframe } from '@ai-trader/contracts';
import { importBars } from '@ai-trader/core';
import { SingleBar, Presets } from 'cli-progress';
import type { Command } from 'commander';
import { CliError, type CliContext } from '../context.ts';

export function registerData(program: Command, ctx: () => CliContext) {
  const data = program.command('data').description('market data files');
  data
    .command('import')
    .description('validate a CSV of bars and store the good ones (bad ones go to the quarantine with the reason)')
    .argument('<file>', 'CSV with a header: ts,open,high,low,close,volume (or t,o,h,l,c,v)')
    .requiredOption('--symbol <symbol>', 'ticker of every row, e.g. AAPL')
    .requiredOption('--timeframe <tf>', '1m | 5m | 1h | 1d')
    .option('--session <mode>', 'regular | extended | any: which bars belong in the market session', 'regular')
    .action(async (file: string, o: { symbol: string; timeframe: string; session: string }) => {
      const symbol = ZSymbol.safeParse(o.symbol);
      if (!symbol.success) throw new CliError(`--symbol ${o.symbol}: ${symbol.error.issues[0]!.message}`, 2);
      const tf = ZTimeframe.safeParse(o.timeframe);
      if (!tf.success) throw new CliError(`--timeframe ${o.timeframe}: must be one of 1m, 5m, 1h, 1d`, 2);
      if (!['regular', 'extended', 'any'].includes(o.session)) throw new CliError(`--session ${o.session}: must be regular, extended or any`, 2);
      if (!existsSync(file)) throw new CliError(`${file}: no such file`, 2);
      const c = ctx();
      const size = Math.max(1, statSync(file).size);
      const bar = new SingleBar({ format: 'importing [{bar}] {percentage}% | {rows} rows read, {stored} bars stored', hideCursor: true, noTTYOutput: true, notTTYSchedule: 2000 }, Presets.shades_classic);
      bar.start(size, 0, { rows: 0, stored: 0 });
      const source = `import:${path.basename(file)}`;
      let parser: ReturnType<typeof parseBarCsvFile> | null = null;
      const open = () => (parser = parseBarCsvFile(file, { symbol: symbol.data, timeframe: tf.data, source }));
      const result = await importBars({ pool: c.pool() }, open, {
        symbol: symbol.data, timeframe: tf.data, source, session: o.session as 'regular',
        onProgress: ({ rows, stored }) => bar.update(Math.min(size, parser?.bytesRead() ?? 0), { rows, stored }),
      }).finally(() => bar.stop());
      if (result.mode === 'whole-file') console.log('(a bar far out of time order: the file was validated as a whole before storing)');
      console.log(result.report);
      if (result.malformed + result.rejected > 0) process.exitCode = 3;
    });
}
