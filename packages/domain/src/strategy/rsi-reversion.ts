// Rule-based strategy: mean reversion on RSI with a trend filter. BUY when RSI(14) is oversold while the
// price is above its 50-bar average (a dip in an uptrend); SELL (exit) when RSI is overbought or the
// price falls below the 50-bar average by more than `exitBelowSma50`. Score: how far past the threshold.
import { ZRsiReversionParams, type TRsiReversionParams } from '@ai-trader/contracts';
import type { Strategy, StrategyDecision, StrategyInput, TopFeature } from './strategy.ts';
import { clamp, requireFeatures } from './strategy.ts';

const NEEDS = ['rsi_14', 'sma_50_dev', 'ret_1'] as const;

export function rsiReversion(name: string, params: TRsiReversionParams): Strategy {
  const p = ZRsiReversionParams.parse(params);
  return {
    name,
    kind: 'rsi-reversion',
    evaluate(input: StrategyInput): StrategyDecision | null {
      const f = requireFeatures(input.features, NEEDS);
      if (!f.ok) return null;
      const { rsi_14: rsi, sma_50_dev: dev } = f.v;
      const top = (extra: TopFeature[]): TopFeature[] =>
        [...extra, { name: 'ret_1' as const, value: f.v.ret_1, contribution: 0 }].sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution));
      if (rsi < p.rsiBuyBelow && (!p.trendFilter || dev > 0)) {
        const score = clamp((p.rsiBuyBelow - rsi) / p.rsiBuyBelow, 0.05, 1);
        return {
          side: 'BUY', score,
          reason: `RSI ${rsi.toFixed(1)} below ${p.rsiBuyBelow}${p.trendFilter ? ` with close ${(dev * 100).toFixed(2)} % above SMA(50)` : ''}`,
          topFeatures: top([{ name: 'rsi_14', value: rsi, contribution: (p.rsiBuyBelow - rsi) / 100 }, { name: 'sma_50_dev', value: dev, contribution: p.trendFilter ? dev : 0 }]),
        };
      }
      if (rsi > p.rsiSellAbove || dev < -p.exitBelowSma50) {
        const byRsi = rsi > p.rsiSellAbove;
        const score = -clamp(byRsi ? (rsi - p.rsiSellAbove) / (100 - p.rsiSellAbove) : -dev / Math.max(p.exitBelowSma50, 1e-9) - 1, 0.05, 1);
        return {
          side: 'SELL', score,
          reason: byRsi ? `RSI ${rsi.toFixed(1)} above ${p.rsiSellAbove}` : `close ${(dev * 100).toFixed(2)} % below SMA(50) (exit under −${(p.exitBelowSma50 * 100).toFixed(2)} %)`,
          topFeatures: top([{ name: 'rsi_14', value: rsi, contribution: byRsi ? -(rsi - p.rsiSellAbove) / 100 : 0 }, { name: 'sma_50_dev', value: dev, contribution: byRsi ? 0 : dev }]),
        };
      }
      return null;
    },
  };
}
