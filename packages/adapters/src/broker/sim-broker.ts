// The simulated broker: keeps its own books in Postgres (sim_orders, sim_executions, sim_positions, sim_account) as a
// real broker would. Market orders are accepted idempotently by client_order_id or refused for Alpaca's causes, and
// fill at the open of the bars it is shown afterwards, with slippage, at most a share of each bar's volume.
import { setTimeout as sleep } from 'node:timers/promises';
import type { TBar, TBrokerCause, TTradeUpdate } from '@ai-trader/contracts';
import type { BrokerOpenOrder, BrokerPort, Clock, CloseAllOutcome, SubmitOrderAck, SubmitOrderRequest } from '@ai-trader/core';
import { Prisma, type Db } from '@ai-trader/db';
import { applyFill, Dec, dec, decStr, inRegularSession, TIMEFRAME_MINUTES, ZERO } from '@ai-trader/domain';
import { closeAllOnBooks } from './sim-close-all.ts';
import {
  fillPrice, marketClockAt, refusals, seededDraw, seededStream, SimBrokerError, volumeCap, type MarketClock, type Refusal, type SimBrokerOptions,
} from './sim-model.ts';

export { simBrokerOptions, SimBrokerError, type SimBrokerOptions } from './sim-model.ts';

interface OrderRow {
  id: string;
  status: string;
  cause: TBrokerCause | null;
  reason: string | null;
}

interface SubmitFacts {
  existing: OrderRow | null;
  cash: string;
  suspended: boolean;
  marketTs: Date | null;
  held: string | null;
  selling: string;
  buying: string;
  reserved: string;
  px: string | null;
}

interface ExecutionRow {
  id: string;
  simOrderId: string;
  clientOrderId: string;
  qty: string;
  price: string;
  at: Date;
  barTs: Date;
  complete: boolean; // the order's fills up to this one make its whole quantity
}

const ackOf = (o: OrderRow): SubmitOrderAck =>
  o.status === 'rejected'
    ? { brokerOrderId: o.id, status: 'rejected', cause: o.cause ?? 'rejected', reason: o.reason ?? 'rejected: refused by the simulated broker' }
    : { brokerOrderId: o.id, status: 'accepted' };

export class SimBroker implements BrokerPort {
  readonly name = 'sim';
  /** Only with a live market time ('clock'): risk then asks the sim's clock. Driven by bars, the sim's time is the bar
   *  time risk already judges each signal by (more exactly than the sim, which learns a bar when it matches it). */
  readonly marketClock?: () => Promise<MarketClock>;
  /** Driven by bars: the newest bar's start (BrokerPort.marketTime). */
  readonly marketTime?: () => Promise<Date | null>;
  private readonly known = new Set<string>(); // symbols with stored bars: they stay tradable
  private readonly failDraw: () => number;

  constructor(private readonly prisma: Db, private readonly clock: Clock, private readonly o: SimBrokerOptions) {
    this.failDraw = seededStream(`${o.faultSeed}:fail`);
    if (o.marketTime === 'clock') this.marketClock = async () => marketClockAt(this.clock.now());
    else this.marketTime = async () => (await this.prisma.simAccount.findUnique({ where: { id: 1 }, select: { marketTs: true } }))?.marketTs ?? null;
  }

  async init(): Promise<void> {
    await this.prisma.simAccount.upsert({ where: { id: 1 }, create: { id: 1, cash: this.o.startingCash }, update: {} });
  }

  /**
   * Accepted, or rejected with a cause and Alpaca's words: not_tradable (no stored bars of the symbol), market_closed
   * (the sim's market time outside the NYSE session), insufficient_buying_power (cash less the open BUYs' reservations
   * against qty × last price incl. slippage), rejected (a sell beyond what is held and not already being sold: the
   * account does not short), position_limit (SIM_MAX_POSITION_QTY). Two queries: the facts, then one INSERT … ON
   * CONFLICT; a repeat returns the order booked first. SIM_FAIL_RATE throws SimBrokerError('broker_down').
   */
  async submitOrder(req: SubmitOrderRequest): Promise<SubmitOrderAck> {
    await this.delay();
    const draw = this.o.failRate > 0 ? this.failDraw() : 1;
    if (draw < this.o.failRate / 2)
      throw new SimBrokerError('broker_down', `simulated broker unavailable: order ${req.clientOrderId} was not received (fault injection, SIM_FAIL_RATE=${this.o.failRate})`);
    const ack = await this.place(req);
    if (draw < this.o.failRate)
      throw new SimBrokerError('broker_down', `simulated broker unavailable: order ${req.clientOrderId} was booked but the answer was lost (fault injection, SIM_FAIL_RATE=${this.o.failRate})`);
    return ack;
  }

