// What Alpaca's Trading API (REST v2 and the trade_updates stream) sends and accepts, as zod schemas; how its
// order statuses and events become our TOrderStatus / TTradeUpdate; and (re-exported) AlpacaError.
import { ZTradeUpdate, type TOrderSide, type TOrderStatus, type TTradeUpdate } from '@ai-trader/contracts';
import type { BrokerOpenOrder } from '@ai-trader/core';
import { dec } from '@ai-trader/domain';
import { z } from 'zod';
import { AlpacaError } from './alpaca-error.ts';

/*
 * Source: Alpaca's OpenAPI spec as published in alpacahq/alpaca-mcp-server, src/alpaca_mcp_server/specs/trading-api.json
 * (last changed in commit 9e27d8d34a6a3f5cf872c9ee03d3141afa6e4a15, 2026-06-24; info.title "Trading API", version "2.0.1";
 * servers: Paper https://paper-api.alpaca.markets, Live https://api.alpaca.markets). What we rely on:
 *   security: headers APCA-API-KEY-ID and APCA-API-SECRET-KEY.
 *   responses 429: "Too many requests … Use the X-RateLimit-... response headers"; headers X-RateLimit-Limit ("Request
 *     limit per minute"), X-RateLimit-Remaining, X-RateLimit-Reset ("The UNIX epoch when the remaining quota changes").
 *     No Retry-After is documented: we honour it when present, else X-RateLimit-Reset, else back off.
 *   Error: {code: number, message: string} (required both); ErrorResponse: {message}.
 *   GET  /v2/account → Account; required: id, status (AccountStatus enum). Used: cash, buying_power, equity, currency,
 *        trading_blocked, account_blocked, trade_suspended_by_user ("User setting. If true, the account is not allowed to
 *        place orders."), all strings/booleans; money fields are decimal strings.
 *   GET  /v2/clock → legacy_clock; required: timestamp, is_open, next_open, next_close (date-time with offset).
 *   GET  /v2/calendar?start&end → legacy_calendar_day[]; required: date, open ("HH:MM"), close, session_open ("HHMM"),
 *        session_close, settlement_date.
 *   GET  /v2/assets/{symbol_or_asset_id} → Assets; 404 "Not Found". required: id, class, exchange, symbol, name, status
 *        (active|inactive), tradable, marginable, shortable, easy_to_borrow (deprecated), fractionable.
 *   POST /v2/orders body: required type, time_in_force; symbol, qty ("number of shares … Can be fractionable for only
 *        market and day order types"), side (buy|sell), limit_price ("Required if type is limit or stop_limit"),
 *        stop_price ("required if type is stop or stop_limit"), trail_percent / trail_price ("this or trail_price is
 *        required if type is trailing_stop"), client_order_id ("A unique identifier for the order. … (<= 128
 *        characters)"), extended_hours. OrderType for equities: market, limit, stop, stop_limit, trailing_stop.
 *        Responses: 200 Order; 403 "Buying power or shares is not sufficient."; 422 "Input parameters are not recognized."
 *   DELETE /v2/orders/{order_id}: "If the order is no longer cancelable, the request will be rejected with status 422;
 *        otherwise accepted with return status 204" (accepted: the order passes through pending_cancel to canceled).
 *   GET  /v2/orders?status=open|closed|all&limit ("Defaults to 50 and max is 500")&after ("submitted after this
 *        timestamp (exclusive)")&until&direction=asc|desc&symbols&after_order_id ("Return orders submitted after the
 *        order with this ID (exclusive)") → Order[].
 *   GET  /v2/orders:by_client_order_id?client_order_id= → Order.   GET /v2/orders/{order_id} → Order.
 *   DELETE /v2/orders → 207 CanceledOrderResponse[] {id, status ("http response code")}; "If an order is no longer
 *        cancelable, the server will respond with status 500".
 *   Order (schema): required notional (nullable), type, time_in_force; also id, client_order_id, created_at, updated_at,
 *        submitted_at, filled_at, canceled_at, expired_at, failed_at, symbol, asset_id, asset_class, qty (nullable),
 *        filled_qty, filled_avg_price (nullable), side (OrderSide: buy|sell), status (OrderStatus), limit_price,
 *        order_class, extended_hours, stop_price, trail_percent, trail_price, hwm ("The highest (lowest) market price
 *        seen since the trailing stop order was submitted"). OrderStatus enum: new, partially_filled, filled, done_for_day, canceled, expired,
 *        replaced, pending_cancel, pending_replace, accepted, pending_new, accepted_for_bidding, stopped, rejected,
 *        suspended, calculated, held. TimeInForce: day, gtc, opg, cls, ioc, fok ("day: … If submitted after the close,
 *        it is queued and submitted the following trading day").
 *   GET  /v2/positions → Position[]; required: asset_id, symbol, exchange, asset_class, avg_entry_price, qty, side,
 *        market_value, cost_basis, unrealized_pl, unrealized_plpc, unrealized_intraday_pl, unrealized_intraday_plpc,
 *        current_price, lastday_price, change_today, asset_marginable.
 *   DELETE /v2/positions?cancel_orders=true → 207 PositionClosedReponse[] {symbol, status, body: Order}.
 *   GET/PATCH /v2/account/configurations → AccountConfigurations {suspend_trade ("If true, new orders are blocked."),
 *        no_shorting, fractional_trading, max_margin_multiplier, trade_confirm_email, …} (nothing required).
 *   GET  /v2/account/activities?activity_types=FILL,…&after&until&direction&page_size (max 100)&page_token ("the ID of
 *        the last activity from the last page"); `after`/`until` accept "YYYY-MM-DD and YYYY-MM-DDTHH:MM:SSZ".
 *        TradingActivities: activity_type FILL, id ("::" format), order_id, symbol, side, qty, price, cum_qty,
 *        leaves_qty, transaction_time, type (fill|partial_fill), order_status. NonTradeActivities: activity_type, id,
 *        date, net_amount, symbol, qty, per_share_amount, status.
 *
 * Stream: https://docs.alpaca.markets/docs/websocket-streaming (read from its copy in HermesTrismegistusTheThriceGreat/TOD,
 * alpaca_docs/websocket-streaming.md, commit 9cfb290): wss://paper-api.alpaca.markets/stream "uses binary frames";
 *   → {"action":"auth","key":…,"secret":…}   ← {"stream":"authorization","data":{"status":"authorized"|"unauthorized","action":"authenticate"}}
 *   → {"action":"listen","data":{"streams":["trade_updates"]}}   ← {"stream":"listening","data":{"streams":["trade_updates"]}}
 *   (a listen before auth is answered {"stream":"authorization","data":{"status":"unauthorized","action":"listen"}})
 *   ← {"stream":"trade_updates","data":{"event":…,"execution_id":…,"order":{Order},"position_qty":…,"price":…,"qty":…,"timestamp":…}}
 *      fill / partial_fill carry price and qty of THIS execution and position_qty after it; canceled, expired, rejected,
 *      replaced carry timestamp. Other events: new, done_for_day, accepted, pending_new, stopped, pending_cancel,
 *      pending_replace, calculated, suspended, order_replace_rejected, order_cancel_rejected.
 *   ← {"action":"error","data":{"error_message":…}} before the server closes the connection.
 *
 * Error bodies seen in the wild (the spec documents only {code, message}):
 *   403 {"buying_power":"176531.28","code":40310000,"cost_basis":"48640000","message":"insufficient buying power"} (alpacahq/alpaca-py#225)
 *   422 code 40010001 "client_order_id must be unique" (alpacahq/alpaca-py#260), 422 42210000 "potential wash trade
 *   detected. use complex orders" (Petersoj/alpaca-java#145). 40310000 is shared by unrelated refusals (ccxt/ccxt#30103),
 *   so refusals are classified by their message, the HTTP status only deciding what is left.
 * We require only the fields we use; every other documented field may be absent without failing a response.
 */

