// Pre-trade risk checks: every order the system would send passes here first, and a refusal carries a
// reason code and a sentence (OrderDenied). Pure: the caller gathers the facts (state, market clock,
// tradability, positions, working orders, recent order rate, last price) and this decides.
//
// Order of the checks: what stops everything (HALTED, market closed, order rate), then exits (allowed while
// REDUCING, never blocked by entry limits), then entries: REDUCING, stale data, tradable, collar, duplicate,
// sizing, per-symbol limits, the capital ramp's caps, exposure, open orders, buying power.
import type Decimal from 'decimal.js';
import type { TDenyReason, TOrderSide, TTradingState } from '@ai-trader/contracts';
import { Dec, ZERO } from '../money.ts';

export interface RiskLimits {
  orderNotional: Decimal; // target size of one entry
  maxPositionQty: Decimal;
  maxPositionNotional: Decimal;
  maxGrossExposure?: Decimal;
  maxNetExposure?: Decimal;
  maxOpenOrders?: number;
  maxOrdersPerMinute?: number;
  priceCollarPct?: number;
}

export interface PreTradeInput {
  state: TTradingState;
  side: TOrderSide;
  price: Decimal; // reference price (the signal bar's close)
  positionQty: Decimal; // signed, including working orders of this symbol; long-only strategies keep it >= 0
  buyingPower: Decimal; // cash not already committed to working buy orders
  dataStale?: boolean; // the symbol's newest bar is older than allowed: no new entries on old prices
  marketOpen?: boolean; // default true (callers that cannot tell do not block)
  tradable?: boolean; // default true
  lastPrice?: Decimal | null; // the latest known price of the symbol, for the collar
  exposure?: { gross: Decimal; net: Decimal }; // now, including working entries
  openOrders?: number; // working orders and approved-but-unsent intents, all symbols
  ordersLastMinute?: number; // intents created in the last 60 s
  duplicate?: boolean; // this strategy already has a working order on this symbol and side
  limits: RiskLimits;
  /** The capital ramp's current step (ops/capital-ramp.yaml), when the ramp is on: caps on entries only. */
  ramp?: { step: string; maxGrossExposure: Decimal; maxOrderNotional: Decimal } | null;
}

export type PreTradeDecision =
  | { ok: true; qty: Decimal; isEntry: boolean; message: string }
  | { ok: false; code: TDenyReason; message: string };

const deny = (code: TDenyReason, message: string): PreTradeDecision => ({ ok: false, code, message });

export function checkPreTrade(i: PreTradeInput): PreTradeDecision {
  const L = i.limits;
  if (i.state === 'HALTED') return deny('TRADING_HALTED', 'trading is HALTED: no orders at all');
  if (i.marketOpen === false) return deny('MARKET_CLOSED', 'the market is closed: a market order would wait for the open at an unknown price');
  if (L.maxOrdersPerMinute !== undefined && (i.ordersLastMinute ?? 0) >= L.maxOrdersPerMinute)
    return deny('MAX_ORDERS_PER_MINUTE', `${i.ordersLastMinute} orders in the last minute, limit ${L.maxOrdersPerMinute}: a runaway loop is stopped here`);
  if (i.side === 'SELL') {
    // Long-only: a SELL closes what we hold and never opens a short.
    if (i.positionQty.lte(0)) return deny('NO_POSITION_TO_EXIT', 'SELL signal with no long position to exit');
    return { ok: true, qty: i.positionQty, isEntry: false, message: `exit ${i.positionQty.toFixed()} shares` };
  }
  if (i.state === 'REDUCING') return deny('ENTRIES_STOPPED', 'trading is REDUCING: new entries are stopped, exits only');
  if (i.dataStale) return deny('STALE_MARKET_DATA', 'market data for this symbol is stale: no new entries until fresh bars arrive');
  if (i.tradable === false) return deny('SYMBOL_NOT_TRADABLE', 'the broker does not allow trading this symbol');
  if (i.price.lte(0)) return deny('ORDER_TOO_SMALL', `reference price ${i.price.toFixed()} is not positive`);
  if (L.priceCollarPct !== undefined && i.lastPrice && i.lastPrice.gt(0)) {
    const off = i.price.minus(i.lastPrice).abs().div(i.lastPrice).times(100);
    if (off.gt(L.priceCollarPct))
      return deny('PRICE_COLLAR', `reference price ${i.price.toFixed()} is ${off.toFixed(2)} % from the last price ${i.lastPrice.toFixed()}, collar ${L.priceCollarPct} %`);
  }
  if (i.duplicate) return deny('DUPLICATE_SIGNAL', 'this strategy already has a working BUY for this symbol');

  const qty = L.orderNotional.div(i.price).floor();
  if (qty.lte(0)) return deny('ORDER_TOO_SMALL', `order notional ${L.orderNotional.toFixed()} buys less than one share at ${i.price.toFixed()}`);
  const after = i.positionQty.plus(qty);
  if (after.gt(L.maxPositionQty)) return deny('MAX_POSITION_QTY', `position would be ${after.toFixed()} shares, limit ${L.maxPositionQty.toFixed()}`);
  const notionalAfter = after.times(i.price);
  if (notionalAfter.gt(L.maxPositionNotional))
    return deny('MAX_POSITION_NOTIONAL', `position would be worth ${notionalAfter.toFixed(2)}, limit ${L.maxPositionNotional.toFixed(2)}`);
  const cost = qty.times(i.price);
  const R = i.ramp;
  if (R && cost.gt(R.maxOrderNotional))
    return deny('RAMP_ORDER_NOTIONAL_CAP', `order costs ${cost.toFixed(2)}, the capital ramp's step "${R.step}" caps one order at ${R.maxOrderNotional.toFixed(2)}`);
  if (R && i.exposure && i.exposure.gross.plus(cost).gt(R.maxGrossExposure))
    return deny('RAMP_GROSS_EXPOSURE_CAP', `gross exposure would be ${i.exposure.gross.plus(cost).toFixed(2)}, the capital ramp's step "${R.step}" caps it at ${R.maxGrossExposure.toFixed(2)}`);
  if (i.exposure && L.maxGrossExposure && i.exposure.gross.plus(cost).gt(L.maxGrossExposure))
    return deny('MAX_GROSS_EXPOSURE', `gross exposure would be ${i.exposure.gross.plus(cost).toFixed(2)}, limit ${L.maxGrossExposure.toFixed(2)}`);
  if (i.exposure && L.maxNetExposure && i.exposure.net.plus(cost).gt(L.maxNetExposure))
    return deny('MAX_NET_EXPOSURE', `net exposure would be ${i.exposure.net.plus(cost).toFixed(2)}, limit ${L.maxNetExposure.toFixed(2)}`);
  if (L.maxOpenOrders !== undefined && (i.openOrders ?? 0) >= L.maxOpenOrders)
    return deny('MAX_OPEN_ORDERS', `${i.openOrders} orders already working, limit ${L.maxOpenOrders}`);
  if (cost.gt(i.buyingPower)) return deny('INSUFFICIENT_BUYING_POWER', `order costs ${cost.toFixed(2)}, buying power is ${Dec.max(i.buyingPower, ZERO).toFixed(2)}`);
  return { ok: true, qty, isEntry: true, message: `buy ${qty.toFixed()} shares ≈ ${cost.toFixed(2)}` };
}
