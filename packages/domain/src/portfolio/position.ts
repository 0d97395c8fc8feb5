// Position arithmetic: apply one fill to a signed position with average cost, realising P&L on the
// part that closes. Also values a position at a last price.
import type Decimal from 'decimal.js';
import type { TOrderSide } from '@ai-trader/contracts';
import { Dec, ZERO } from '../money.ts';

export interface PositionState {
  qty: Decimal; // signed: > 0 long, < 0 short
  avgCost: Decimal;
  realizedPnl: Decimal;
}

export interface FillInput {
  side: TOrderSide;
  qty: Decimal; // > 0
  price: Decimal;
}

export interface FillEffect {
  position: PositionState;
  realized: Decimal; // P&L realised by this fill
  cashDelta: Decimal; // what this fill does to cash (commission-free)
}

export function applyFill(p: PositionState, f: FillInput): FillEffect {
  if (f.qty.lte(0)) throw new RangeError(`fill quantity must be positive (got ${f.qty.toFixed()})`);
  if (f.price.lte(0)) throw new RangeError(`fill price must be positive (got ${f.price.toFixed()})`);
  const signed = f.side === 'BUY' ? f.qty : f.qty.neg();
  const cashDelta = signed.times(f.price).neg();
  const sameDirection = p.qty.isZero() || p.qty.isPositive() === signed.isPositive();
  if (sameDirection) {
    const qty = p.qty.plus(signed);
    const avgCost = p.qty.abs().times(p.avgCost).plus(f.qty.times(f.price)).div(qty.abs());
    return { position: { qty, avgCost, realizedPnl: p.realizedPnl }, realized: ZERO, cashDelta };
  }
  const closing = Dec.min(f.qty, p.qty.abs());
  const direction = p.qty.isPositive() ? 1 : -1;
  const realized = f.price.minus(p.avgCost).times(closing).times(direction);
  const qty = p.qty.plus(signed);
  // Crossing through zero opens the remainder at the fill price.
  const avgCost = qty.isZero() ? ZERO : qty.isPositive() === p.qty.isPositive() ? p.avgCost : f.price;
  return { position: { qty, avgCost, realizedPnl: p.realizedPnl.plus(realized) }, realized, cashDelta };
}

export function unrealizedPnl(p: Pick<PositionState, 'qty' | 'avgCost'>, last: Decimal): Decimal {
  return last.minus(p.avgCost).times(p.qty);
}