const ZDec = z.string().regex(/^-?\d+(\.\d+)?$/, 'must be a decimal string like 123.45');
const ZTime = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'must be an RFC 3339 timestamp');
const ZDay = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date like 2025-06-04');

export const ALPACA_ORDER_STATUSES = [
  'new', 'partially_filled', 'filled', 'done_for_day', 'canceled', 'expired', 'replaced', 'pending_cancel', 'pending_replace',
  'accepted', 'pending_new', 'accepted_for_bidding', 'stopped', 'rejected', 'suspended', 'calculated', 'held',
] as const;
export const ALPACA_TIME_IN_FORCE = ['day', 'gtc', 'opg', 'cls', 'ioc', 'fok'] as const;
export type TAlpacaTimeInForce = (typeof ALPACA_TIME_IN_FORCE)[number];

/** The spec's required fields per response shape; the fake server's test holds every answer to them. */
export const SPEC_REQUIRED = {
  Account: ['id', 'status'],
  Clock: ['timestamp', 'is_open', 'next_open', 'next_close'],
  CalendarDay: ['date', 'open', 'close', 'session_open', 'session_close', 'settlement_date'],
  Asset: ['id', 'class', 'exchange', 'symbol', 'name', 'status', 'tradable', 'marginable', 'shortable', 'easy_to_borrow', 'fractionable'],
  Order: ['notional', 'type', 'time_in_force'],
  Position: ['asset_id', 'symbol', 'exchange', 'asset_class', 'avg_entry_price', 'qty', 'side', 'market_value', 'cost_basis', 'unrealized_pl',
    'unrealized_plpc', 'unrealized_intraday_pl', 'unrealized_intraday_plpc', 'current_price', 'lastday_price', 'change_today', 'asset_marginable'],
  PositionClosed: ['symbol', 'status'],
  Error: ['code', 'message'],
} as const;

