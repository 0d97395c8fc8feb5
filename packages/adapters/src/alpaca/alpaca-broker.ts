// The Alpaca (paper) broker behind BrokerPort: market and protective (stop, trailing-stop, GTC) orders by
// client_order_id, cancels that report only what Alpaca confirms, open orders, and what the emergency controls and
// gap repair need beyond the port.
import type { TBrokerCause, TTradeUpdate } from '@ai-trader/contracts';
import type { BrokerOpenOrder, BrokerPort, CloseAllOutcome, SubmitOrderAck, SubmitOrderRequest, OrderRequestSlot } from '@ai-trader/core';
import { dec } from '@ai-trader/domain';
import type { Logger } from 'pino';
import type { AlpacaRest } from './alpaca-rest.ts';
import {
  AlpacaError, fillActivityToTradeUpdate, fromSide, isoUtc, terminalUpdateOf, toBrokerOpenOrder, toOrderStatus, ZAlpacaOrder,
  type TAlpacaOrder, type TAlpacaTimeInForce,
} from './alpaca-wire.ts';

export interface AlpacaBrokerOptions {
  rest: AlpacaRest;
  logger: Logger;
  /** Of our market orders (default 'day': outside the session Alpaca queues them for the next open). */
  timeInForce?: TAlpacaTimeInForce;
  /** How long cancelAllOrders waits for Alpaca to confirm the cancellations (default 5 000 ms). */
  cancelSettleMs?: number;
  /** Pause between two looks at orders still being cancelled (default 250 ms). */
  cancelPollMs?: number;
}

export interface AlpacaAccountSummary {
  id: string;
  status: string;
  currency: string;
  cash: string;
  buyingPower: string;
  equity: string;
  tradingBlocked: boolean;
  accountBlocked: boolean;
  tradeSuspendedByUser: boolean;
}

export interface AlpacaMarketClock {
  isOpen: boolean;
  at: string; // ISO UTC
  nextOpen: string;
  nextClose: string;
}

export interface AlpacaPositionSummary {
  symbol: string;
  qty: string; // negative for a short position
  avgEntryPrice: string;
  costBasis: string;
  marketValue: string | null;
  currentPrice: string | null;
  unrealizedPl: string | null;
}

export class AlpacaBroker implements BrokerPort {
  readonly name = 'alpaca';
  /** Stop and trailing-stop orders work at Alpaca: positions get their protective SELL there. */
  readonly protectiveStops = true;
  private readonly rest: AlpacaRest;
  private readonly logger: Logger;
  /** Alpaca order id → client_order_id of the orders seen lately, so gap repair need not look each one up (bounded). */
  private readonly clientIds = new Map<string, string>();

  constructor(private readonly o: AlpacaBrokerOptions) {
    this.rest = o.rest;
    this.logger = o.logger;
  }

  /** Room under Alpaca's request limit for one new order, taken before the submission locks anything. */
  reserveOrderRequest(o: { isEntry?: boolean } = {}): Promise<OrderRequestSlot> {
    return this.rest.reserveOrderSlot(o.isEntry === false ? 'other' : 'entries');
  }

  /**
   * Accepted, or rejected with a cause (insufficient_buying_power, not_tradable, market_closed, position_limit,
   * rejected) when Alpaca refuses the order. Failures to reach Alpaca (rate_limited, broker_down) and wrong keys (auth)
   * throw AlpacaError: the job retries and, the client_order_id being the same, never places a second order.
   */
  async submitOrder(req: SubmitOrderRequest, slot?: OrderRequestSlot): Promise<SubmitOrderAck> {
    try {
      const order = await this.rest.submitOrder({
        client_order_id: req.clientOrderId, symbol: req.symbol, qty: req.qty, side: fromSide(req.side), type: req.type,
        time_in_force: req.timeInForce ?? this.o.timeInForce ?? 'day',
        ...(req.type === 'stop' ? { stop_price: req.stopPrice } : {}),
        ...(req.type === 'trailing_stop' ? { trail_percent: req.trailPercent } : {}),
      }, { slot, lane: req.isEntry === false ? 'other' : 'entries' });
      this.remember(order.id, order.client_order_id);
      if (toOrderStatus(order) === 'rejected') return { brokerOrderId: order.id, status: 'rejected', cause: 'rejected', reason: 'rejected: Alpaca rejected the order after accepting it (status rejected)' };
      return { brokerOrderId: order.id, status: 'accepted' };
    } catch (e) {
      if (!(e instanceof AlpacaError) || !e.isOrderRefusal) throw e;
      this.logger.warn({ clientOrderId: req.clientOrderId, symbol: req.symbol, kind: e.kind }, `order refused by Alpaca: ${e.message}`);
      // A refused POST creates no order at Alpaca; the port wants an id all the same, and orders.brokerOrderId is unique.
      return { brokerOrderId: `refused:${req.clientOrderId}`, status: 'rejected', cause: e.kind as TBrokerCause, reason: `${e.kind}: ${e.detail.brokerMessage ?? e.message}` };
    }
  }

