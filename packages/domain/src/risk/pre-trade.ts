// Pre-trade risk checks of the walking skeleton: trading state, exits-only when reducing, max position
// (quantity and notional) and buying power. Pure: everything it needs is passed in.
import type Decimal from 'decimal.js';
import type { TDenyReason, TOrderSide, TTradingState } from '@ai-trader/contracts';
import { Dec, ZERO } from '../money.ts';

export interface RiskLimits {
  orderNotional: Decimal; // target size of one entry
  maxPositionQty: Decimal;
  maxPositionNotional: Decimal;
}

export interface PreTradeInput {
  state: TTradingState;
  side: TOrderSide;
  price: Decimal; // reference price (the signal bar's close)
  positionQty: Decimal; // signed; long-only strategies keep it >= 0
  buyingPower: Decimal; // cash not already committed to working buy orders
  dataStale?: boolean; // the symbol's newest bar is older than allowed: no new entries on old prices
  limits: RiskLimits;
}

export type PreTradeDecision =
  | { ok: true; qty: Decimal; isEntry: boolean; message: string }
  | { ok: false; code: TDenyReason; message: string };

const deny = (code: TDenyReason, message: string): PreTradeDecision => ({ ok: false, code, message });

export function checkPreTrade(i: PreTradeInput): PreTradeDecision {
  if (i.state === 'HALTED') return deny('TRADING_HALTED', 'trading is HALTED: no orders at all');
  if (i.side === 'SELL') {
    // Long-only: a SELL closes what we hold and never opens a short.
    if (i.positionQty.lte(0)) return deny('NO_POSITION_TO_EXIT', 'SELL signal with no long position to exit');
    return { ok: true, qty: i.positionQty, isEntry: false, message: `exit ${i.positionQty.toFixed()} shares` };
  }
  if (i.state === 'REDUCING') return deny('ENTRIES_STOPPED', 'trading is REDUCING: new entries are stopped, exits only');
  if (i.dataStale) return deny('STALE_MARKET_DATA', 'market data for this symbol is stale: no new entries until fresh bars arrive');
  if (i.price.lte(0)) return deny('ORDER_TOO_SMALL', `reference price ${i.price.toFixed()} is not positive`);

  const qty = i.limits.orderNotional.div(i.price).floor();
  if (qty.lte(0)) return deny('ORDER_TOO_SMALL', `order notional ${i.limits.orderNotional.toFixed()} buys less than one share at ${i.price.toFixed()}`);
  const after = i.positionQty.plus(qty);
  if (after.gt(i.limits.maxPositionQty))
    return deny('MAX_POSITION_QTY', `position would be ${after.toFixed()} shares, limit ${i.limits.maxPositionQty.toFixed()}`);
  const notionalAfter = after.times(i.price);
  if (notionalAfter.gt(i.limits.maxPositionNotional))
    return deny('MAX_POSITION_NOTIONAL', `position would be worth ${notionalAfter.toFixed(2)}, limit ${i.limits.maxPositionNotional.toFixed(2)}`);
  const cost = qty.times(i.price);
  if (cost.gt(i.buyingPower))
    return deny('INSUFFICIENT_BUYING_POWER', `order costs ${cost.toFixed(2)}, buying power is ${Dec.max(i.buyingPower, ZERO).toFixed(2)}`);
  return { ok: true, qty, isEntry: true, message: `buy ${qty.toFixed()} shares ≈ ${cost.toFixed(2)}` };
}
