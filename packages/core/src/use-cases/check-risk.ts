// The risk decision for one signal: APPROVED with an OrderIntent (same transaction, the outbox), or
// DENIED with a reason code. Idempotent: a signal is decided once; a retry re-sends an approved intent.
// `whatIfOrder` asks the same question for an order someone is considering, without writing anything.
import type { TDenyReason, TExits, TJobPayload, TOrderSide, TTimeframe, TTradingState } from '@ai-trader/contracts';
import { checkPreTrade, dec, decStr, exitLevels, inRegularSession, TIMEFRAME_MINUTES, ZERO, type PreTradeDecision, type PreTradeInput } from '@ai-trader/domain';
import { withTransaction, type PgClient } from '@ai-trader/db';
import { UnrecoverableError } from 'bullmq';
import type Decimal from 'decimal.js';
import { latestCloses } from '../infra/latest-bars.ts';
import type { Deps } from '../ports.ts';
import { isSymbolStale } from './freshness.ts';
import { clientOrderIdFor } from './submit-intent.ts';

/** Orders still working, one row each: approved intents not yet sent, and sent orders with an unfilled
 *  remainder. Two indexed halves (intents by status, orders by status) instead of one OR over a join.
 *  The Risk page (risk-view.ts) counts usage from the same rows. */
export const WORKING_ORDERS = `
  SELECT i.id, i.symbol, i.side::text AS side, i.qty AS rem, i."refPrice" AS px, i."riskDecisionId", i."exitReason"
    FROM order_intents i
   WHERE i.status = 'PENDING' AND NOT EXISTS (SELECT 1 FROM orders o WHERE o."intentId" = i.id)
  UNION ALL
  SELECT i.id, i.symbol, i.side::text, o.qty - o."filledQty", i."refPrice", i."riskDecisionId", i."exitReason"
    FROM orders o JOIN order_intents i ON i.id = o."intentId"
   WHERE o.status IN ('pending_new', 'new', 'partially_filled')`;

/** Every fact from Postgres in one round trip ($1 symbol, $2 start of the order-rate minute, $3 strategy or null). */
const FACTS = `
  WITH working AS (${WORKING_ORDERS})
  SELECT (SELECT state::text FROM trading_state WHERE id = 1) AS state,
         (SELECT cash::text FROM portfolio_account WHERE id = 1) AS cash,
         (SELECT count(*) FROM order_intents WHERE "createdAt" >= $2)::int AS recent,
         (SELECT coalesce(json_agg(json_build_object('symbol', symbol, 'qty', qty::text, 'avgCost', "avgCost"::text)), '[]'::json)
            FROM positions WHERE qty <> 0 OR symbol = $1) AS positions,
         (SELECT count(*) FROM working)::int AS "openOrders",
         (SELECT coalesce(sum(rem * px), 0)::text FROM working WHERE side = 'BUY') AS "buyNotional",
         (SELECT coalesce(sum(rem), 0)::text FROM working WHERE side = 'BUY' AND symbol = $1) AS "buyQtyHere",
         -- A protective stop at the broker stands aside for any other exit (submitIntent cancels it first).
         (SELECT coalesce(sum(rem), 0)::text FROM working WHERE side = 'SELL' AND symbol = $1 AND "exitReason" IS DISTINCT FROM 'protective_stop') AS "sellQtyHere",
         (SELECT count(*) FROM working w JOIN risk_decisions d ON d.id = w."riskDecisionId" JOIN signals s ON s.id = d."signalId"
           WHERE $3::text IS NOT NULL AND w.symbol = $1 AND w.side = 'BUY' AND s.strategy = $3)::int AS duplicates,
         -- The capital ramp's step (one settings row, written by its evaluation; capital-ramp.ts).
         (SELECT value FROM settings WHERE key = 'capitalRamp') AS ramp`;

interface FactsRow {
  state: TTradingState | null;
  cash: string | null;
  recent: number;
  positions: { symbol: string; qty: string; avgCost: string }[];
  openOrders: number;
  buyNotional: string;
  buyQtyHere: string;
  sellQtyHere: string;
  duplicates: number;
  ramp: { enabled?: boolean; stepName?: string; maxGrossExposure?: string; maxOrderNotional?: string } | null;
}

