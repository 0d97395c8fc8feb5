// `ai-trader models train|list|activate`: the model registry. `train` computes the features of the stored
// bars it needs first (progress bar), trains, stores the model with its version, window and metrics
// (audited); `activate NAME VERSION` makes that version the one model strategies score with (audited).
import { ZSymbol, ZTimeframe } from '@ai-trader/contracts';
import { activateModel, computeStoredFeatures, DEFAULT_MODEL_FEATURES, FeaturesInputError, listModels, trainModel } from '@ai-trader/core';
import { FEATURE_NAMES, type TFeatureName } from '@ai-trader/domain';
import { Presets, SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { CliError, cliActor, type CliContext } from '../context.ts';

const DATE = /^\d{4}-\d{2}-\d{2}$/;

interface TrainOptions { name: string; symbols?: string; timeframe: string; from?: string; to?: string; features?: string; horizon: string; seed: string; steps?: string; json?: boolean }

function parseTrain(o: TrainOptions) {
  if (!o.symbols) throw new CliError('--symbols is required, e.g. --symbols SPY,QQQ,AAPL', 2);
  const symbols = [...new Set(o.symbols.split(',').map((s) => s.trim()).filter(Boolean))];
  for (const s of symbols) if (!ZSymbol.safeParse(s).success) throw new CliError(`--symbols: '${s}' is not an upper-case ticker like SPY`, 2);
  const tf = ZTimeframe.safeParse(o.timeframe);
  if (!tf.success) throw new CliError(`--timeframe ${o.timeframe}: must be one of 1m, 5m, 1h, 1d`, 2);
  for (const [k, v] of [['--from', o.from], ['--to', o.to]] as const) if (!v || !DATE.test(v)) throw new CliError(`${k} is required as a date like 2025-06-02`, 2);
  if (o.from! > o.to!) throw new CliError(`--from ${o.from} is after --to ${o.to}`, 2);
  const featureNames = o.features ? (o.features.split(',').map((s) => s.trim()) as TFeatureName[]) : DEFAULT_MODEL_FEATURES;
  const unknown = featureNames.filter((n) => !FEATURE_NAMES.includes(n));
  if (unknown.length) throw new CliError(`--features: unknown ${unknown.join(', ')}; known: ${FEATURE_NAMES.join(', ')}`, 2);
  const int = (k: string, v: string, min: number, max: number) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new CliError(`${k} ${v}: must be a whole number from ${min} to ${max}`, 2);
    return n;
  };
  return {
    name: o.name, symbols, timeframe: tf.data, from: o.from!, to: o.to!, featureNames,
    horizonBars: int('--horizon', o.horizon, 1, 500), seed: int('--seed', o.seed, 0, 2 ** 31 - 1), ...(o.steps ? { steps: int('--steps', o.steps, 10, 100_000) } : {}),
  };
}

export function registerModels(program: Command, ctx: () => CliContext) {
  const m = program.command('models').description('model registry: train, list, activate');
  m.command('train')
    .description('train a logistic-regression model on stored bars (features are computed first) and register it as a new version')
    .requiredOption('--name <name>', 'registry name, e.g. lr-5m')
    .option('--symbols <list>', 'tickers to train on, e.g. SPY,QQQ,AAPL,MSFT')
    .option('--timeframe <tf>', '1m | 5m | 1h | 1d', '5m')
    .option('--from <date>', 'first date of the training window')
    .option('--to <date>', 'last date of the training window (the latest 20 % is held out for the metrics)')
    .option('--features <list>', `feature names (default ${DEFAULT_MODEL_FEATURES.join(',')})`)
    .option('--horizon <bars>', 'label: is the close this many bars later higher?', '6')
    .option('--seed <n>', 'seed (subsampling)', '42')
    .option('--steps <n>', 'gradient steps')
    .option('--json', 'print the registered model as JSON')
    .action(async (o: TrainOptions) => {
      const req = parseTrain(o);
      const c = ctx();
      const { deps } = c.runtime();
      const bar = o.json ? null : new SingleBar({ format: 'features [{bar}] {percentage}% | {value}/{total} bars | {symbol}', hideCursor: true, noTTYOutput: true, notTTYSchedule: 2000 }, Presets.shades_classic);
      let started = false;
      try {
        await computeStoredFeatures(deps, {
          symbols: req.symbols, timeframe: req.timeframe, from: req.from, to: req.to,
          onProgress: ({ symbol, done, total }) => {
            if (!bar) return;
            if (!started) bar.start(total, 0, { symbol });
            started = true;
            bar.setTotal(total);
            bar.update(done, { symbol });
          },
        });
      } catch (e) {
        if (e instanceof FeaturesInputError) throw new CliError(e.message, 2);
        throw e;
      } finally {
        if (started) bar?.stop();
      }
      let model;
      try {
        model = await trainModel(deps, req, cliActor());
      } catch (e) {
        if (e instanceof RangeError) throw new CliError(e.message, 1);
        throw e;
      }
      if (o.json) return console.log(JSON.stringify(model, null, 2));
      const x = model.metrics;
      console.log(`registered ${model.name}@${model.version} (inactive): ${model.symbols.join(',')} ${model.timeframe} ${model.trainFrom}…${model.trainTo}, seed ${model.seed}`);
      console.log(`  held-out tail: ${x.testRows} rows (trained on ${x.trainRows}): accuracy ${(x.accuracy * 100).toFixed(1)} % (base rate up ${(x.baseRateUp * 100).toFixed(1)} %), AUC ${x.auc.toFixed(3)}, log-loss ${x.logLoss.toFixed(4)}`);
      console.log(`  activate it with: ai-trader models activate ${model.name} ${model.version} --reason "…"`);
    });
  m.command('list')
    .description('registered models, newest version first; * marks the active one')
    .argument('[name]')
    .option('--json', 'print JSON')
    .action(async (name: string | undefined, o: { json?: boolean }) => {
      const rows = await listModels(ctx().runtime().deps, name);
      if (o.json) return console.log(JSON.stringify(rows, null, 2));
      if (!rows.length) return console.log(name ? `no model named ${name}` : 'no models yet; train one with ai-trader models train');
      for (const r of rows)
        console.log(`${r.active ? '*' : ' '} ${`${r.name}@${r.version}`.padEnd(16)} ${r.kind} ${r.timeframe} ${r.symbols.join(',')} ${r.trainFrom}…${r.trainTo}  acc ${(r.metrics.accuracy * 100).toFixed(1)} %  AUC ${r.metrics.auc.toFixed(3)}  ${r.featureNames.length} features  by ${r.createdBy} ${r.createdAt}`);
    });
  m.command('activate')
    .description('make a version the active one of its name (audited)')
    .argument('<name>')
    .argument('<version>')
    .requiredOption('--reason <text>', 'why (audited)')
    .action(async (name: string, version: string, o: { reason: string }) => {
      if (!/^\d+$/.test(version)) throw new CliError(`version '${version}' must be a number, e.g. 3`, 2);
      if (o.reason.trim().length < 3) throw new CliError('--reason: say why, in at least 3 characters (audited)', 2);
      try {
        const r = await activateModel(ctx().runtime().deps, name, Number(version), cliActor(), o.reason.trim());
        console.log(`${r.name}@${r.version} is now active`);
      } catch (e) {
        if (e instanceof RangeError) throw new CliError(e.message, 2);
        throw e;
      }
    });
}