  private async place(req: SubmitOrderRequest): Promise<SubmitOrderAck> {
    const now = this.clock.now();
    const bars = this.o.marketTime === 'bars';
    // Prices up to the sim's now; driven by (5-minute) bars, the bar after the newest one matched may be stored already.
    const rows = await this.prisma.$queryRaw<SubmitFacts[]>`
      WITH a AS (
        SELECT cash, "marketTs", "suspendTrade" AS suspended,
               CASE WHEN ${bars}::boolean AND "marketTs" IS NOT NULL THEN "marketTs" + interval '5 minutes' ELSE ${now}::timestamptz END AS bound
          FROM sim_account WHERE id = 1)
      SELECT a.cash::text AS cash, a."marketTs", a.suspended,
             (SELECT json_build_object('id', o.id, 'status', o.status, 'cause', o."rejectCause", 'reason', o."rejectReason")
                FROM sim_orders o WHERE o."clientOrderId" = ${req.clientOrderId}) AS existing,
             (SELECT qty::text FROM sim_positions WHERE symbol = ${req.symbol}) AS held,
             (SELECT coalesce(sum(qty - "filledQty"), 0)::text FROM sim_orders
               WHERE symbol = ${req.symbol} AND side = 'SELL' AND status IN ('new', 'partially_filled')) AS selling,
             (SELECT coalesce(sum(qty - "filledQty"), 0)::text FROM sim_orders
               WHERE symbol = ${req.symbol} AND side = 'BUY' AND status IN ('new', 'partially_filled')) AS buying,
             (SELECT coalesce(sum((qty - "filledQty") * coalesce("refPrice", 0)), 0)::text FROM sim_orders
               WHERE side = 'BUY' AND status IN ('new', 'partially_filled')) AS reserved,
             (SELECT p.close::text FROM (
                (SELECT ts, close FROM market_data_5m WHERE symbol = ${req.symbol} AND ts <= a.bound ORDER BY ts DESC LIMIT 1)
                UNION ALL
                (SELECT ts, close FROM market_data_1m WHERE symbol = ${req.symbol} AND ts <= a.bound ORDER BY ts DESC LIMIT 1)
              ) p ORDER BY p.ts DESC LIMIT 1) AS px
        FROM a`;
    const f = rows[0];
    if (!f) throw new Error('sim_account row is missing: SimBroker.init() creates it (bootstrapBooks at start-up)');
    if (f.existing) return ackOf(f.existing);

    const refusal = this.judge(req, f, now);
    const qty = /^\d+(\.\d+)?$/.test(req.qty) ? req.qty : '0';
    const refPrice = f.px ? decStr(fillPrice(dec(f.px), req.side, this.o.slippageBps)) : null;
    const reason = refusal ? `${refusal.cause}: ${refusal.message}` : null;
    const inserted = await this.prisma.$queryRaw<{ id: string }[]>`
      INSERT INTO sim_orders (id, "clientOrderId", symbol, side, type, qty, status, "refPrice", "rejectCause", "rejectReason", "notBefore", "updatedAt")
      VALUES (gen_random_uuid(), ${req.clientOrderId}, ${req.symbol}, ${req.side}::"OrderSide", ${req.type}, ${qty}::numeric,
              ${refusal ? 'rejected' : 'new'}::"OrderStatus", ${refPrice}::numeric, ${refusal?.cause ?? null}, ${reason},
              ${bars && req.marketTs ? new Date(req.marketTs) : null}::timestamptz, now())
      ON CONFLICT ("clientOrderId") DO NOTHING
      RETURNING id`;
    if (inserted[0]) return ackOf({ id: inserted[0].id, status: refusal ? 'rejected' : 'new', cause: refusal?.cause ?? null, reason });
    // Booked by a concurrent call with the same client_order_id: that one is the answer.
    const first = await this.prisma.simOrder.findUniqueOrThrow({ where: { clientOrderId: req.clientOrderId } });
    return ackOf({ id: first.id, status: first.status, cause: first.rejectCause as TBrokerCause | null, reason: first.rejectReason });
  }

