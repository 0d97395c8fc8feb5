// Market-data shapes shared by feeds, workers and the console. Prices are decimal strings, never floats.
import { z } from 'zod';

export const ZDecimalString = z.string().regex(/^-?\d+(\.\d+)?$/, 'must be a decimal string like 123.45');
export const ZSymbol = z.string().regex(/^[A-Z][A-Z0-9.]{0,9}$/, 'must be an upper-case ticker like SPY');
export const ZTimeframe = z.enum(['1m', '5m', '1h', '1d']);
export type TTimeframe = z.infer<typeof ZTimeframe>;

export const ZBar = z.object({
  symbol: ZSymbol,
  timeframe: ZTimeframe,
  ts: z.iso.datetime(), // bar start, UTC
  open: ZDecimalString,
  high: ZDecimalString,
  low: ZDecimalString,
  close: ZDecimalString,
  volume: z.string().regex(/^\d+$/, 'must be a whole number of shares'),
  source: z.string().min(1),
});
export type TBar = z.infer<typeof ZBar>;

export const ZOrderSide = z.enum(['BUY', 'SELL']);
export type TOrderSide = z.infer<typeof ZOrderSide>;

export const ZTradingState = z.enum(['ACTIVE', 'REDUCING', 'HALTED']);
export type TTradingState = z.infer<typeof ZTradingState>;

export const ZOrderStatus = z.enum(['pending_new', 'new', 'partially_filled', 'filled', 'canceled', 'rejected', 'expired']);
export type TOrderStatus = z.infer<typeof ZOrderStatus>;

/** Why our risk engine denied an order (OrderDenied); a broker's refusal is an OrderRejected instead. */
export const ZDenyReason = z.enum([
  'TRADING_HALTED',
  'ENTRIES_STOPPED',
  'NO_POSITION_TO_EXIT',
  'MAX_POSITION_QTY',
  'MAX_POSITION_NOTIONAL',
  'INSUFFICIENT_BUYING_POWER',
  'ORDER_TOO_SMALL',
  'STALE_MARKET_DATA',
  'MARKET_CLOSED',
  'SYMBOL_NOT_TRADABLE',
  'MAX_GROSS_EXPOSURE',
  'MAX_NET_EXPOSURE',
  'MAX_OPEN_ORDERS',
  'MAX_ORDERS_PER_MINUTE',
  'PRICE_COLLAR',
  'DUPLICATE_SIGNAL',
  'RAMP_GROSS_EXPOSURE_CAP', // the capital ramp's current step (ops/capital-ramp.yaml)
  'RAMP_ORDER_NOTIONAL_CAP',
]);
export type TDenyReason = z.infer<typeof ZDenyReason>;

/** Why a broker refused or could not take an order, in words an operator can act on (same causes for every broker). */
export const ZBrokerCause = z.enum([
  'insufficient_buying_power', // the account cannot pay for the order
  'not_tradable', // the asset cannot be traded (inactive, unknown, not shortable)
  'market_closed', // refused because of the session
  'position_limit', // the order would take a position beyond the broker's limit
  'rate_limited', // the broker kept answering 429
  'broker_down', // the broker could not be reached or kept failing (5xx, network)
  'rejected', // any other refusal (bad parameters, …)
]);
export type TBrokerCause = z.infer<typeof ZBrokerCause>;

/** An event from a broker about one of our orders (sim fills or Alpaca trade_updates), normalised. */
export const ZTradeUpdate = z.object({
  event: z.enum(['new', 'fill', 'partial_fill', 'canceled', 'rejected', 'expired']),
  clientOrderId: z.string().min(1),
  brokerOrderId: z.string().min(1),
  executionId: z.string().min(1).optional(),
  qty: ZDecimalString.optional(), // this execution's quantity
  price: ZDecimalString.optional(),
  at: z.iso.datetime(),
  reason: z.string().optional(),
});
export type TTradeUpdate = z.infer<typeof ZTradeUpdate>;