export interface OrderQuestion {
  symbol: string;
  side: TOrderSide;
  price: string; // reference price (the signal's bar close; for a what-if, the last price when omitted by the caller)
  barTs?: Date; // the market time the order is for (the simulated market's clock); default now
  timeframe?: TTimeframe;
  strategy?: string; // for the duplicate check
  targetNotional?: string | null; // the strategy's sizing; else ORDER_NOTIONAL
}

/** Gross and net exposure as risk counts them: every position at its last price (its average cost while no bar is
 *  known), plus the working entries at their reference price (`buyNotional`, summed over WORKING_ORDERS). */
export function riskExposure(positions: readonly { symbol: string; qty: string; avgCost: string }[], last: ReadonlyMap<string, string>, buyNotional: Decimal): { gross: Decimal; net: Decimal } {
  let gross = ZERO, net = ZERO;
  for (const p of positions) {
    const v = dec(p.qty).times(last.get(p.symbol) ?? p.avgCost);
    gross = gross.plus(v.abs());
    net = net.plus(v);
  }
  return { gross: gross.plus(buyNotional), net: net.plus(buyNotional) };
}

/** Every fact the pre-trade checks need: Postgres in the caller's transaction (one query), Redis and the broker beside it. */
async function gather(deps: Pick<Deps, 'config' | 'redis' | 'pool' | 'clock' | 'broker'>, client: PgClient, q: OrderQuestion): Promise<PreTradeInput> {
  const c = deps.config;
  const tf = q.timeframe ?? '5m';
  const { rows } = await client.query<FactsRow>(FACTS, [q.symbol, new Date(deps.clock.now().getTime() - 60_000), q.side === 'BUY' ? (q.strategy ?? null) : null]);
  const f = rows[0]!;
  if (!f.state) throw new Error('trading_state row is missing: run the migrations (npm run db:migrate)');
  if (f.cash === null) throw new Error('portfolio_account is missing: the worker start-up creates it');
  const at = q.barTs ?? deps.clock.now();
  const [last, stale, clock, tradable] = await Promise.all([
    latestCloses(deps, [...new Set([q.symbol, ...f.positions.map((p) => p.symbol)])], tf),
    // Only entries care: an exit must stay possible when data stops.
    q.side === 'BUY' ? isSymbolStale(deps, q.symbol, tf) : false,
    deps.broker.marketClock ? deps.broker.marketClock() : null,
    deps.broker.isTradable ? deps.broker.isTradable(q.symbol) : true,
  ]);
  const buyNotional = dec(f.buyNotional);
  const held = dec(f.positions.find((p) => p.symbol === q.symbol)?.qty ?? '0');
  const lastPx = last.get(q.symbol);
  return {
    state: f.state, side: q.side, price: dec(q.price),
    marketOpen: clock ? clock.isOpen : inRegularSession(at, tf === '1d' ? 1 : TIMEFRAME_MINUTES[tf]),
    tradable,
    positionQty: q.side === 'BUY' ? held.plus(f.buyQtyHere) : held.minus(f.sellQtyHere),
    buyingPower: dec(f.cash).minus(buyNotional),
    dataStale: stale,
    lastPrice: lastPx ? dec(lastPx) : null,
    exposure: riskExposure(f.positions, last, buyNotional),
    openOrders: f.openOrders,
    ordersLastMinute: f.recent,
    duplicate: f.duplicates > 0,
    ramp: rampFromRow(f.ramp),
    limits: {
      // The strategy's sizing proposes the entry's size; without one (older signals, a what-if), the configured default.
      orderNotional: q.targetNotional != null ? dec(q.targetNotional) : dec(c.ORDER_NOTIONAL),
      maxPositionQty: dec(c.RISK_MAX_POSITION_QTY), maxPositionNotional: dec(c.RISK_MAX_POSITION_NOTIONAL),
      maxGrossExposure: dec(c.RISK_MAX_GROSS_EXPOSURE), maxNetExposure: dec(c.RISK_MAX_NET_EXPOSURE),
      maxOpenOrders: c.RISK_MAX_OPEN_ORDERS, maxOrdersPerMinute: c.RISK_MAX_ORDERS_PER_MINUTE, priceCollarPct: c.RISK_PRICE_COLLAR_PCT,
    },
  };
}