  /** Alpaca's checks in Alpaca's order; null when the order is accepted. */
  private judge(req: SubmitOrderRequest, f: SubmitFacts, now: Date): Refusal | null {
    if (f.suspended) return refusals.suspended();
    if (this.o.rejectRate > 0 && seededDraw(this.o.faultSeed, req.clientOrderId) < this.o.rejectRate) return refusals.injected(this.o.rejectRate);
    const qty = /^\d+(\.\d+)?$/.test(req.qty) ? dec(req.qty) : ZERO;
    if (qty.lte(0)) return refusals.badQty(req.qty);
    if (f.px === null) return refusals.unknownAsset(req.symbol);
    // Driven by bars: the order's own market time, else the newest bar shown (none yet: no hours to judge by).
    const at = this.o.marketTime === 'clock' ? now : req.marketTs ? new Date(req.marketTs) : f.marketTs;
    if (at) {
      const c = marketClockAt(at);
      if (!c.isOpen) return refusals.marketClosed(at, c.nextOpen);
    }
    const held = dec(f.held ?? 0);
    if (req.side === 'BUY') {
      const cost = qty.times(fillPrice(dec(f.px), 'BUY', this.o.slippageBps));
      const buyingPower = dec(f.cash).minus(f.reserved);
      if (cost.gt(buyingPower)) return refusals.buyingPower(buyingPower, cost);
      if (this.o.maxPositionQty !== null && held.plus(f.buying).plus(qty).gt(this.o.maxPositionQty)) return refusals.positionLimit(this.o.maxPositionQty);
    } else {
      const available = held.minus(f.selling);
      if (qty.gt(available)) return refusals.shortSale(qty, available);
    }
    return null;
  }

  async cancelAllOrders(): Promise<TTradeUpdate[]> {
    await this.delay();
    const at = this.clock.now();
    const canceled = await this.prisma.$queryRaw<{ id: string; clientOrderId: string }[]>`
      UPDATE sim_orders SET status = 'canceled', "updatedAt" = ${at}
      WHERE status IN ('new', 'partially_filled') RETURNING id, "clientOrderId"`;
    return canceled.map((o) => ({ event: 'canceled', clientOrderId: o.clientOrderId, brokerOrderId: o.id, at: at.toISOString(), reason: 'cancel all' }));
  }

  /** BrokerPort: cancels one open order. 'not_open' when it has filled; an order already ended, or never booked, counts
   *  as canceled (it will not trade). A bar being matched holds the order's row lock: the cancel waits and sees the result. */
  async cancelOrder(clientOrderId: string): Promise<'canceled' | 'not_open'> {
    await this.delay();
    const canceled = await this.prisma.$queryRaw<{ id: string }[]>`
      UPDATE sim_orders SET status = 'canceled', "updatedAt" = ${this.clock.now()}
      WHERE "clientOrderId" = ${clientOrderId} AND status IN ('new', 'partially_filled') RETURNING id`;
    if (canceled[0]) return 'canceled';
    const o = await this.prisma.simOrder.findUnique({ where: { clientOrderId }, select: { status: true } });
    return o?.status === 'filled' ? 'not_open' : 'canceled';
  }

  async listOpenOrders(): Promise<BrokerOpenOrder[]> {
    await this.delay();
    const rows = await this.prisma.simOrder.findMany({ where: { status: { in: ['new', 'partially_filled'] } }, orderBy: { createdAt: 'asc' } });
    return rows.map((o) => ({ clientOrderId: o.clientOrderId, brokerOrderId: o.id, symbol: o.symbol, side: o.side, qty: o.qty.toFixed(), filledQty: o.filledQty.toFixed(), status: o.status }));
  }