export const ZAlpacaAccount = z.object({
  id: z.string().min(1),
  status: z.string(),
  currency: z.string(),
  cash: ZDec,
  buying_power: ZDec,
  equity: ZDec,
  non_marginable_buying_power: ZDec.optional(),
  long_market_value: ZDec.optional(),
  short_market_value: ZDec.optional(),
  multiplier: z.string().optional(),
  trading_blocked: z.boolean(),
  account_blocked: z.boolean(),
  trade_suspended_by_user: z.boolean(),
  shorting_enabled: z.boolean().optional(),
});
export type TAlpacaAccount = z.infer<typeof ZAlpacaAccount>;

export const ZAlpacaClock = z.object({ timestamp: ZTime, is_open: z.boolean(), next_open: ZTime, next_close: ZTime });
export type TAlpacaClock = z.infer<typeof ZAlpacaClock>;

const HHMM = z.string().regex(/^\d{2}:\d{2}$/, 'must be a time like 09:30');
export const ZAlpacaCalendarDay = z.object({
  date: ZDay, open: HHMM, close: HHMM,
  session_open: z.string().optional(), session_close: z.string().optional(), settlement_date: ZDay.optional(),
});
export type TAlpacaCalendarDay = z.infer<typeof ZAlpacaCalendarDay>;

export const ZAlpacaAsset = z.object({
  id: z.string().min(1),
  class: z.string(),
  exchange: z.string(),
  symbol: z.string().min(1),
  name: z.string(),
  status: z.enum(['active', 'inactive']),
  tradable: z.boolean(),
  marginable: z.boolean(),
  shortable: z.boolean(),
  fractionable: z.boolean(),
  easy_to_borrow: z.boolean().optional(),
});
export type TAlpacaAsset = z.infer<typeof ZAlpacaAsset>;

const optTime = ZTime.nullable().optional();
export const ZAlpacaOrder = z.object({
  id: z.string().min(1),
  client_order_id: z.string().min(1),
  created_at: ZTime,
  updated_at: optTime,
  submitted_at: optTime,
  filled_at: optTime,
  canceled_at: optTime,
  expired_at: optTime,
  failed_at: optTime,
  symbol: z.string(),
  asset_class: z.string().optional(),
  qty: ZDec.nullable().optional(),
  notional: ZDec.nullable().optional(),
  filled_qty: ZDec,
  filled_avg_price: ZDec.nullable().optional(),
  type: z.string(),
  side: z.enum(['buy', 'sell']),
  time_in_force: z.string(),
  limit_price: ZDec.nullable().optional(),
  stop_price: ZDec.nullable().optional(),
  trail_percent: ZDec.nullable().optional(),
  trail_price: ZDec.nullable().optional(),
  hwm: ZDec.nullable().optional(),
  // A status the spec does not list yet must not make a whole order list unreadable; toOrderStatus() judges it.
  status: z.string().min(1),
  extended_hours: z.boolean().optional(),
});
export type TAlpacaOrder = z.infer<typeof ZAlpacaOrder>;

/** DELETE /v2/orders: per order, the HTTP status of its cancel request; real servers add the order as `body`. */
export const ZAlpacaCancelResult = z.object({ id: z.string().min(1), status: z.number().int(), body: z.unknown().optional() });
export type TAlpacaCancelResult = z.infer<typeof ZAlpacaCancelResult>;

export const ZAlpacaPosition = z.object({
  asset_id: z.string().optional(),
  symbol: z.string().min(1),
  qty: ZDec,
  side: z.enum(['long', 'short']),
  avg_entry_price: ZDec,
  cost_basis: ZDec,
  market_value: ZDec.nullable().optional(),
  current_price: ZDec.nullable().optional(),
  unrealized_pl: ZDec.nullable().optional(),
  qty_available: ZDec.optional(),
});
export type TAlpacaPosition = z.infer<typeof ZAlpacaPosition>;