  /**
   * Asks Alpaca to cancel everything open, then reports as `canceled` only the orders Alpaca confirms cancelled (a
   * cancel request is not a cancellation: the order may fill first — that fill then arrives on the stream). Orders
   * still open after cancelSettleMs are not reported; listOpenOrders() shows them.
   */
  async cancelAllOrders(): Promise<TTradeUpdate[]> {
    const results = await this.rest.cancelAllOrders();
    const updates: TTradeUpdate[] = [];
    let pending: string[] = [];
    for (const r of results) {
      if (r.status < 200 || r.status >= 300) {
        this.logger.warn({ brokerOrderId: r.id, status: r.status }, 'Alpaca could not cancel an order (no longer cancelable?)');
        continue;
      }
      const body = ZAlpacaOrder.safeParse(r.body);
      const done = body.success ? this.settled(body.data) : undefined;
      if (done === undefined) pending.push(r.id);
      else if (done) updates.push(done);
    }
    const deadline = Date.now() + (this.o.cancelSettleMs ?? 5000);
    while (pending.length) {
      const still: string[] = [];
      for (const id of pending) {
        const order = await this.rest.getOrder(id);
        const done = order ? this.settled(order) : null;
        if (done === undefined) still.push(id);
        else if (done) updates.push(done);
      }
      pending = still;
      if (!pending.length) break;
      if (Date.now() >= deadline) {
        this.logger.warn({ brokerOrderIds: pending }, `Alpaca has not confirmed ${pending.length} cancellation(s) within ${this.o.cancelSettleMs ?? 5000} ms`);
        break;
      }
      await new Promise((r) => setTimeout(r, this.o.cancelPollMs ?? 250));
    }
    return updates;
  }

  /**
   * Cancels one of our orders and waits for Alpaca's word on it: looked up by client_order_id, DELETE /v2/orders/{id},
   * then read back until it is done. A cancel request is not a cancellation — the order may fill first (a triggered
   * stop is a market order): that is 'not_open'. Not confirmed within cancelSettleMs: AlpacaError('broker_down').
   */
  async cancelOrder(clientOrderId: string): Promise<'canceled' | 'not_open'> {
    const found = await this.rest.getOrderByClientId(clientOrderId);
    if (!found) return 'canceled'; // Alpaca never had it: nothing of it can trade
    const done = cancelOutcome(found);
    if (done) return done;
    const asked = await this.rest.cancelOrder(found.id); // 422: no longer cancelable, i.e. filled meanwhile: read below
    const settleMs = this.o.cancelSettleMs ?? 5000;
    const deadline = Date.now() + settleMs;
    for (;;) {
      const o = await this.rest.getOrder(found.id);
      const outcome = o ? cancelOutcome(o) : 'canceled';
      if (outcome) {
        if (o && outcome === 'canceled' && dec(o.filled_qty).gt(0))
          this.logger.warn({ clientOrderId, brokerOrderId: o.id, filledQty: o.filled_qty }, 'Alpaca canceled the rest of a partly filled order');
        return outcome;
      }
      if (Date.now() >= deadline)
        throw new AlpacaError('broker_down', `Alpaca has not confirmed the cancellation of order ${found.id} (client ${clientOrderId}) within ${settleMs} ms (cancel ${asked}; status ${o?.status ?? '?'})`);
      await new Promise((r) => setTimeout(r, this.o.cancelPollMs ?? 250));
    }
  }