  /**
   * BrokerPort (emergency liquidation), as Alpaca's DELETE /v2/positions?cancel_orders=true: every open order cancelled,
   * then one closing market order per position (a client order id of the broker's own, as Alpaca gives). In an open
   * market (the sim's market time in the NYSE session) it fills at once, whole, at the last price ± slippage — the
   * volume cap is for the strategy's orders, an emergency close does not wait for later bars; in a closed market it
   * stays open and fills at the next session's bars like any order. While trading is suspended every close is refused.
   * One transaction, a few set-based statements whatever the number of positions.
   */
  async closeAllPositions(): Promise<CloseAllOutcome> {
    await this.delay();
    const now = this.clock.now();
    const bars = this.o.marketTime === 'bars';
    const done = await closeAllOnBooks(this.prisma, { now, bars, slippageBps: this.o.slippageBps });
    const fills = done.filledIds.length ? await this.executionUpdates(Prisma.sql`x."simOrderId" = ANY(${done.filledIds}::uuid[])`) : [];
    return {
      closing: done.closing, fills,
      canceled: done.canceled.map((o) => ({ event: 'canceled', clientOrderId: o.clientOrderId, brokerOrderId: o.id, at: now.toISOString(), reason: 'cancel all (close all positions)' })),
    };
  }

  /** BrokerPort: the account's suspend_trade switch, kept with the sim's books; while on, every new order is refused. */
  async suspendTrading(suspend: boolean): Promise<boolean> {
    await this.delay();
    const [r] = await this.prisma.$queryRaw<{ suspended: boolean }[]>`
      UPDATE sim_account SET "suspendTrade" = ${suspend}, "updatedAt" = ${this.clock.now()} WHERE id = 1 RETURNING "suspendTrade" AS suspended`;
    if (!r) throw new Error('sim_account row is missing: SimBroker.init() creates it (bootstrapBooks at start-up)');
    return r.suspended;
  }

  async isTradingSuspended(): Promise<boolean> {
    await this.delay();
    return (await this.prisma.simAccount.findUnique({ where: { id: 1 }, select: { suspendTrade: true } }))?.suspendTrade ?? false;
  }

  /** BrokerPort: a symbol the sim has bars of (5m or 1m) is tradable; known ones are remembered. */
  async isTradable(symbol: string): Promise<boolean> {
    if (this.known.has(symbol)) return true;
    const [row] = await this.prisma.$queryRaw<{ ok: boolean }[]>`
      SELECT EXISTS (SELECT 1 FROM market_data_5m WHERE symbol = ${symbol}) OR EXISTS (SELECT 1 FROM market_data_1m WHERE symbol = ${symbol}) AS ok`;
    if (row?.ok) this.known.add(symbol);
    return !!row?.ok;
  }

  /** BrokerPort: what the sim holds (reconciliation compares it with our positions). */
  async positions(): Promise<{ symbol: string; qty: string; avgEntryPrice: string }[]> {
    await this.delay();
    const rows = await this.prisma.simPosition.findMany({ where: { qty: { not: 0 } }, orderBy: { symbol: 'asc' } });
    return rows.map((p) => ({ symbol: p.symbol, qty: p.qty.toFixed(), avgEntryPrice: p.avgCost.toFixed() }));
  }

  /** The account as the sim sees it: cash, buying power (cash less the open BUYs' reservations) and its market time. */
  async account(): Promise<{ cash: string; buyingPower: string; marketTime: string | null; clock: MarketClock | null }> {
    const [a] = await this.prisma.$queryRaw<{ cash: string; reserved: string; marketTs: Date | null }[]>`
      SELECT cash::text AS cash, "marketTs",
             (SELECT coalesce(sum((qty - "filledQty") * coalesce("refPrice", 0)), 0)::text FROM sim_orders
               WHERE side = 'BUY' AND status IN ('new', 'partially_filled')) AS reserved
        FROM sim_account WHERE id = 1`;
    if (!a) throw new Error('sim_account row is missing: SimBroker.init() creates it (bootstrapBooks at start-up)');
    const at = this.o.marketTime === 'clock' ? this.clock.now() : a.marketTs;
    return { cash: dec(a.cash).toFixed(), buyingPower: dec(a.cash).minus(a.reserved).toFixed(), marketTime: at?.toISOString() ?? null, clock: at ? marketClockAt(at) : null };
  }