/** DELETE /v2/positions: per symbol, the status of its closing order and the order (or an error body) as `body`. */
export const ZAlpacaCloseResult = z.object({ symbol: z.string().min(1), status: z.number().int(), body: z.unknown().optional() });
export type TAlpacaCloseResult = z.infer<typeof ZAlpacaCloseResult>;

export const ZAlpacaAccountConfigurations = z.object({
  suspend_trade: z.boolean(),
  no_shorting: z.boolean().optional(),
  fractional_trading: z.boolean().optional(),
  max_margin_multiplier: z.string().optional(),
  trade_confirm_email: z.string().optional(),
  disable_overnight_trading: z.boolean().optional(),
});
export type TAlpacaAccountConfigurations = z.infer<typeof ZAlpacaAccountConfigurations>;

export const ZAlpacaFillActivity = z.object({
  activity_type: z.literal('FILL'),
  id: z.string().min(1),
  order_id: z.string().min(1),
  symbol: z.string(),
  side: z.enum(['buy', 'sell']),
  qty: ZDec,
  price: ZDec,
  cum_qty: ZDec,
  leaves_qty: ZDec,
  transaction_time: ZTime,
  type: z.enum(['fill', 'partial_fill']),
  order_status: z.string().optional(),
});
export const ZAlpacaNonTradeActivity = z.object({
  activity_type: z.string().refine((t) => t !== 'FILL', 'a FILL activity must have the trade fields'),
  id: z.string().min(1),
  date: z.string().optional(),
  net_amount: ZDec.optional(),
  symbol: z.string().optional(),
  qty: ZDec.optional(),
  status: z.string().optional(),
});
export const ZAlpacaActivity = z.union([ZAlpacaFillActivity, ZAlpacaNonTradeActivity]);
export type TAlpacaFillActivity = z.infer<typeof ZAlpacaFillActivity>;
export type TAlpacaActivity = z.infer<typeof ZAlpacaActivity>;

/** The body of a refusal: {code, message}, plus whatever the server adds (buying_power, cost_basis, …). */
export const ZAlpacaErrorBody = z.object({ code: z.number().optional(), message: z.string() }).loose();

// ── trade_updates stream ──
export const ZAlpacaStreamAuthorization = z.object({ stream: z.literal('authorization'), data: z.object({ status: z.string(), action: z.string() }) });
export const ZAlpacaStreamListening = z.object({ stream: z.literal('listening'), data: z.object({ streams: z.array(z.string()) }) });
export const ZAlpacaStreamError = z.object({ action: z.literal('error'), data: z.object({ error_message: z.string() }) });
export const ZAlpacaTradeUpdateEvent = z.object({
  event: z.string().min(1),
  execution_id: z.string().nullable().optional(),
  order: ZAlpacaOrder,
  timestamp: ZTime.optional(),
  price: ZDec.nullable().optional(),
  qty: ZDec.nullable().optional(),
  position_qty: ZDec.nullable().optional(),
});
export const ZAlpacaTradeUpdateMessage = z.object({ stream: z.literal('trade_updates'), data: ZAlpacaTradeUpdateEvent });
export type TAlpacaTradeUpdateEvent = z.infer<typeof ZAlpacaTradeUpdateEvent>;

// ── mapping to our vocabulary ──

/** Statuses in which an order can still trade or be cancelled (GET /v2/orders?status=open answers these). */
export const OPEN_ALPACA_STATUSES: ReadonlySet<string> = new Set([
  'new', 'partially_filled', 'done_for_day', 'accepted', 'pending_new', 'accepted_for_bidding', 'stopped', 'suspended',
  'calculated', 'held', 'pending_cancel', 'pending_replace',
]);

/**
 * Our status for an Alpaca order. Alpaca has more states than our machine; the extra ones are an order that is alive
 * (→ new, or partially_filled once it has fills) or dead: `replaced` means this order was superseded — we never
 * replace, so it counts as canceled. `calculated` is "completed for the day (filled or done for day)": filled only
 * when everything filled. An unknown status counts as alive, so that an order is never silently written off.
 */
export function toOrderStatus(o: Pick<TAlpacaOrder, 'status' | 'qty' | 'filled_qty'>): TOrderStatus {
  const hasFills = dec(o.filled_qty).gt(0);
  const alive: TOrderStatus = hasFills ? 'partially_filled' : 'new';
  switch (o.status) {
    case 'filled':
      return 'filled';
    case 'canceled':
    case 'replaced':
      return 'canceled';
    case 'expired':
      return 'expired';
    case 'rejected':
      return 'rejected';
    case 'calculated':
      return o.qty != null && dec(o.filled_qty).gte(o.qty) ? 'filled' : alive;
    default:
      return alive;
  }
}

