// The model registry: train a model on stored features and bars (offline, `ai-trader models train`),
// store it with its version, training window, features and metrics; activate one version per name (the
// model-based strategies score with the active one). Training and activation are audited.
import type { TTimeframe } from '@ai-trader/contracts';
import { TIMEFRAME_TABLE, type Prisma } from '@ai-trader/db';
import { FEATURE_NAMES, FEATURE_SET_VERSION, labelSeries, trainLogistic, type FeatureVector, type LabelledRow, type ModelMetrics, type TFeatureName } from '@ai-trader/domain';
import type { Deps } from '../ports.ts';
import type { ActorRef } from './strategies.ts';

export interface TrainRequest {
  name: string;
  symbols: string[];
  timeframe: TTimeframe;
  from: string; // UTC dates, inclusive
  to: string;
  featureNames?: TFeatureName[];
  horizonBars?: number;
  seed?: number;
  steps?: number;
}

export const DEFAULT_MODEL_FEATURES: TFeatureName[] = ['ret_1', 'ret_5', 'ret_20', 'vol_20', 'rsi_14', 'macd_hist', 'bb_pctb', 'atr_pct', 'vwap_dev', 'volume_z', 'sma_20_dev', 'sma_50_dev', 'tod'];

export interface ModelView {
  id: string;
  name: string;
  version: number;
  kind: string;
  active: boolean;
  featureNames: string[];
  symbols: string[];
  timeframe: string;
  trainFrom: string;
  trainTo: string;
  seed: number;
  metrics: ModelMetrics;
  createdBy: string;
  createdAt: string;
}

const NAME = /^[a-z0-9][a-z0-9-]{1,62}$/;

/** Rows of stored features with their bar's close, per symbol, in time order. */
async function storedSeries(deps: Pick<Deps, 'pool'>, r: TrainRequest, symbol: string) {
  const table = TIMEFRAME_TABLE[r.timeframe];
  const q = await deps.pool.query<{ ts: Date; values: FeatureVector; close: number }>(
    `SELECT f.ts, f.values, b.close::float8 AS close FROM features f JOIN ${table} b ON b.symbol = f.symbol AND b.ts = f.ts
     WHERE f.symbol = $1 AND f.timeframe = $2 AND f."setVersion" = $3 AND f.ts >= $4 AND f.ts < $5 ORDER BY f.ts`,
    [symbol, r.timeframe, FEATURE_SET_VERSION, new Date(`${r.from}T00:00:00Z`), new Date(Date.parse(`${r.to}T00:00:00Z`) + 86_400_000)],
  );
  return q.rows.map((x) => ({ ts: x.ts.getTime(), features: x.values, close: x.close }));
}

export async function trainModel(deps: Pick<Deps, 'prisma' | 'pool' | 'events' | 'logger'>, r: TrainRequest, actor: ActorRef): Promise<ModelView> {
  if (!NAME.test(r.name)) throw new RangeError(`model name '${r.name}' must be lower-case letters, digits and dashes, like lr-5m`);
  if (!r.symbols.length) throw new RangeError('name at least one symbol to train on');
  const featureNames = r.featureNames ?? DEFAULT_MODEL_FEATURES;
  const unknown = featureNames.filter((n) => !FEATURE_NAMES.includes(n));
  if (unknown.length) throw new RangeError(`unknown feature(s) ${unknown.join(', ')}; known: ${FEATURE_NAMES.join(', ')}`);
  const horizon = r.horizonBars ?? 6, seed = r.seed ?? 42;
  const rows: (LabelledRow & { ts: number })[] = [];
  for (const symbol of r.symbols) {
    const series = await storedSeries(deps, r, symbol);
    if (!series.length) throw new RangeError(`no stored ${r.timeframe} features for ${symbol} between ${r.from} and ${r.to}: run ai-trader features --symbols ${symbol} --timeframe ${r.timeframe} first`);
    for (const l of labelSeries(series, featureNames, horizon)) rows.push({ features: l.features, up: l.up, ts: l.row.ts });
  }
  // The held-out tail is the latest period across all symbols: sort by time (then symbol order, stable).
  rows.sort((a, b) => a.ts - b.ts);
  const { model, metrics } = trainLogistic(rows, { featureNames, horizonBars: horizon, seed, ...(r.steps ? { steps: r.steps } : {}) });
  const saved = await deps.prisma.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`model:${r.name}`}))`;
    const last = await tx.trainedModel.findFirst({ where: { name: r.name }, orderBy: { version: 'desc' } });
    const m = await tx.trainedModel.create({
      data: {
        name: r.name, version: (last?.version ?? 0) + 1, kind: model.kind, featureNames, params: model as unknown as Prisma.InputJsonValue,
        symbols: r.symbols, timeframe: r.timeframe, trainFrom: new Date(`${r.from}T00:00:00Z`), trainTo: new Date(`${r.to}T00:00:00Z`), seed,
        metrics: metrics as unknown as Prisma.InputJsonValue, createdBy: actor.email,
      },
    });
    await tx.auditLog.create({
      data: { actorId: actor.id, actorEmail: actor.email, action: 'model.train', reason: `trained ${m.name}@${m.version}`, after: { name: m.name, version: m.version, symbols: r.symbols, from: r.from, to: r.to, seed, metrics } as unknown as Prisma.InputJsonValue },
    });
    return m;
  });
  deps.logger.info({ model: `${saved.name}@${saved.version}`, ...metrics }, 'model trained');
  await deps.events.publish('model');
  return view(saved);
}

export async function activateModel(deps: Pick<Deps, 'prisma' | 'events'>, name: string, version: number, actor: ActorRef, reason: string): Promise<ModelView> {
  const m = await deps.prisma.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`model:${name}`}))`;
    const target = await tx.trainedModel.findUnique({ where: { name_version: { name, version } } });
    if (!target) throw new RangeError(`no model ${name}@${version}; see ai-trader models list`);
    const before = await tx.trainedModel.findFirst({ where: { name, active: true } });
    await tx.trainedModel.updateMany({ where: { name, active: true }, data: { active: false } });
    const after = await tx.trainedModel.update({ where: { id: target.id }, data: { active: true } });
    await tx.auditLog.create({
      data: { actorId: actor.id, actorEmail: actor.email, action: 'model.activate', reason, before: before ? { active: `${name}@${before.version}` } : undefined, after: { active: `${name}@${version}` } },
    });
    return after;
  });
  await deps.events.publish('model');
  return view(m);
}

export async function listModels(deps: Pick<Deps, 'prisma'>, name?: string): Promise<ModelView[]> {
  const rows = await deps.prisma.trainedModel.findMany({ where: name ? { name } : {}, orderBy: [{ name: 'asc' }, { version: 'desc' }] });
  return rows.map(view);
}

function view(m: { id: string; name: string; version: number; kind: string; active: boolean; featureNames: string[]; symbols: string[]; timeframe: string; trainFrom: Date; trainTo: Date; seed: number; metrics: unknown; createdBy: string; createdAt: Date }): ModelView {
  return {
    id: m.id, name: m.name, version: m.version, kind: m.kind, active: m.active, featureNames: m.featureNames, symbols: m.symbols, timeframe: m.timeframe,
    trainFrom: m.trainFrom.toISOString().slice(0, 10), trainTo: m.trainTo.toISOString().slice(0, 10), seed: m.seed, metrics: m.metrics as ModelMetrics,
    createdBy: m.createdBy, createdAt: m.createdAt.toISOString(),
  };
}
