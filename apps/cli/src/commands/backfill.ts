// `ai-trader backfill`: history as BullMQ jobs (one per stage × symbol × day) run by the workers, with
// a progress bar fed by the live events; `--resume --job-id ID` continues a run from its checkpoints;
// `backfill status [ID]` shows per-symbol progress. `--layer layer1` takes the symbols of the latest
// succeeded scan of that layer instead of `--symbols`.
import { ZScannerLayer, ZSymbol, ZTimeframe, type TBackfillStage, type TScannerLayer } from '@ai-trader/contracts';
import { BackfillInputError, backfillStatus, createRedis, keys, lastTradingDays, resumeBackfill, startBackfill, type BackfillProgress } from '@ai-trader/core';
import { toEt } from '@ai-trader/domain';
import { MultiBar, Presets } from 'cli-progress';
import type { Command } from 'commander';
import { latestLayerRun, NoScannerRunError } from '@ai-trader/core';
import { CliError, type CliContext } from '../context.ts';

interface RunOptions { symbols?: string; layer?: string; days?: string; to?: string; stage: string; timeframe: string; resume?: boolean; jobId?: string; detach?: boolean }

/** Checks the options; `--layer` leaves `symbols` null for layerSymbols to fill from the database. */
function parseRequest(o: RunOptions, today: string) {
  if (o.symbols && o.layer) throw new CliError('give --symbols or --layer, not both', 2);
  let symbols: string[] | null = null;
  let layer: TScannerLayer | null = null;
  if (o.layer) {
    const l = ZScannerLayer.safeParse(o.layer);
    if (!l.success) throw new CliError(`--layer ${o.layer}: must be layer0 or layer1`, 2);
    layer = l.data;
  } else {
    if (!o.symbols) throw new CliError("--symbols is required, e.g. --symbols AAPL,MSFT (or --layer layer1 for the scanner's symbols)", 2);
    symbols = o.symbols.split(',').map((s) => s.trim()).filter(Boolean);
    for (const s of symbols) if (!ZSymbol.safeParse(s).success) throw new CliError(`--symbols: '${s}' is not an upper-case ticker like SPY`, 2);
  }
  const tf = ZTimeframe.safeParse(o.timeframe);
  if (!tf.success) throw new CliError(`--timeframe ${o.timeframe}: must be one of 1m, 5m, 1h, 1d`, 2);
  const stages: TBackfillStage[] = o.stage === 'all' ? ['market_data', 'news'] : o.stage === 'market_data' || o.stage === 'news' ? [o.stage] : [];
  if (!stages.length) throw new CliError(`--stage ${o.stage}: must be market_data, news or all`, 2);
  const to = o.to ?? today;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(to)) throw new CliError(`--to ${to}: must be a date like 2025-08-28`, 2);
  const days = Number(o.days ?? 30);
  return { symbols, layer, stages, timeframe: tf.data, ...lastTradingDays(to, days) };
}

/** The passed symbols of the latest succeeded scan of `layer`, best rank first. */
async function layerSymbols(deps: Parameters<typeof latestLayerRun>[0], layer: TScannerLayer): Promise<string[]> {
  const run = await latestLayerRun(deps, layer);
  if (!run) throw new CliError(new NoScannerRunError(layer).message, 1);
  const day = run.asOf.slice(0, 10);
  if (!run.symbols.length) throw new CliError(`the latest ${layer} scan (${run.runId}, as of ${day}) passed no symbols: nothing to backfill`, 1);
  console.log(`symbols of ${layer} scan ${run.runId} (as of ${day}): ${run.symbols.join(', ')}`);
  return run.symbols;
}

export function printStatus(runs: BackfillProgress[]) {
  if (!runs.length) return console.log('no backfill runs yet');
  for (const r of runs) {
    console.log(`${r.id}  ${r.status.padEnd(9)} ${r.stage}/${r.timeframe} ${r.from}…${r.to}  ${r.done}/${r.total} chunks, ${r.failed} failed, ${r.rowsStored} rows stored, ${r.rowsRejected} quarantined  (by ${r.requestedBy}, ${r.createdAt})`);
    if (r.error) console.log(`  error: ${r.error}`);
    for (const s of r.bySymbol) console.log(`  ${s.symbol.padEnd(6)} ${s.done}/${s.total}${s.failed ? `  ${s.failed} failed, last: ${s.lastError}` : ''}  ${s.rowsStored} rows`);
  }
}