  /** Every order open at Alpaca, oldest first. */
  async listOpenOrders(): Promise<BrokerOpenOrder[]> {
    return (await this.rest.listAllOrders('open')).map((o) => {
      this.remember(o.id, o.client_order_id);
      return { ...toBrokerOpenOrder(o), status: o.status };
    });
  }

  /** Open orders by client_order_id (reconciliation: ours that Alpaca lacks, or Alpaca's that we lack). */
  async openOrdersByClientId(): Promise<Map<string, BrokerOpenOrder>> {
    return new Map((await this.listOpenOrders()).map((o) => [o.clientOrderId, o]));
  }

  async account(): Promise<AlpacaAccountSummary> {
    const a = await this.rest.getAccount();
    return {
      id: a.id, status: a.status, currency: a.currency, cash: a.cash, buyingPower: a.buying_power, equity: a.equity,
      tradingBlocked: a.trading_blocked, accountBlocked: a.account_blocked, tradeSuspendedByUser: a.trade_suspended_by_user,
    };
  }

  /** BrokerPort: the broker's market clock decides MARKET_CLOSED for risk. */
  async marketClock(): Promise<{ isOpen: boolean; nextOpen: string | null; nextClose: string | null; at: string | null }> {
    const c = await this.clock();
    return { isOpen: c.isOpen, nextOpen: c.nextOpen, nextClose: c.nextClose, at: c.at };
  }

  /** BrokerPort: an unknown or non-tradable asset is refused by risk (SYMBOL_NOT_TRADABLE) before any order. */
  async isTradable(symbol: string): Promise<boolean> {
    const a = await this.rest.getAsset(symbol);
    return !!a && a.tradable === true && a.status === 'active';
  }

  async clock(): Promise<AlpacaMarketClock> {
    const c = await this.rest.getClock();
    return { isOpen: c.is_open, at: isoUtc(c.timestamp), nextOpen: isoUtc(c.next_open), nextClose: isoUtc(c.next_close) };
  }

  async positions(): Promise<AlpacaPositionSummary[]> {
    return (await this.rest.listPositions()).map((p) => ({
      symbol: p.symbol, qty: p.qty, avgEntryPrice: p.avg_entry_price, costBasis: p.cost_basis,
      marketValue: p.market_value ?? null, currentPrice: p.current_price ?? null, unrealizedPl: p.unrealized_pl ?? null,
    }));
  }

  /**
   * BrokerPort (emergency liquidation): DELETE /v2/positions?cancel_orders=true — Alpaca cancels every open order, then
   * places a closing market order per position under a client_order_id of its own. It says per symbol what it did
   * (207): the closing order, or the refusal (a 5xx or 429 for a symbol may pass if asked again). The cancellations are
   * not reported (listOpenOrders and the trade updates tell); the fills come on the stream and in the activities.
   */
  async closeAllPositions(): Promise<CloseAllOutcome> {
    const results = await this.rest.closeAllPositions(true);
    return {
      canceled: [], fills: [],
      closing: results.map((r) => {
        const order = ZAlpacaOrder.safeParse(r.body);
        if (r.status >= 200 && r.status < 300 && order.success) {
          this.remember(order.data.id, order.data.client_order_id);
          const o = toBrokerOpenOrder(order.data);
          return { symbol: r.symbol, positionQty: o.side === 'SELL' ? o.qty : dec(o.qty).neg().toFixed(), ok: true, order: { ...o, status: order.data.status } };
        }
        const m = (r.body as { message?: unknown } | undefined)?.message;
        return { symbol: r.symbol, ok: false, retryable: r.status >= 500 || r.status === 429, reason: `HTTP ${r.status}${typeof m === 'string' ? `: ${m}` : ''}` };
      }),
    };
  }

  /** suspend_trade at Alpaca: while true, Alpaca itself refuses every new order (a HALT that holds even if we misbehave). */
  suspendTrading(suspend: boolean): Promise<boolean> {
    return this.rest.setSuspendTrade(suspend);
  }