/** The ramp's caps from its settings row; none while the ramp is off or has not started. */
function rampFromRow(r: FactsRow['ramp']): PreTradeInput['ramp'] {
  if (!r?.enabled || !r.maxGrossExposure || !r.maxOrderNotional) return null;
  return { step: r.stepName ?? '?', maxGrossExposure: dec(r.maxGrossExposure), maxOrderNotional: dec(r.maxOrderNotional) };
}

interface SignalFacts {
  symbol: string;
  side: TOrderSide;
  price: string;
  barTs: Date;
  strategy: string;
  targetNotional: string | null;
  exits: TExits | null; // the strategy's exits, on an entry signal
  exitReason: string | null; // on an exit signal from the engine's watch
  // A protective exit (exitReason protective_stop): the broker-side order's type and parameter.
  orderType: 'stop' | 'trailing_stop' | null;
  stopPrice: string | null;
  exitTrailPct: string | null;
}

export interface RiskDecisionResult {
  id: string;
  signalId: string;
  outcome: 'APPROVED' | 'DENIED';
  reasonCode: TDenyReason | null;
  message: string;
  intent: { id: string; status: string } | null;
}

type DecisionRow = Omit<RiskDecisionResult, 'intent'> & { intentId: string | null; intentStatus: string | null };
const toResult = ({ intentId, intentStatus, ...d }: DecisionRow): RiskDecisionResult => ({ ...d, intent: intentId ? { id: intentId, status: intentStatus! } : null });

/**
 * The decision as an audit row (order.decision, actor system:risk) in the decision's own transaction: the audit
 * trail has every order decision, approved (naming the order's client_order_id) or denied (with the reason code).
 */
async function auditDecision(
  client: PgClient,
  d: {
    decisionId: string; signalId: string; outcome: 'APPROVED' | 'DENIED'; code: string | null; message: string; qty: string | null; intentId: string | null; marketTime: Date;
    signal: { symbol: string; side: string; price: string; strategy: string };
  },
): Promise<void> {
  const after = {
    decisionId: d.decisionId, signalId: d.signalId, outcome: d.outcome, reasonCode: d.code, symbol: d.signal.symbol, side: d.signal.side, price: d.signal.price,
    strategy: d.signal.strategy, qty: d.qty, intentId: d.intentId, ...(d.intentId ? { clientOrderId: clientOrderIdFor(d.intentId) } : {}), marketTime: d.marketTime.toISOString(),
  };
  await client.query(`INSERT INTO audit_log ("actorEmail", action, reason, after) VALUES ('system:risk', 'order.decision', $1, $2)`, [
    `${d.outcome}${d.code ? ` ${d.code}` : ''}: ${d.message}`.slice(0, 500), after,
  ]);
}