export const toSide = (s: 'buy' | 'sell'): TOrderSide => (s === 'buy' ? 'BUY' : 'SELL');
export const fromSide = (s: TOrderSide): 'buy' | 'sell' => (s === 'BUY' ? 'buy' : 'sell');

/** Broker timestamps come with offsets and nanoseconds; ours are ISO UTC (milliseconds). */
export const isoUtc = (t: string): string => new Date(t).toISOString();

/*
 * The execution id we record for an Alpaca fill: `<order id>@<cumulative filled qty after it>`, not Alpaca's own
 * execution_id. A fill can reach us from two places — the stream (execution_id, order.filled_qty) and, after a gap,
 * the FILL activities (an activity id in "::" form, order_id, cum_qty) — and nothing documents that the two ids agree.
 * Fills are deduplicated by this id (fills.executionId is unique), so ids that differ per source would book a fill
 * twice; (order, cumulative qty) names the same execution in both, since each execution raises the cumulative qty.
 */
export function fillExecutionId(orderId: string, cumulativeQty: string): string {
  // '@', not ':': the portfolio.apply job id is `trade-<execution id>` and BullMQ refuses a custom id with one ':'.
  return `${orderId}@${dec(cumulativeQty).toFixed()}`;
}

const EVENT_MAP: Record<string, TTradeUpdate['event']> = {
  new: 'new', accepted: 'new', pending_new: 'new',
  fill: 'fill', partial_fill: 'partial_fill',
  canceled: 'canceled', expired: 'expired', rejected: 'rejected',
};

/**
 * One stream event as our TTradeUpdate, or null for events that change nothing in our books (done_for_day,
 * pending_cancel, replaced, …). Throws AlpacaError('bad_response') for a fill without price or qty.
 */
export function toTradeUpdate(ev: TAlpacaTradeUpdateEvent): TTradeUpdate | null {
  const event = EVENT_MAP[ev.event];
  if (!event) return null;
  const o = ev.order;
  const at = isoUtc(ev.timestamp ?? o.updated_at ?? o.created_at);
  const base = { event, clientOrderId: o.client_order_id, brokerOrderId: o.id, at };
  if (event === 'fill' || event === 'partial_fill') {
    if (!ev.qty || !ev.price)
      throw new AlpacaError('bad_response', `Alpaca ${ev.event} event for order ${o.id} (client ${o.client_order_id}) lacks qty or price`);
    return ZTradeUpdate.parse({ ...base, executionId: fillExecutionId(o.id, o.filled_qty), qty: ev.qty, price: ev.price });
  }
  if (event === 'rejected') return ZTradeUpdate.parse({ ...base, reason: 'rejected by Alpaca' });
  return ZTradeUpdate.parse(base);
}

/** A FILL activity as a TTradeUpdate (gap repair); the client order id comes from the order it belongs to. */
export function fillActivityToTradeUpdate(a: TAlpacaFillActivity, clientOrderId: string): TTradeUpdate {
  return ZTradeUpdate.parse({
    event: a.type, clientOrderId, brokerOrderId: a.order_id, executionId: fillExecutionId(a.order_id, a.cum_qty),
    qty: a.qty, price: a.price, at: isoUtc(a.transaction_time),
  });
}

/** The terminal non-fill update an order's current state implies (canceled/expired/rejected), else null. */
export function terminalUpdateOf(o: TAlpacaOrder): TTradeUpdate | null {
  const s = toOrderStatus(o);
  if (s !== 'canceled' && s !== 'expired' && s !== 'rejected') return null;
  const at = isoUtc((s === 'canceled' ? o.canceled_at : s === 'expired' ? o.expired_at : o.failed_at) ?? o.updated_at ?? o.created_at);
  return ZTradeUpdate.parse({ event: s, clientOrderId: o.client_order_id, brokerOrderId: o.id, at, ...(s === 'rejected' ? { reason: 'rejected by Alpaca' } : {}) });
}

/** An open Alpaca order as the port reports it. A notional order has no qty until it fills: its filled qty stands in. */
export function toBrokerOpenOrder(o: TAlpacaOrder): BrokerOpenOrder {
  return { clientOrderId: o.client_order_id, brokerOrderId: o.id, symbol: o.symbol, side: toSide(o.side), qty: o.qty ?? o.filled_qty, filledQty: o.filled_qty };
}

// The one error the adapter throws, and how refusals are classified: alpaca-error.ts.
export * from './alpaca-error.ts';