  async isTradingSuspended(): Promise<boolean> {
    return (await this.rest.getAccountConfigurations()).suspend_trade;
  }

  /**
   * What the stream may have missed since `sinceIso` (gap repair): every fill since then, from the FILL activities —
   * not GET /v2/orders?after=, which filters on when an order was SUBMITTED and so misses an older order that filled
   * during the gap — and, for the orders we still think open (`openClientOrderIds`), a cancellation, expiry or
   * rejection Alpaca has recorded. Fills carry the same execution ids as the stream's (alpaca-wire fillExecutionId), so
   * applying an update twice changes nothing. Fills come first, oldest first, then the terminal updates. With
   * `fillsOf`, only the fills of those orders (no lookups).
   */
  async tradeUpdatesSince(sinceIso: string, openClientOrderIds: readonly string[] = [], fillsOf?: ReadonlyMap<string, string>): Promise<TTradeUpdate[]> {
    const since = Date.parse(sinceIso);
    if (Number.isNaN(since)) throw new RangeError(`sinceIso must be an ISO timestamp (got '${sinceIso}')`);
    // `after` takes whole seconds and is exclusive: start a second early, overlap is harmless.
    const after = new Date(Math.floor(since / 1000) * 1000 - 1000).toISOString().replace('.000Z', 'Z');
    const activities = await this.rest.listActivities({ types: ['FILL'], after, direction: 'asc' });
    const clientIds = new Map<string, string | null>();
    const fills: TTradeUpdate[] = [];
    for (const a of activities) {
      if (a.activity_type !== 'FILL' || !('order_id' in a)) continue;
      if (fillsOf && !fillsOf.has(a.order_id)) continue; // not asked for: no need to learn whose it is
      if (fillsOf) clientIds.set(a.order_id, fillsOf.get(a.order_id)!);
      if (!clientIds.has(a.order_id)) clientIds.set(a.order_id, this.clientIds.get(a.order_id) ?? (await this.rest.getOrder(a.order_id))?.client_order_id ?? null);
      const clientOrderId = clientIds.get(a.order_id);
      if (!clientOrderId) {
        this.logger.warn({ brokerOrderId: a.order_id, activityId: a.id }, 'Alpaca fill activity for an order it cannot find; skipped');
        continue;
      }
      fills.push(fillActivityToTradeUpdate(a, clientOrderId));
    }
    fills.sort((x, y) => Date.parse(x.at) - Date.parse(y.at));
    const terminal: TTradeUpdate[] = [];
    for (const id of openClientOrderIds) {
      const order = await this.rest.getOrderByClientId(id);
      const u = order ? terminalUpdateOf(order) : null;
      if (u) terminal.push(u);
    }
    this.logger.info({ since: sinceIso, fills: fills.length, terminal: terminal.length }, 'Alpaca gap repair: updates found');
    return [...fills, ...terminal];
  }

  private remember(orderId: string, clientOrderId: string): void {
    if (this.clientIds.size >= 10_000) this.clientIds.delete(this.clientIds.keys().next().value!);
    this.clientIds.set(orderId, clientOrderId);
  }

  /** A confirmed end of a cancel request: the canceled/expired/rejected update, null when it filled, undefined while open. */
  private settled(o: TAlpacaOrder): TTradeUpdate | null | undefined {
    const s = toOrderStatus(o); // pending_cancel and statuses we do not know count as still open
    if (s === 'new' || s === 'partially_filled') return undefined;
    const u = terminalUpdateOf(o);
    if (u) return u.event === 'canceled' ? { ...u, reason: 'cancel all' } : u;
    return null; // filled: nothing to report here; the fill itself comes with its executions
  }
}

/** What a cancel request came to, once the order is done: filled → 'not_open'; else 'canceled'; null while it is open. */
function cancelOutcome(o: TAlpacaOrder): 'canceled' | 'not_open' | null {
  const s = toOrderStatus(o); // pending_cancel and statuses we do not know count as open
  if (s === 'filled') return 'not_open';
  return s === 'new' || s === 'partially_filled' ? null : 'canceled';
}
