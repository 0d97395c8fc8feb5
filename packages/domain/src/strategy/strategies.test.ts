import { describe, expect, it } from 'vitest';
import type { TBar } from '@ai-trader/contracts';
import { dec } from '../money.ts';
import { FEATURE_NAMES, FEATURE_SET_VERSION, type FeatureVector } from '../features/feature-set.ts';
import { auc, checkModel, labelSeries, modelStrategy, scoreLogistic, trainLogistic } from './logistic-model.ts';
import { rsiReversion } from './rsi-reversion.ts';
import { targetNotional } from './sizing.ts';

const empty = (): FeatureVector => Object.fromEntries(FEATURE_NAMES.map((n) => [n, null])) as FeatureVector;
const fv = (v: Partial<FeatureVector>): FeatureVector => ({ ...empty(), ...v });
const bar = { symbol: 'SPY', timeframe: '5m', ts: '2025-06-04T14:00:00Z', open: '1', high: '1', low: '1', close: '1', volume: '1', source: 't' } as TBar;
const input = (features: FeatureVector) => ({ symbol: 'SPY', timeframe: '5m' as const, bar, features });

describe('rsi-reversion', () => {
  const s = rsiReversion('rsi-dip', { rsiBuyBelow: 30, rsiSellAbove: 70, exitBelowSma50: 0.01, trendFilter: true });
  it('buys a dip in an uptrend, exits when overbought or below trend, else nothing', () => {
    expect(s.evaluate(input(fv({ rsi_14: 21, sma_50_dev: 0.004, ret_1: -0.002 })))).toMatchObject({ side: 'BUY', score: 0.3, reason: 'RSI 21.0 below 30 with close 0.40 % above SMA(50)' });
    expect(s.evaluate(input(fv({ rsi_14: 21, sma_50_dev: -0.004, ret_1: -0.002 })))).toBeNull(); // dip in a downtrend: no entry
    expect(s.evaluate(input(fv({ rsi_14: 85, sma_50_dev: 0.02, ret_1: 0.001 })))).toMatchObject({ side: 'SELL', score: -0.5 });
    expect(s.evaluate(input(fv({ rsi_14: 50, sma_50_dev: -0.02, ret_1: 0 })))?.reason).toBe('close -2.00 % below SMA(50) (exit under −1.00 %)');
    expect(s.evaluate(input(fv({ rsi_14: 50, sma_50_dev: 0.001, ret_1: 0 })))).toBeNull();
  });
  it('never decides on missing or non-finite features', () => {
    expect(s.evaluate(input(fv({ rsi_14: 10, sma_50_dev: null, ret_1: 0 })))).toBeNull();
    expect(s.evaluate(input(fv({ rsi_14: Number.NaN, sma_50_dev: 0.1, ret_1: 0 })))).toBeNull();
  });
});

describe('sizing', () => {
  const base = { equity: dec('100000'), barVol: 0.002, barsPerDay: 78 };
  it('fixed, % of equity (capped), volatility-scaled (capped), and zero when it cannot size', () => {
    expect(targetNotional({ mode: 'fixed_notional', notional: '5000' }, base).notional.toFixed()).toBe('5000');
    expect(targetNotional({ mode: 'pct_equity', pct: 10 }, base).notional.toFixed()).toBe('10000');
    expect(targetNotional({ mode: 'pct_equity', pct: 10, maxNotional: '2500' }, base).notional.toFixed()).toBe('2500');
    // σ_day = 0.002 × √78 = 1.766352 %; 0.5 % of 100 000 / 0.01766352 = 28 306.92
    expect(targetNotional({ mode: 'vol_scaled', targetDailyVolPct: 0.5, maxNotional: '50000' }, base).notional.toFixed()).toBe('28306.92');
    expect(targetNotional({ mode: 'vol_scaled', targetDailyVolPct: 0.5, maxNotional: '20000' }, base).notional.toFixed()).toBe('20000');
    expect(targetNotional({ mode: 'vol_scaled', targetDailyVolPct: 0.5, maxNotional: '20000' }, { ...base, barVol: null }).notional.toFixed()).toBe('0');
  });
});

describe('logistic model', () => {
  // A learnable toy: up when rsi is low (mean reversion), noise from a fixed sequence.
  const rows = Array.from({ length: 600 }, (_, i) => {
    const rsi = 20 + ((i * 37) % 60), noise = ((i * 7919) % 100) / 100;
    return { features: fv({ rsi_14: rsi, ret_1: ((i * 13) % 7) / 1000 }), close: 0, up: (rsi < 50 ? noise < 0.85 : noise < 0.15) ? 1 : 0 } as const;
  });
  const labelled = rows.map((r) => ({ features: r.features, up: r.up as 0 | 1 }));
  const opts = { featureNames: ['rsi_14', 'ret_1'] as const, horizonBars: 6, seed: 7 };

  it('learns the toy rule, reproducibly, and scores with contributions', () => {
    const a = trainLogistic(labelled, { ...opts, featureNames: [...opts.featureNames] });
    const b = trainLogistic(labelled, { ...opts, featureNames: [...opts.featureNames] });
    expect(a.model.weights).toEqual(b.model.weights); // same data and seed → same model
    expect(a.metrics.accuracy).toBeGreaterThan(0.75);
    expect(a.metrics.auc).toBeGreaterThan(0.75);
    expect(a.metrics).toMatchObject({ trainRows: 480, testRows: 120 });
    const low = scoreLogistic(a.model, fv({ rsi_14: 22, ret_1: 0 }))!, high = scoreLogistic(a.model, fv({ rsi_14: 78, ret_1: 0 }))!;
    expect(low.p).toBeGreaterThan(0.6);
    expect(high.p).toBeLessThan(0.4);
    expect(low.contributions[0]!.name).toBe('rsi_14');
    const s = modelStrategy('lr', a.model, 'lr@1', { buyAbove: 0.55, sellBelow: 0.45 });
    expect(s.evaluate(input(fv({ rsi_14: 22, ret_1: 0 })))).toMatchObject({ side: 'BUY', modelVersion: 'lr@1' });
    expect(s.evaluate(input(fv({ rsi_14: 78, ret_1: 0 })))).toMatchObject({ side: 'SELL' });
    expect(s.evaluate(input(fv({ rsi_14: null, ret_1: 0 })))).toBeNull();
  });

  it('labels forward returns, refuses too little data and models of another feature set', () => {
    const series = [1, 2, 1.5, 3, 3].map((close, i) => ({ features: fv({ rsi_14: i === 1 ? null : 50 }), close }));
    expect(labelSeries(series, ['rsi_14'], 1).map((r) => r.up)).toEqual([1, 1, 0]); // bar 1 left out (missing feature)
    expect(() => trainLogistic(labelled.slice(0, 40), { ...opts, featureNames: ['rsi_14'] })).toThrow(/at least 50 training and 20 test rows/);
    const m = trainLogistic(labelled, { ...opts, featureNames: ['rsi_14'] }).model;
    expect(checkModel(m, 'lr@1')).toBe(m);
    expect(() => checkModel({ ...m, featureSetVersion: FEATURE_SET_VERSION + 1 }, 'lr@2')).toThrow(`lr@2: trained on feature set v${FEATURE_SET_VERSION + 1}`);
    expect(() => checkModel({ ...m, weights: [1] }, 'lr@3')).toThrow('lr@3: parameters are incomplete or not finite');
  });

  it('computes AUC by ranks', () => {
    expect(auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBe(0.75);
    expect(auc([0.5, 0.5], [0, 1])).toBe(0.5);
    expect(auc([0.2, 0.3], [1, 1])).toBe(0.5);
  });
});