  /**
   * Matches the symbol's open orders, oldest first, against the bar: each fills at the bar's open ± slippage, together
   * at most SIM_MAX_VOLUME_PCT of the bar's volume (the rest stays open, partially_filled); a SELL never beyond what
   * is held. Bars outside the regular session fill nothing (market orders wait for the open). Idempotent per bar: an
   * order filled at this bar is not filled again, and a re-run re-reports the bar's executions.
   */
  async onMarketBar(bar: TBar): Promise<TTradeUpdate[]> {
    const barTs = new Date(bar.ts);
    const at = this.clock.now();
    const inSession = inRegularSession(barTs, TIMEFRAME_MINUTES[bar.timeframe]);
    await this.prisma.$transaction(async (tx) => {
      await tx.$executeRaw`UPDATE sim_account SET "marketTs" = ${barTs}, "updatedAt" = ${at} WHERE id = 1 AND ("marketTs" IS NULL OR "marketTs" < ${barTs})`;
      if (!inSession) return;
      const open = await tx.$queryRaw<{ id: string; side: 'BUY' | 'SELL'; qty: string; filledQty: string; done: boolean }[]>`
        SELECT o.id, o.side::text AS side, o.qty::text AS qty, o."filledQty"::text AS "filledQty",
               EXISTS (SELECT 1 FROM sim_executions x WHERE x."simOrderId" = o.id AND x."barTs" = ${barTs}) AS done
          FROM sim_orders o WHERE o.symbol = ${bar.symbol} AND o.status IN ('new', 'partially_filled')
           AND (o."notBefore" IS NULL OR o."notBefore" < ${barTs}) -- never on the bar it was decided on (or before)
         ORDER BY o."createdAt", o.id FOR UPDATE OF o`;
      if (!open.some((o) => !o.done)) return;
      // After the locks: executions and the position of the symbol change only under them.
      const [s] = await tx.$queryRaw<{ used: string; held: string | null; avgCost: string | null }[]>`
        SELECT (SELECT coalesce(sum(x.qty), 0)::text FROM sim_executions x JOIN sim_orders o ON o.id = x."simOrderId"
                 WHERE x."barTs" = ${barTs} AND o.symbol = ${bar.symbol}) AS used,
               (SELECT qty::text FROM sim_positions WHERE symbol = ${bar.symbol}) AS held,
               (SELECT "avgCost"::text FROM sim_positions WHERE symbol = ${bar.symbol}) AS "avgCost"`;
      let budget = volumeCap(bar.volume, this.o.maxVolumePct).minus(s!.used);
      let pos = { qty: dec(s!.held ?? 0), avgCost: dec(s!.avgCost ?? 0), realizedPnl: ZERO };
      for (const o of open) {
        if (budget.lte(0)) break;
        if (o.done) continue;
        let qty = Dec.min(dec(o.qty).minus(o.filledQty), budget);
        if (o.side === 'SELL') qty = Dec.min(qty, pos.qty); // the account does not short
        if (qty.lte(0)) continue;
        const price = fillPrice(dec(bar.open), o.side, this.o.slippageBps);
        const eff = applyFill(pos, { side: o.side, qty, price });
        pos = eff.position;
        const filled = dec(o.filledQty).plus(qty);
        const status = filled.gte(o.qty) ? 'filled' : 'partially_filled';
        await tx.$queryRaw`
          WITH x AS (
            INSERT INTO sim_executions (id, "simOrderId", qty, price, "barTs", at)
            VALUES (gen_random_uuid(), ${o.id}::uuid, ${decStr(qty)}::numeric, ${decStr(price)}::numeric, ${barTs}, ${at}) RETURNING id),
          o AS (UPDATE sim_orders SET "filledQty" = ${decStr(filled)}::numeric, status = ${status}::"OrderStatus", "updatedAt" = ${at} WHERE id = ${o.id}::uuid),
          a AS (UPDATE sim_account SET cash = cash + ${decStr(eff.cashDelta)}::numeric, "updatedAt" = ${at} WHERE id = 1),
          p AS (
            INSERT INTO sim_positions (symbol, qty, "avgCost", "updatedAt")
            VALUES (${bar.symbol}, ${decStr(pos.qty)}::numeric, ${decStr(pos.qty.isZero() ? ZERO : pos.avgCost)}::numeric, ${at})
            ON CONFLICT (symbol) DO UPDATE SET qty = EXCLUDED.qty, "avgCost" = EXCLUDED."avgCost", "updatedAt" = EXCLUDED."updatedAt")
          SELECT id FROM x`;
        budget = budget.minus(qty);
      }
    });
    return this.executionUpdates(Prisma.sql`x."barTs" = ${barTs} AND o.symbol = ${bar.symbol}`);
  }

