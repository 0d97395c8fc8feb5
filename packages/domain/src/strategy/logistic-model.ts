// eslint-disable-next-line @typescript-eslint/triple-slash-reference -- the console build compiles this file without our types folder; the reference brings the declaration along
/// <reference path="../types/ml-logistic-regression.d.ts" />
// The model-based strategy's model: logistic regression (ml-logistic-regression, mljs) on standardised
// features, predicting whether the close `horizon` bars ahead is above this bar's close. Trained offline
// (`ai-trader models train`), saved with everything needed to score it again — feature names, feature-set
// version, scaling, weights — and metrics on a held-out tail (time-ordered: the model never sees the future
// it is tested on). Deterministic: zero start, full-batch gradient steps; the seed only picks a subsample
// when there are more rows than maxRows.
import LogisticRegression from 'ml-logistic-regression';
import { Matrix } from 'ml-matrix';
import type { TModelParams } from '@ai-trader/contracts';
import { FEATURE_SET_VERSION, type FeatureVector, type TFeatureName } from '../features/feature-set.ts';
import type { Strategy, StrategyDecision, TopFeature } from './strategy.ts';

export interface LogisticModel {
  kind: 'logistic-regression';
  featureSetVersion: number;
  featureNames: TFeatureName[];
  horizonBars: number;
  mean: number[];
  std: number[];
  /** intercept first, then one per feature (on standardised values). */
  weights: number[];
}

export interface ModelMetrics {
  trainRows: number;
  testRows: number;
  baseRateUp: number; // share of up-labels in the test set
  accuracy: number;
  logLoss: number;
  auc: number;
}

export interface LabelledRow {
  features: FeatureVector;
  up: 0 | 1;
}

export interface TrainOptions {
  featureNames: TFeatureName[];
  horizonBars: number;
  seed: number;
  steps?: number; // gradient steps (default 400)
  learningRate?: number; // per row (default 0.5 / rows)
  holdoutFraction?: number; // time-ordered tail for the metrics (default 0.2)
  maxRows?: number; // subsample above this (default 200 000)
}

/** Labels from a time-ordered series of one symbol: up = close[t + h] > close[t]. Rows with a missing
 *  feature or no future close are left out; each labelled row keeps the row it came from. */
export function labelSeries<T extends { features: FeatureVector; close: number }>(rows: readonly T[], featureNames: readonly TFeatureName[], horizon: number): (LabelledRow & { row: T })[] {
  const out: (LabelledRow & { row: T })[] = [];
  for (let i = 0; i + horizon < rows.length; i++) {
    const f = rows[i]!.features;
    if (featureNames.some((n) => f[n] === null || !Number.isFinite(f[n]))) continue;
    out.push({ features: f, up: rows[i + horizon]!.close > rows[i]!.close ? 1 : 0, row: rows[i]! });
  }
  return out;
}

/** mulberry32: a small seeded PRNG, so a subsample is the same for the same seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/** Train on the first (1 − holdout) of `rows` (time-ordered), measure on the rest. Throws RangeError when there is too little data. */
export function trainLogistic(rows: LabelledRow[], o: TrainOptions): { model: LogisticModel; metrics: ModelMetrics } {
  const names = o.featureNames;
  if (!names.length) throw new RangeError('featureNames is empty: name the features the model uses');
  const holdout = o.holdoutFraction ?? 0.2;
  const split = Math.floor(rows.length * (1 - holdout));
  let train = rows.slice(0, split);
  const test = rows.slice(split);
  if (train.length < 50 || test.length < 20) throw new RangeError(`need at least 50 training and 20 test rows with every feature present, got ${train.length} and ${test.length}`);
  const maxRows = o.maxRows ?? 200_000;
  if (train.length > maxRows) {
    const rnd = prng(o.seed);
    train = train.map((r) => ({ r, k: rnd() })).sort((a, b) => a.k - b.k).slice(0, maxRows).map((x) => x.r);
  }
  const mean = names.map((n) => train.reduce((s, r) => s + (r.features[n] as number), 0) / train.length);
  const std = names.map((n, j) => {
    const v = train.reduce((s, r) => s + ((r.features[n] as number) - mean[j]!) ** 2, 0) / train.length;
    return Math.sqrt(v) || 1; // a constant feature carries no information; keep it harmless
  });
  const design = (rs: LabelledRow[]) => new Matrix(rs.map((r) => [1, ...names.map((n, j) => ((r.features[n] as number) - mean[j]!) / std[j]!)]));
  const lr = new LogisticRegression({ numSteps: o.steps ?? 400, learningRate: o.learningRate ?? 0.5 / train.length });
  lr.train(design(train), Matrix.columnVector(train.map((r) => r.up)));
  // Class 0's one-vs-all classifier is trained on y' = 0 for class 0, 1 otherwise: it scores P(up).
  const weights = lr.classifiers[0]!.weights.to1DArray();
  if (weights.some((w) => !Number.isFinite(w))) throw new RangeError('training diverged (non-finite weights); lower the learning rate');
  const model: LogisticModel = { kind: 'logistic-regression', featureSetVersion: FEATURE_SET_VERSION, featureNames: [...names], horizonBars: o.horizonBars, mean, std, weights };
  return { model, metrics: evaluate(model, test, train.length) };
}