async function follow(c: CliContext, runId: string): Promise<BackfillProgress> {
  const { deps } = c.runtime();
  const sub = createRedis(c.config.REDIS_URL, { name: 'cli-backfill' });
  const bars = new MultiBar({ format: '{symbol} [{bar}] {value}/{total} days {extra}', hideCursor: true, noTTYOutput: true, notTTYSchedule: 5000 }, Presets.shades_classic);
  const perSymbol = new Map<string, ReturnType<MultiBar['create']>>();
  try {
    let resolveDone!: (p: BackfillProgress) => void;
    const done = new Promise<BackfillProgress>((r) => (resolveDone = r));
    const refresh = async () => {
      const [r] = await backfillStatus(deps, runId);
      for (const s of r!.bySymbol) {
        const bar = perSymbol.get(s.symbol) ?? perSymbol.set(s.symbol, bars.create(s.total, 0, { symbol: s.symbol.padEnd(6), extra: '' })).get(s.symbol)!;
        bar.update(s.done + s.failed, { extra: s.failed ? `(${s.failed} failed)` : '' });
      }
      if (r!.status === 'succeeded' || r!.status === 'failed') resolveDone(r!);
    };
    await sub.subscribe(keys(c.config.REDIS_PREFIX).live);
    sub.on('message', () => void refresh().catch(() => undefined));
    const safety = setInterval(() => void refresh().catch(() => undefined), 5000); // in case an event was missed
    await refresh();
    const r = await done;
    clearInterval(safety);
    return r;
  } finally {
    bars.stop();
    await sub.quit().catch(() => undefined);
  }
}

export function registerBackfill(program: Command, ctx: () => CliContext) {
  const bf = program.command('backfill').description('load history (bars and news) as resumable jobs run by the workers');
  bf.command('run', { isDefault: true })
    .description('start a backfill (or resume one) and follow its progress')
    .option('--symbols <list>', 'comma-separated tickers, e.g. AAPL,MSFT')
    .option('--layer <layer>', 'instead of --symbols: the symbols the latest succeeded scan of layer0 | layer1 passed')
    .option('--days <n>', 'trading days back from --to', '30')
    .option('--to <date>', 'last New York trading date to load (default: today)')
    .option('--stage <stage>', 'market_data | news | all', 'market_data')
    .option('--timeframe <tf>', '1m | 5m | 1h | 1d', '5m')
    .option('--resume', 'continue a failed or interrupted run (with --job-id)')
    .option('--job-id <id>', 'the run to resume')
    .option('--detach', 'queue the work and return at once')
    .action(async (o: RunOptions) => {
      const c = ctx();
      const { deps } = c.runtime();
      try {
        let started: { runId: string; chunks: number };
        if (o.resume) started = await resumeBackfill(deps, o.jobId ?? (() => { throw new CliError('--resume needs --job-id <run id> (see: ai-trader backfill status)', 2); })());
        else {
          const { layer, symbols, ...r } = parseRequest(o, toEt(new Date()).date);
          started = await startBackfill(deps, { ...r, symbols: symbols ?? (await layerSymbols(deps, layer!)), requestedBy: `cli:${process.env.USER ?? 'unknown'}` });
        }
        console.log(`${o.resume ? 'resumed' : 'started'} backfill ${started.runId}: ${started.chunks} chunk(s) queued`);
        if (o.detach) return;
        const r = await follow(c, started.runId);
        printStatus([r]);
        if (r.status === 'failed') process.exitCode = 1;
      } catch (e) {
        if (e instanceof BackfillInputError) throw new CliError(e.message, 2);
        throw e;
      }
    });
  bf.command('status')
    .argument('[id]', 'a run id (default: the latest runs)')
    .description('progress of backfill runs, per symbol')
    .option('--json', 'print JSON')
    .action(async (id: string | undefined, o: { json?: boolean }) => {
      try {
        const runs = await backfillStatus(ctx().runtime().deps, id);
        if (o.json) return console.log(JSON.stringify(runs, null, 2));
        printStatus(runs);
      } catch (e) {
        if (e instanceof BackfillInputError) throw new CliError(e.message, 2);
        throw e;
      }
    });
}
