// The fake Alpaca's books: cash, positions, orders, fills and activities, the market clock and assets, and how an
// order is checked, placed, executed and cancelled as Alpaca would. Order events go out through `emit` (the stream).
import { randomUUID } from 'node:crypto';
import { dec, Dec } from '@ai-trader/domain';
import { OPEN, TIFS, DECIMAL, assetId, nowIso, nonNegative, etIso, session, nextDay, hhmm, activityId, type FakeAlpacaAsset, type FakeAlpacaOptions, type FakeClock, type FakeOrder } from './fake-alpaca-model.ts';

/** Sends an order's events to the stream; `final` once it has executed or ended (the reorder fault holds until then). */
export type EmitOrderEvents = (orderId: string, events: unknown[], final: boolean) => void;

export type FakeAlpacaBooks = ReturnType<typeof createFakeAlpacaBooks>;

export function createFakeAlpacaBooks(o: FakeAlpacaOptions, emit: EmitOrderEvents) {
  const prices = new Map(Object.entries(o.prices ?? {}));
  const assets = new Map<string, FakeAlpacaAsset>();
  for (const s of prices.keys()) assets.set(s, { symbol: s });
  for (const a of o.assets ?? []) assets.set(a.symbol, a);
  const orders = new Map<string, FakeOrder>(); // by id, in creation order
  const byClientId = new Map<string, string>();
  const positions = new Map<string, { qty: Dec; avg: Dec }>();
  const activities: Array<Record<string, unknown> & { id: string; activity_type: string; at: number }> = [];
  const scripts = new Map<string, string[][]>(); // symbol → queue of piece lists
  const plans = new Map<string, string[]>(); // order id → its pieces
  let cash = dec(o.cash ?? '100000');
  let clock: FakeClock = o.clock ?? { isOpen: true };
  let suspendTrade = false;
  const config = { dtbp_check: 'entry', trade_confirm_email: 'all', suspend_trade: false, no_shorting: !o.shorting, fractional_trading: true, max_margin_multiplier: '1', pdt_check: 'entry', disable_overnight_trading: false };
  const accountId = randomUUID();
  const createdAt = nowIso();
  activities.push({ id: activityId(createdAt), activity_type: 'CSD', date: createdAt.slice(0, 10), net_amount: cash.toFixed(), status: 'executed', at: Date.now() });
  const refusals: Array<{ status: number; body: unknown }> = []; // scripted answers of the next POST /v2/orders

  // ── books ──
  const price = (symbol: string) => prices.get(symbol);
  const remaining = (x: FakeOrder) => dec(x.qty).minus(x.filled_qty);
  const reservedBuy = () => [...orders.values()].filter((x) => OPEN.has(x.status) && x.side === 'buy')
    .reduce((s, x) => s.plus(remaining(x).times(x.limit_price ?? x.stop_price ?? price(x.symbol) ?? 0)), dec(0));
  const buyingPower = () => cash.minus(reservedBuy());
  const heldQty = (symbol: string) => positions.get(symbol)?.qty ?? dec(0);
  const sellingQty = (symbol: string) => [...orders.values()].filter((x) => OPEN.has(x.status) && x.side === 'sell' && x.symbol === symbol).reduce((s, x) => s.plus(remaining(x)), dec(0));

  function account() {
    let long = dec(0), short = dec(0);
    for (const [s, p] of positions) {
      const v = p.qty.times(price(s) ?? p.avg);
      if (p.qty.gt(0)) long = long.plus(v);
      else short = short.plus(v);
    }
    const bp = nonNegative(buyingPower());
    return {
      id: accountId, account_number: 'PA0FAKE0000', status: 'ACTIVE', crypto_status: 'ACTIVE', currency: 'USD', cash: cash.toFixed(),
      buying_power: bp, regt_buying_power: bp, daytrading_buying_power: '0', non_marginable_buying_power: bp, effective_buying_power: bp,
      equity: cash.plus(long).plus(short).toFixed(), portfolio_value: cash.plus(long).plus(short).toFixed(), last_equity: o.cash ?? '100000',
      long_market_value: long.toFixed(), short_market_value: short.toFixed(), position_market_value: long.minus(short).toFixed(),
      initial_margin: '0', maintenance_margin: '0', last_maintenance_margin: '0', sma: '0', multiplier: '1', daytrade_count: 0,
      pattern_day_trader: false, shorting_enabled: !!o.shorting, trading_blocked: false, transfers_blocked: false, account_blocked: false,
      trade_suspended_by_user: suspendTrade, created_at: createdAt, accrued_fees: '0', pending_transfer_in: '0',
    };
  }

  function positionOut(symbol: string, p: { qty: Dec; avg: Dec }) {
    const cur = dec(price(symbol) ?? p.avg);
    const mv = p.qty.times(cur), cost = p.qty.times(p.avg);
    const pl = mv.minus(cost);
    const plpc = cost.isZero() ? dec(0) : pl.div(cost.abs());
    return {
      asset_id: assetId(symbol), symbol, exchange: 'NASDAQ', asset_class: 'us_equity', asset_marginable: true,
      qty: p.qty.toFixed(), qty_available: p.qty.minus(p.qty.gt(0) ? sellingQty(symbol) : 0).toFixed(), side: p.qty.gte(0) ? 'long' : 'short',
      avg_entry_price: p.avg.toFixed(), market_value: mv.toFixed(), cost_basis: cost.toFixed(), unrealized_pl: pl.toFixed(),
      unrealized_plpc: plpc.toDecimalPlaces(10).toFixed(), unrealized_intraday_pl: pl.toFixed(), unrealized_intraday_plpc: plpc.toDecimalPlaces(10).toFixed(),
      current_price: cur.toFixed(), lastday_price: cur.toFixed(), change_today: '0',
    };
  }

  const event = (x: FakeOrder, name: string, extra: Record<string, unknown> = {}) =>
    ({ stream: 'trade_updates', data: { event: name, timestamp: x.updated_at, order: { ...x }, ...extra } });

  // ── orders ──
  function execute(x: FakeOrder, qty: Dec, px: Dec): unknown {
    const at = nowIso();
    const filledBefore = dec(x.filled_qty);
    const filled = filledBefore.plus(qty);
    const avg = filledBefore.times(x.filled_avg_price ?? 0).plus(qty.times(px)).div(filled);
    x.filled_qty = filled.toFixed();
    x.filled_avg_price = avg.toDecimalPlaces(6).toFixed();
    x.status = filled.eq(x.qty) ? 'filled' : 'partially_filled';
    x.updated_at = at;
    if (x.status === 'filled') x.filled_at = at;
    const signed = x.side === 'buy' ? qty : qty.neg();
    const p = positions.get(x.symbol) ?? { qty: dec(0), avg: dec(0) };
    const next = p.qty.plus(signed);
    if (p.qty.isZero() || p.qty.isNeg() === signed.isNeg()) p.avg = p.qty.abs().times(p.avg).plus(qty.times(px)).div(next.abs()); // adding to the position
    else if (!next.isZero() && next.isNeg() !== p.qty.isNeg()) p.avg = px; // crossed through zero
    p.qty = next;
    if (p.qty.isZero()) positions.delete(x.symbol);
    else positions.set(x.symbol, p);
    cash = cash.minus(signed.times(px));
    const executionId = randomUUID();
    activities.push({
      id: activityId(at), activity_type: 'FILL', transaction_time: at, type: x.status === 'filled' ? 'fill' : 'partial_fill', price: px.toFixed(),
      qty: qty.toFixed(), side: x.side, symbol: x.symbol, leaves_qty: remaining(x).toFixed(), order_id: x.id, cum_qty: x.filled_qty, order_status: x.status, at: Date.now(),
    });
    return event(x, x.status === 'filled' ? 'fill' : 'partial_fill', { execution_id: executionId, price: px.toFixed(), qty: qty.toFixed(), position_qty: next.toFixed(), timestamp: at });
  }

  /** Executes what can execute now, in an open market with a price: market orders, marketable limits, and stops or
   *  trailing stops the price has reached (they become market orders and fill at that price). */
  function tryExecute(x: FakeOrder): void {
    if (!clock.isOpen || !OPEN.has(x.status) || x.status === 'accepted') return;
    const p = price(x.symbol);
    if (p === undefined) return;
    const px = dec(p);
    if (x.limit_price !== null && (x.side === 'buy' ? px.gt(x.limit_price) : px.lt(x.limit_price))) return;
    if (x.type === 'trailing_stop') trail(x, px);
    if (x.stop_price !== null && (x.side === 'buy' ? px.lt(x.stop_price) : px.gt(x.stop_price))) return;
    const plan = plans.get(x.id);
    plans.delete(x.id);
    const pieces = plan ? plan.map((q) => dec(q)) : [remaining(x)];
    const events: unknown[] = [];
    for (const q of pieces) {
      const q2 = (q.lt(remaining(x)) ? q : remaining(x));
      if (q2.lte(0)) break;
      events.push(execute(x, q2, px));
    }
    if (events.length) emit(x.id, events, true);
  }
  /** A trailing stop follows the best price since it was placed: hwm, and its stop_price that far under (over) it. */
  function trail(x: FakeOrder, px: Dec): void {
    const hwm = x.hwm === null ? px : x.side === 'sell' ? Dec.max(x.hwm, px) : Dec.min(x.hwm, px);
    const gap = x.trail_percent !== null ? hwm.times(x.trail_percent).div(100) : dec(x.trail_price ?? 0);
    x.hwm = hwm.toFixed();
    x.stop_price = (x.side === 'sell' ? hwm.minus(gap) : hwm.plus(gap)).toDecimalPlaces(2).toFixed();
  }
  function schedule(x: FakeOrder): void {
    const run = () => tryExecute(x);
    if ((o.fillDelayMs ?? 0) > 0) setTimeout(run, o.fillDelayMs);
    else setImmediate(run);
  }

  function refuse(status: number, code: number, message: string, extra: Record<string, unknown> = {}) {
    return { status, body: { ...extra, code, message } };
  }

  /** Checks an order request as Alpaca would; returns the refusal, or the order it created. */
  function placeOrder(body: Record<string, unknown>): { status: number; body: unknown; order?: FakeOrder } {
    const scripted = refusals.shift();
    if (scripted) return scripted;
    const { symbol, qty, side, type, time_in_force: tif, limit_price: limit, stop_price: stop, trail_percent: trailPct, trail_price: trailPx, client_order_id: cid } = body;
    if (typeof symbol !== 'string' || !symbol) return refuse(422, 40010001, 'symbol is required');
    if (typeof qty !== 'string' || !DECIMAL.test(qty) || dec(qty).lte(0)) return refuse(422, 40010001, 'qty must be > 0');
    if (side !== 'buy' && side !== 'sell') return refuse(422, 40010001, 'side must be buy or sell');
    if (type !== 'market' && type !== 'limit' && type !== 'stop' && type !== 'trailing_stop') return refuse(422, 40010001, `order type ${String(type)} is not supported here`);
    if (typeof tif !== 'string' || !TIFS.has(tif)) return refuse(422, 40010001, 'invalid time_in_force');
    const positive = (v: unknown) => typeof v === 'string' && DECIMAL.test(v) && dec(v).gt(0);
    if (type === 'limit' && !positive(limit)) return refuse(422, 40010001, 'limit_price is required for limit orders');
    if (type === 'stop' && !positive(stop)) return refuse(422, 40010001, 'stop_price is required for stop orders');
    if (type === 'trailing_stop' && (trailPct === undefined) === (trailPx === undefined)) return refuse(422, 40010001, 'trailing_stop orders take one of trail_percent and trail_price');
    if (type === 'trailing_stop' && !positive(trailPct ?? trailPx)) return refuse(422, 40010001, `${trailPct !== undefined ? 'trail_percent' : 'trail_price'} must be > 0`);
    if (type === 'trailing_stop' && trailPct !== undefined && dec(trailPct as string).gte(100)) return refuse(422, 40010001, 'trail_percent must be < 100');
    if ((type === 'stop' || type === 'trailing_stop') && tif !== 'day' && tif !== 'gtc') return refuse(422, 40010001, `time_in_force ${tif} is not allowed for ${type} orders (day or gtc)`);
    // Spec: qty "can be fractionable for only market and day order types".
    if (!dec(qty).isInteger() && (type !== 'market' || tif !== 'day')) return refuse(422, 40010001, 'fractional orders must be market orders with time_in_force day');
    if (cid !== undefined && (typeof cid !== 'string' || cid.length === 0 || cid.length > 128)) return refuse(422, 40010001, 'client_order_id must be 1–128 characters');
    if (typeof cid === 'string' && byClientId.has(cid)) return refuse(422, 40010001, 'client_order_id must be unique');
    if (suspendTrade) return refuse(403, 40310000, 'new orders are rejected: trading is suspended by the account owner (suspend_trade)');
    const asset = assets.get(symbol);
    if (!asset) return refuse(422, 40010001, `asset "${symbol}" not found`);
    if (asset.tradable === false || asset.status === 'inactive') return refuse(422, 42210000, `asset "${symbol}" is not tradable`);
    if (!clock.isOpen && o.closedMarket === 'reject') return refuse(422, 42210000, 'market is closed');
    const q = dec(qty);
    const last = price(symbol);
    // Seen from Alpaca for a stop-loss below the market (alpacahq/Alpaca-API#166): a sell stop must be under the price.
    if (type === 'stop' && side === 'sell' && last !== undefined && dec(stop as string).gt(dec(last).minus('0.01')))
      return refuse(422, 42210000, `stop price must be less than base_price - 0.01 (stop_price ${String(stop)}, base_price ${last})`);
    const px = type === 'limit' ? dec(limit as string) : type === 'stop' ? dec(stop as string) : dec(last ?? 0);
    if (side === 'buy' && q.times(px).gt(buyingPower()))
      return refuse(403, 40310000, 'insufficient buying power', { buying_power: nonNegative(buyingPower()), cost_basis: q.times(px).toFixed() });
    if (side === 'sell' && !o.shorting) {
      const available = heldQty(symbol).minus(sellingQty(symbol));
      if (q.gt(available)) return refuse(403, 40310000, `insufficient qty available for order (requested: ${q.toFixed()}, available: ${nonNegative(available)})`, { symbol });
    }
    if (o.positionLimitQty !== undefined && heldQty(symbol).plus(side === 'buy' ? q : q.neg()).abs().gt(o.positionLimitQty))
      return refuse(403, 40310000, `position limit exceeded: |position| may not exceed ${o.positionLimitQty} shares`);
    const at = nowIso();
    const x: FakeOrder = {
      id: randomUUID(), client_order_id: typeof cid === 'string' ? cid : randomUUID(), created_at: at, updated_at: at, submitted_at: at, filled_at: null,
      expired_at: null, canceled_at: null, failed_at: null, replaced_at: null, replaced_by: null, replaces: null, asset_id: assetId(symbol), symbol,
      asset_class: 'us_equity', notional: null, qty: q.toFixed(), filled_qty: '0', filled_avg_price: null, order_class: 'simple', order_type: type,
      type, side, time_in_force: tif, limit_price: type === 'limit' ? dec(limit as string).toFixed() : null, stop_price: type === 'stop' ? dec(stop as string).toFixed() : null,
      // Outside the session Alpaca keeps a day order as "accepted" (received, not yet routed) until the open.
      status: clock.isOpen ? 'new' : 'accepted', extended_hours: body.extended_hours === true, legs: null,
      trail_percent: type === 'trailing_stop' && trailPct !== undefined ? dec(trailPct as string).toFixed() : null,
      trail_price: type === 'trailing_stop' && trailPx !== undefined ? dec(trailPx as string).toFixed() : null, hwm: null,
    };
    if (type === 'trailing_stop' && last !== undefined) trail(x, dec(last));
    orders.set(x.id, x);
    byClientId.set(x.client_order_id, x.id);
    const script = scripts.get(symbol)?.shift();
    if (script) plans.set(x.id, script);
    emit(x.id, [event(x, x.status)], false);
    schedule(x);
    return { status: 200, body: x, order: x };
  }

  function cancel(x: FakeOrder): unknown {
    const at = nowIso();
    x.status = 'canceled';
    x.canceled_at = at;
    x.updated_at = at;
    return event(x, 'canceled', { timestamp: at });
  }

  function listOrders(url: URL): FakeOrder[] {
    const status = url.searchParams.get('status') ?? 'open';
    const limit = Math.min(500, Number(url.searchParams.get('limit') ?? 50) || 50);
    const dir = url.searchParams.get('direction') ?? 'desc';
    const after = url.searchParams.get('after'), until = url.searchParams.get('until');
    const symbols = url.searchParams.get('symbols')?.split(',');
    let list = [...orders.values()].filter((x) => status === 'all' || (status === 'open') === OPEN.has(x.status));
    if (after) list = list.filter((x) => Date.parse(x.submitted_at) > Date.parse(after));
    if (until) list = list.filter((x) => Date.parse(x.submitted_at) < Date.parse(until));
    if (symbols) list = list.filter((x) => symbols.includes(x.symbol));
    const afterId = url.searchParams.get('after_order_id');
    if (afterId) {
      const i = [...orders.keys()].indexOf(afterId);
      list = list.filter((x) => [...orders.keys()].indexOf(x.id) > i);
    }
    if (dir === 'desc') list.reverse();
    return list.slice(0, limit);
  }

  function listActivities(url: URL, pathType: string | undefined): unknown[] {
    const types = pathType ? [pathType] : url.searchParams.get('activity_types')?.split(',');
    const after = url.searchParams.get('after'), until = url.searchParams.get('until');
    const dir = url.searchParams.get('direction') ?? 'desc';
    const size = Math.min(100, Number(url.searchParams.get('page_size') ?? 100) || 100);
    const time = (a: (typeof activities)[number]) => Date.parse(String(a.transaction_time ?? a.date));
    let list = activities.filter((a) => !types || types.includes(a.activity_type));
    if (after) list = list.filter((a) => time(a) > Date.parse(after));
    if (until) list = list.filter((a) => time(a) < Date.parse(until));
    if (dir === 'desc') list = [...list].reverse();
    const token = url.searchParams.get('page_token');
    if (token) list = list.slice(list.findIndex((a) => a.id === token) + 1);
    return list.slice(0, size).map(({ at: _at, ...a }) => a);
  }

  function calendar(url: URL): unknown[] {
    const start = (url.searchParams.get('start') ?? nowIso()).slice(0, 10);
    const end = (url.searchParams.get('end') ?? new Date(Date.now() + 30 * 86_400_000).toISOString()).slice(0, 10);
    const days: unknown[] = [];
    for (let d = start, n = 0; d <= end && n < 3700; d = nextDay(d), n++) {
      const s = session(d);
      if (!s) continue;
      let settle = nextDay(d);
      while (!session(settle)) settle = nextDay(settle);
      days.push({ date: d, open: hhmm(s.open), close: hhmm(s.close), session_open: '0400', session_close: '2000', settlement_date: settle });
    }
    return days;
  }

  function clockOut() {
    const now = Date.now();
    const nextOpen = clock.nextOpen ?? new Date(now + (clock.isOpen ? 20 : 1) * 3_600_000).toISOString();
    const nextClose = clock.nextClose ?? new Date(now + (clock.isOpen ? 2 : 8) * 3_600_000).toISOString();
    return { timestamp: etIso(now), is_open: clock.isOpen, next_open: etIso(Date.parse(nextOpen)), next_close: etIso(Date.parse(nextClose)) };
  }

  function assetOut(a: FakeAlpacaAsset) {
    return {
      id: assetId(a.symbol), class: 'us_equity', exchange: 'NASDAQ', symbol: a.symbol, name: `${a.symbol} Fake Corp. Common Stock`,
      status: a.status ?? 'active', tradable: a.tradable ?? true, marginable: true, maintenance_margin_requirement: 30, margin_requirement_long: '30',
      margin_requirement_short: '100', shortable: a.shortable ?? true, easy_to_borrow: a.shortable ?? true, fractionable: a.fractionable ?? true, attributes: [],
    };
  }

  function closeAll(url: URL): unknown[] {
    const events: Array<[string, unknown]> = [];
    if (url.searchParams.get('cancel_orders') === 'true') for (const x of orders.values()) if (OPEN.has(x.status)) events.push([x.id, cancel(x)]);
    for (const [id, e] of events) emit(id, [e], true);
    const out: unknown[] = [];
    for (const [symbol, p] of [...positions]) {
      const r = placeOrder({ symbol, qty: p.qty.abs().toFixed(), side: p.qty.gt(0) ? 'sell' : 'buy', type: 'market', time_in_force: 'day' });
      out.push(r.order ? { symbol, status: 200, body: r.order } : { symbol, status: r.status, body: r.body });
    }
    return out;
  }

  function positionsOut(): unknown[] {
    return [...positions].map(([s, pos]) => positionOut(s, pos));
  }

  /** Cancels every open order (DELETE /v2/orders); per order, its id and the answer Alpaca gives for it. */
  function cancelAllOpen(): unknown[] {
    const out: unknown[] = [];
    for (const x of orders.values())
      if (OPEN.has(x.status)) {
        emit(x.id, [cancel(x)], true);
        out.push({ id: x.id, status: 200, body: { ...x } });
      }
    return out;
  }

  function cancelOne(x: FakeOrder): void {
    emit(x.id, [cancel(x)], true);
  }

  return {
    account, positionsOut, placeOrder, cancelAllOpen, cancelOne, listOrders, listActivities, calendar, clockOut, closeAll,
    asset(symbol: string) {
      const a = assets.get(symbol);
      return a ? assetOut(a) : undefined;
    },
    order: (id: string) => orders.get(id),
    orderByClientId(clientOrderId: string) {
      const id = byClientId.get(clientOrderId);
      return id === undefined ? undefined : orders.get(id);
    },
    configurations: () => ({ ...config, suspend_trade: suspendTrade }),
    setSuspendTrade(v: boolean) {
      suspendTrade = v;
    },
    refuseNextOrder(status: number, body: unknown) {
      refusals.push({ status, body });
    },
    orders: () => [...orders.values()].map((x) => ({ ...x })),
    positions: () => [...positions].map(([symbol, p]) => ({ symbol, qty: p.qty.toFixed(), avgEntryPrice: p.avg.toFixed() })),
    cash: () => cash.toFixed(),
    setPrice(symbol: string, px: string) {
      prices.set(symbol, px);
      if (!assets.has(symbol)) assets.set(symbol, { symbol });
      for (const x of orders.values()) if (x.symbol === symbol) tryExecute(x);
    },
    setClock(c: FakeClock) {
      const opening = c.isOpen && !clock.isOpen;
      clock = c;
      if (!opening) return;
      for (const x of orders.values())
        if (x.status === 'accepted') {
          x.status = 'new';
          x.updated_at = nowIso();
          emit(x.id, [event(x, 'new')], false);
          tryExecute(x);
        }
    },
    setAsset(a: FakeAlpacaAsset) {
      assets.set(a.symbol, a);
    },
    scriptFills(symbol: string, pieces: string[]) {
      if (pieces.some((q) => !DECIMAL.test(q) || dec(q).lte(0))) throw new RangeError(`fill pieces must be positive decimals (got ${pieces.join(', ')})`);
      scripts.set(symbol, [...(scripts.get(symbol) ?? []), pieces]);
    },
  };
}