export async function checkRisk(deps: Deps, p: TJobPayload<'risk.check'>): Promise<RiskDecisionResult> {
  // What the decision's log line names (set only when this call decided: a retry logs nothing again).
  let said: { symbol: string; side: string; price: string; qty: string | null } | null = null;
  const decision = await withTransaction(deps.pool, async (client) => {
    // Decisions are serialised (this advisory lock) so buying power is never spent twice; the reads below start
    // after it is held, so they see every decision committed before.
    await client.query(`SELECT pg_advisory_xact_lock(hashtext('risk.check'))`);
    const { rows } = await client.query<DecisionRow & SignalFacts>(
      `SELECT s.symbol, s.side::text AS side, s.price::text AS price, s."barTs", s.strategy, s."targetNotional"::text AS "targetNotional",
              s.detail->'exits' AS exits, s.detail->>'exitReason' AS "exitReason", s.detail->>'orderType' AS "orderType",
              s.detail->>'stopPrice' AS "stopPrice", s.detail->>'trailPct' AS "exitTrailPct",
              d.id, d."signalId", d.outcome::text AS outcome, d."reasonCode", d.message, i.id AS "intentId", i.status::text AS "intentStatus"
         FROM signals s LEFT JOIN risk_decisions d ON d."signalId" = s.id LEFT JOIN order_intents i ON i."riskDecisionId" = d.id
        WHERE s.id = $1`,
      [p.signalId],
    );
    const signal = rows[0];
    if (!signal) throw new UnrecoverableError(`signal ${p.signalId} does not exist`);
    if (signal.id) return toResult(signal); // decided before: a retry re-sends an approved intent below
    const facts = await gather(deps, client, {
      symbol: signal.symbol, side: signal.side, price: signal.price, barTs: signal.barTs, strategy: signal.strategy, targetNotional: signal.targetNotional,
    });
    const result = checkPreTrade(facts);
    if (!result.ok) {
      const { rows: [d] } = await client.query<{ id: string }>(
        `INSERT INTO risk_decisions (id, "signalId", outcome, "reasonCode", message) VALUES (gen_random_uuid(), $1, 'DENIED', $2, $3) RETURNING id`,
        [p.signalId, result.code, result.message],
      );
      await auditDecision(client, { decisionId: d!.id, signalId: p.signalId, outcome: 'DENIED', code: result.code, message: result.message, signal, qty: null, intentId: null, marketTime: deps.clock.now() });
      said = { symbol: signal.symbol, side: signal.side, price: signal.price, qty: null };
      return { id: d!.id, signalId: p.signalId, outcome: 'DENIED' as const, reasonCode: result.code, message: result.message, intent: null };
    } else {
      // The intent in the same transaction as the decision (the outbox); createdAt from our clock: the
      // order-rate limit counts intents on the same clock it reads. An entry carries its exits as prices; a protective
      // exit its broker-side order (type, and stop price or trail percent in the same columns).
      const levels = result.isEntry ? exitLevels(dec(signal.price), signal.exits) : null;
      const stop = !result.isEntry && signal.exitReason === 'protective_stop' ? signal.orderType : null;
      if (stop && !(stop === 'stop' ? signal.stopPrice : stop === 'trailing_stop' ? signal.exitTrailPct : null))
        throw new UnrecoverableError(`signal ${p.signalId}: a protective exit needs orderType stop with stopPrice or trailing_stop with trailPct (got ${stop})`);
      const { rows: [made] } = await client.query<{ id: string; intentId: string }>(
        `WITH d AS (INSERT INTO risk_decisions (id, "signalId", outcome, message) VALUES (gen_random_uuid(), $1, 'APPROVED', $2) RETURNING id)
         INSERT INTO order_intents (id, "riskDecisionId", symbol, side, qty, "refPrice", "isEntry", status, "createdAt", "updatedAt", "stopLoss", "takeProfit", "trailPct", "exitReason", "orderType")
         SELECT gen_random_uuid(), d.id, $3, $4::"OrderSide", $5::numeric, $6::numeric, $7, 'PENDING', $8, now(), $9::numeric, $10::numeric, $11::numeric, $12, $13 FROM d
         RETURNING "riskDecisionId" AS id, id AS "intentId"`,
        [p.signalId, result.message, signal.symbol, signal.side, decStr(result.qty), signal.price, result.isEntry, deps.clock.now(),
          levels?.stopLoss?.toFixed() ?? (stop === 'stop' ? signal.stopPrice : null), levels?.takeProfit?.toFixed() ?? null,
          levels?.trailPct?.toFixed() ?? (stop === 'trailing_stop' ? signal.exitTrailPct : null),
          result.isEntry ? null : (signal.exitReason ?? 'signal'), stop ?? 'market'],
      );
      await auditDecision(client, { decisionId: made!.id, signalId: p.signalId, outcome: 'APPROVED', code: null, message: result.message, signal, qty: decStr(result.qty), intentId: made!.intentId, marketTime: deps.clock.now() });
      said = { symbol: signal.symbol, side: signal.side, price: signal.price, qty: decStr(result.qty) };
      return { id: made!.id, signalId: p.signalId, outcome: 'APPROVED' as const, reasonCode: null, message: result.message, intent: { id: made!.intentId, status: 'PENDING' } };
    }
  });
  // The decision is a row of the Orders page (and an approved SELL shows as closing on Positions): tell the console.
  await Promise.all([
    decision.intent && decision.intent.status === 'PENDING' ? deps.jobs.add('execution.submit', { intentId: decision.intent.id }) : null,
    deps.events.publish('order'),
  ]);
  logDecision(deps, decision, said);
  return decision;
}