/** P(up) for one feature vector, with each feature's contribution to the logit; null when a feature is missing. */
export function scoreLogistic(m: LogisticModel, f: FeatureVector): { p: number; contributions: TopFeature[] } | null {
  let z = m.weights[0]!;
  const contributions: TopFeature[] = [];
  for (let j = 0; j < m.featureNames.length; j++) {
    const name = m.featureNames[j]!;
    const v = f[name];
    if (v === null || v === undefined || !Number.isFinite(v)) return null;
    const c = m.weights[j + 1]! * ((v - m.mean[j]!) / m.std[j]!);
    z += c;
    contributions.push({ name, value: v, contribution: c });
  }
  contributions.sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution));
  return { p: sigmoid(z), contributions };
}

function evaluate(m: LogisticModel, test: LabelledRow[], trainRows: number): ModelMetrics {
  const ps = test.map((r) => scoreLogistic(m, r.features)!.p);
  const ys = test.map((r) => r.up);
  const eps = 1e-12;
  const logLoss = -ps.reduce((s, p, i) => s + (ys[i] ? Math.log(Math.max(p, eps)) : Math.log(Math.max(1 - p, eps))), 0) / ps.length;
  const accuracy = ps.filter((p, i) => (p >= 0.5 ? 1 : 0) === ys[i]).length / ps.length;
  return { trainRows, testRows: test.length, baseRateUp: ys.reduce<number>((s, y) => s + y, 0) / ys.length, accuracy, logLoss, auc: auc(ps, ys) };
}

/** Area under the ROC curve by ranks (ties averaged); 0.5 when one class is absent. */
export function auc(scores: number[], labels: number[]): number {
  const idx = scores.map((s, i) => ({ s, y: labels[i]! })).sort((a, b) => a.s - b.s);
  let rankSum = 0, pos = 0;
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j < idx.length && idx[j]!.s === idx[i]!.s) j++;
    const avgRank = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) if (idx[k]!.y === 1) {
      rankSum += avgRank;
      pos++;
    }
    i = j;
  }
  const neg = idx.length - pos;
  if (!pos || !neg) return 0.5;
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

/** Checks a stored model before it is used: wrong kind or feature-set version is refused with the reason. */
export function checkModel(raw: unknown, where: string): LogisticModel {
  const m = raw as Partial<LogisticModel> | null;
  if (!m || m.kind !== 'logistic-regression') throw new RangeError(`${where}: not a logistic-regression model (kind ${String(m?.kind)})`);
  if (m.featureSetVersion !== FEATURE_SET_VERSION)
    throw new RangeError(`${where}: trained on feature set v${m.featureSetVersion}, this build computes v${FEATURE_SET_VERSION}; retrain it (ai-trader models train)`);
  const n = m.featureNames?.length ?? 0;
  if (!n || m.mean?.length !== n || m.std?.length !== n || m.weights?.length !== n + 1 || ![...m.mean, ...m.std, ...m.weights].every(Number.isFinite))
    throw new RangeError(`${where}: parameters are incomplete or not finite`);
  return m as LogisticModel;
}

/** The model-based strategy: BUY when P(up) ≥ buyAbove, SELL (exit) when P(up) ≤ sellBelow. */
export function modelStrategy(name: string, model: LogisticModel, modelVersion: string, p: TModelParams): Strategy {
  return {
    name,
    kind: 'model',
    evaluate({ features }): StrategyDecision | null {
      const s = scoreLogistic(model, features);
      if (!s) return null;
      const side = s.p >= p.buyAbove ? 'BUY' : s.p <= p.sellBelow ? 'SELL' : null;
      if (!side) return null;
      return {
        side, score: 2 * s.p - 1, modelVersion,
        reason: `P(up in ${model.horizonBars} bars) = ${s.p.toFixed(3)} ${side === 'BUY' ? `≥ ${p.buyAbove}` : `≤ ${p.sellBelow}`} (${modelVersion})`,
        topFeatures: s.contributions.slice(0, 5),
      };
    },
  };
}
