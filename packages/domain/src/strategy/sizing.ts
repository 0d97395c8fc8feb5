// Position sizing: how much money one entry should put to work. Fixed notional, a percentage of equity,
// or volatility-scaled (a target volatility contribution: quieter symbols get more money, wild ones less),
// always capped. Decimal money in, decimal money out; volatility is a statistic (float).
import type Decimal from 'decimal.js';
import type { TSizing } from '@ai-trader/contracts';
import { dec, Dec, ZERO } from '../money.ts';

export interface SizingInput {
  equity: Decimal;
  /** σ of 1-bar log returns (the vol_20 feature) and bars per trading day, for vol_scaled. */
  barVol: number | null;
  barsPerDay: number;
}

/** The notional of one entry; ZERO when it cannot be sized (no volatility yet for vol_scaled, no equity). */
export function targetNotional(s: TSizing, i: SizingInput): { notional: Decimal; why: string } {
  if (s.mode === 'fixed_notional') return { notional: dec(s.notional), why: `fixed ${s.notional}` };
  if (i.equity.lte(0)) return { notional: ZERO, why: 'no equity' };
  if (s.mode === 'pct_equity') {
    const n = i.equity.times(s.pct).div(100);
    const capped = s.maxNotional ? Dec.min(n, dec(s.maxNotional)) : n;
    return { notional: capped.toDecimalPlaces(2, Dec.ROUND_DOWN), why: `${s.pct} % of equity ${i.equity.toFixed(2)}${s.maxNotional && n.gt(s.maxNotional) ? `, capped at ${s.maxNotional}` : ''}` };
  }
  if (i.barVol === null || !Number.isFinite(i.barVol) || i.barVol <= 0) return { notional: ZERO, why: 'no volatility estimate yet' };
  const dailyVol = i.barVol * Math.sqrt(i.barsPerDay);
  const n = i.equity.times(s.targetDailyVolPct / 100).div(dec(dailyVol.toPrecision(12)));
  const capped = Dec.min(n, dec(s.maxNotional));
  return {
    notional: capped.toDecimalPlaces(2, Dec.ROUND_DOWN),
    why: `${s.targetDailyVolPct} % daily vol budget at σ_day ${(dailyVol * 100).toFixed(2)} %${n.gt(s.maxNotional) ? `, capped at ${s.maxNotional}` : ''}`,
  };
}