  /** BrokerPort (reconciliation): every execution since `sinceIso`, then the cancellations and refusals of the given orders. */
  async tradeUpdatesSince(sinceIso: string, clientOrderIds: readonly string[] = [], fillsOf?: ReadonlyMap<string, string>): Promise<TTradeUpdate[]> {
    const since = new Date(sinceIso);
    if (Number.isNaN(since.getTime())) throw new RangeError(`sinceIso must be an ISO timestamp (got '${sinceIso}')`);
    const fills = await this.executionUpdates(fillsOf ? Prisma.sql`x.at >= ${since} AND o."clientOrderId" = ANY(${[...fillsOf.values()]}::text[])` : Prisma.sql`x.at >= ${since}`);
    const ended = clientOrderIds.length
      ? await this.prisma.simOrder.findMany({ where: { clientOrderId: { in: [...clientOrderIds] }, status: { in: ['canceled', 'rejected'] } }, orderBy: { updatedAt: 'asc' } })
      : [];
    return [
      ...fills,
      ...ended.map((o): TTradeUpdate => ({
        event: o.status === 'canceled' ? 'canceled' : 'rejected', clientOrderId: o.clientOrderId, brokerOrderId: o.id, at: o.updatedAt.toISOString(),
        reason: o.status === 'canceled' ? 'canceled at the simulated broker' : (o.rejectReason ?? 'rejected'),
      })),
    ];
  }

  /** Executions matching `where` (over x = sim_executions, o = sim_orders) as trade updates, oldest first. */
  private async executionUpdates(where: Prisma.Sql): Promise<TTradeUpdate[]> {
    const rows = await this.prisma.$queryRaw<ExecutionRow[]>`
      SELECT id, "simOrderId", "clientOrderId", qty, price, at, "barTs", complete FROM (
        SELECT x.id, x."simOrderId", o."clientOrderId", x.qty::text AS qty, x.price::text AS price, x.at, x."barTs", o."createdAt", ${where} AS wanted,
               sum(x.qty) OVER (PARTITION BY x."simOrderId" ORDER BY x."barTs", x.at, x.id) >= o.qty AS complete
          FROM sim_executions x JOIN sim_orders o ON o.id = x."simOrderId"
         WHERE x."simOrderId" IN (SELECT x."simOrderId" FROM sim_executions x JOIN sim_orders o ON o.id = x."simOrderId" WHERE ${where})
      ) e WHERE wanted ORDER BY at, "barTs", "createdAt", "simOrderId"`; // within a bar: the matching order (oldest first)
    return rows.map((e) => ({
      event: e.complete ? 'fill' : 'partial_fill', clientOrderId: e.clientOrderId, brokerOrderId: e.simOrderId, executionId: e.id,
      // Driven by bars (replay, synthetic), an execution happens at its bar's market time, not when the replay ran.
      qty: dec(e.qty).toFixed(), price: dec(e.price).toFixed(), at: (this.o.marketTime === 'clock' ? e.at : e.barTs).toISOString(),
    }));
  }

  /** SIM_LATENCY_MS: the time a call to a broker takes; none at all (no timer) at 0. */
  private async delay(): Promise<void> {
    const { min, max } = this.o.latencyMs;
    if (max <= 0) return;
    await sleep(min + Math.random() * (max - min));
  }
}