/** The runbook's lines (trading/risk.log): `Order approved: BUY 16 SPY @ 597.12`, `Order denied: SELL SPY @ 597.22 (CODE: why)`. */
function logDecision(deps: Pick<Deps, 'logger'>, d: RiskDecisionResult, s: { symbol: string; side: string; price: string; qty: string | null } | null): void {
  if (!s) return;
  const intentId = d.intent?.id;
  const ids = { category: 'risk', signalId: d.signalId, ...(intentId ? { intentId, clientOrderId: clientOrderIdFor(intentId) } : {}), symbol: s.symbol, side: s.side };
  if (d.outcome === 'DENIED') deps.logger.info({ ...ids, code: d.reasonCode }, `Order denied: ${s.side} ${s.symbol} @ ${s.price} (${d.reasonCode}: ${d.message})`);
  else deps.logger.info({ ...ids, qty: s.qty }, `Order approved: ${s.side} ${s.qty} ${s.symbol} @ ${s.price}`);
}

export interface WhatIfAnswer {
  wouldPass: boolean;
  code: TDenyReason | null;
  message: string;
  qty: string | null;
  /** The market time the session was judged at: a simulated market's (its newest bar), or null for now (or the broker's clock). */
  marketTime: string | null;
  facts: { state: string; marketOpen: boolean; price: string; lastPrice: string | null; positionQty: string; buyingPower: string; grossExposure: string; openOrders: number; ordersLastMinute: number; stale: boolean };
}

/** "Would this order pass risk now, and if not why" — the same facts and checks as a real decision, nothing written. */
export async function whatIfOrder(deps: Deps, q: { symbol: string; side: TOrderSide; price?: string; notional?: string; strategy?: string }): Promise<WhatIfAnswer> {
  return withTransaction(deps.pool, async (client) => {
    const last = (await latestCloses(deps, [q.symbol], '5m')).get(q.symbol);
    const price = q.price ?? last;
    if (!price) throw new RangeError(`no price for ${q.symbol}: give one, or wait for a bar of it`);
    // A market simulated from bars is judged at its own time, as its signals are; a real one now (or by its clock).
    const marketTime = deps.broker.marketTime ? await deps.broker.marketTime() : null;
    const facts = await gather(deps, client, {
      symbol: q.symbol, side: q.side, price, ...(q.strategy ? { strategy: q.strategy } : {}), targetNotional: q.notional ?? null, ...(marketTime ? { barTs: marketTime } : {}),
    });
    const d: PreTradeDecision = checkPreTrade(facts);
    return {
      wouldPass: d.ok, code: d.ok ? null : d.code, message: d.message, qty: d.ok ? decStr(d.qty) : null, marketTime: marketTime?.toISOString() ?? null,
      facts: {
        state: facts.state, marketOpen: facts.marketOpen !== false, price, lastPrice: last ?? null, positionQty: decStr(facts.positionQty),
        buyingPower: decStr(facts.buyingPower.toDecimalPlaces(2)), grossExposure: decStr(facts.exposure!.gross.toDecimalPlaces(2)),
        openOrders: facts.openOrders ?? 0, ordersLastMinute: facts.ordersLastMinute ?? 0, stale: facts.dataStale === true,
      },
    };
  });
}
