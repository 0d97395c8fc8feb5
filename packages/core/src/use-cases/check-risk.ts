// The risk decision for one signal: APPROVED with an OrderIntent (same transaction, the outbox), or
// DENIED with a reason code. Idempotent: a signal is decided once; a retry re-sends an approved intent.
// `whatIfOrder` asks the same question for an order someone is considering, without writing anything.
import type { TDenyReason, TJobPayload, TOrderSide, TTimeframe } from '@ai-trader/contracts';
import { checkPreTrade, dec, decStr, inRegularSession, TIMEFRAME_MINUTES, ZERO, type PreTradeDecision, type PreTradeInput } from '@ai-trader/domain';
import type { Prisma } from '@ai-trader/db';
import { UnrecoverableError } from 'bullmq';
import { latestCloses } from '../infra/latest-bars.ts';
import type { Deps } from '../ports.ts';
import { isSymbolStale } from './freshness.ts';
import { getTradingState } from './trading-state.ts';

type Tx = Prisma.TransactionClient;

/** Working exposure per side for a symbol: approved-but-unsent intents plus unfilled order remainder. */
async function workingQty(tx: Tx, symbol: string | null): Promise<{ side: TOrderSide; qty: string; notional: string; n: number }[]> {
  return tx.$queryRaw`
    SELECT i.side::text AS side,
           COALESCE(SUM(COALESCE(o.qty - o."filledQty", i.qty)), 0)::text AS qty,
           COALESCE(SUM(COALESCE(o.qty - o."filledQty", i.qty) * i."refPrice"), 0)::text AS notional,
           count(*)::int AS n
    FROM order_intents i
    LEFT JOIN orders o ON o."intentId" = i.id
    WHERE (${symbol}::text IS NULL OR i.symbol = ${symbol})
      AND ((o.id IS NULL AND i.status = 'PENDING') OR o.status IN ('pending_new', 'new', 'partially_filled'))
    GROUP BY i.side`;
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

/** Every fact the pre-trade checks need, read in the caller's transaction. */
async function gather(deps: Pick<Deps, 'config' | 'redis' | 'pool' | 'clock' | 'broker'>, tx: Tx, q: OrderQuestion): Promise<PreTradeInput> {
  const c = deps.config;
  const state = (await getTradingState(tx)).state;
  // One after the other: a transaction is one connection, and pg refuses overlapping queries on it.
  const position = await tx.position.findUnique({ where: { symbol: q.symbol } });
  const account = await tx.portfolioAccount.findUnique({ where: { id: 1 } });
  const mine = await workingQty(tx, q.symbol);
  const all = await workingQty(tx, null);
  const recent = await tx.orderIntent.count({ where: { createdAt: { gte: new Date(deps.clock.now().getTime() - 60_000) } } });
  if (!account) throw new Error('portfolio_account is missing: the worker start-up creates it');
  const pending = (rows: typeof mine, side: TOrderSide, f: 'qty' | 'notional') => dec(rows.find((r) => r.side === side)?.[f] ?? '0');
  const held = position ? dec(position.qty.toString()) : ZERO;
  // Exposure: every position at its last price plus working entries at their reference price.
  const positions = await tx.position.findMany({ where: { qty: { not: 0 } } });
  const last = await latestCloses(deps, [...new Set([q.symbol, ...positions.map((p) => p.symbol)])], q.timeframe ?? '5m');
  let gross = ZERO, net = ZERO;
  for (const p of positions) {
    const v = dec(p.qty.toString()).times(last.get(p.symbol) ?? p.avgCost.toString());
    gross = gross.plus(v.abs());
    net = net.plus(v);
  }
  gross = gross.plus(pending(all, 'BUY', 'notional'));
  net = net.plus(pending(all, 'BUY', 'notional'));
  const duplicate = q.side === 'BUY' && q.strategy !== undefined && (await tx.$queryRaw<{ n: number }[]>`
    SELECT count(*)::int AS n FROM order_intents i JOIN risk_decisions d ON d.id = i."riskDecisionId" JOIN signals s ON s.id = d."signalId"
    LEFT JOIN orders o ON o."intentId" = i.id
    WHERE i.symbol = ${q.symbol} AND i.side = 'BUY' AND s.strategy = ${q.strategy}
      AND ((o.id IS NULL AND i.status = 'PENDING') OR o.status IN ('pending_new', 'new', 'partially_filled'))`)[0]!.n > 0;
  const at = q.barTs ?? deps.clock.now();
  const clock = deps.broker.marketClock ? await deps.broker.marketClock() : null;
  const marketOpen = clock ? clock.isOpen : inRegularSession(at, q.timeframe === '1d' ? 1 : TIMEFRAME_MINUTES[q.timeframe ?? '5m']);
  const tradable = deps.broker.isTradable ? await deps.broker.isTradable(q.symbol) : true;
  const lastPx = last.get(q.symbol);
  return {
    state, side: q.side, price: dec(q.price), marketOpen, tradable,
    positionQty: q.side === 'BUY' ? held.plus(pending(mine, 'BUY', 'qty')) : held.minus(pending(mine, 'SELL', 'qty')),
    buyingPower: dec(account.cash.toString()).minus(pending(all, 'BUY', 'notional')),
    // Only entries care: an exit must stay possible when data stops.
    dataStale: q.side === 'BUY' && (await isSymbolStale(deps, q.symbol, q.timeframe ?? '5m')),
    lastPrice: lastPx ? dec(lastPx) : null,
    exposure: { gross, net },
    openOrders: all.reduce((n, r) => n + r.n, 0),
    ordersLastMinute: recent,
    duplicate,
    limits: {
      // The strategy's sizing proposes the entry's size; without one (older signals, a what-if), the configured default.
      orderNotional: q.targetNotional != null ? dec(q.targetNotional) : dec(c.ORDER_NOTIONAL),
      maxPositionQty: dec(c.RISK_MAX_POSITION_QTY), maxPositionNotional: dec(c.RISK_MAX_POSITION_NOTIONAL),
      maxGrossExposure: dec(c.RISK_MAX_GROSS_EXPOSURE), maxNetExposure: dec(c.RISK_MAX_NET_EXPOSURE),
      maxOpenOrders: c.RISK_MAX_OPEN_ORDERS, maxOrdersPerMinute: c.RISK_MAX_ORDERS_PER_MINUTE, priceCollarPct: c.RISK_PRICE_COLLAR_PCT,
    },
  };
}

export async function checkRisk(deps: Deps, p: TJobPayload<'risk.check'>) {
  const decision = await deps.prisma.$transaction(async (tx) => {
    const existing = await tx.riskDecision.findUnique({ where: { signalId: p.signalId }, include: { intent: true } });
    if (existing) return existing;
    const signal = await tx.signal.findUnique({ where: { id: p.signalId } });
    if (!signal) throw new UnrecoverableError(`signal ${p.signalId} does not exist`);
    // Decisions are serialised (one risk worker, and this advisory lock) so buying power is never spent twice.
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('risk.check'))`;
    const facts = await gather(deps, tx, {
      symbol: signal.symbol, side: signal.side, price: signal.price.toString(), barTs: signal.barTs, strategy: signal.strategy,
      targetNotional: signal.targetNotional?.toString() ?? null,
    });
    const result = checkPreTrade(facts);
    if (!result.ok)
      return tx.riskDecision.create({
        data: { signalId: signal.id, outcome: 'DENIED', reasonCode: result.code, message: result.message },
        include: { intent: true },
      });
    return tx.riskDecision.create({
      data: {
        signalId: signal.id,
        outcome: 'APPROVED',
        message: result.message,
        // createdAt from our clock: the order-rate limit counts intents on the same clock it reads
        intent: { create: { symbol: signal.symbol, side: signal.side, qty: decStr(result.qty), refPrice: signal.price, isEntry: result.isEntry, createdAt: deps.clock.now() } },
      },
      include: { intent: true },
    });
  });
  if (decision.intent && decision.intent.status === 'PENDING') await deps.jobs.add('execution.submit', { intentId: decision.intent.id });
  if (decision.outcome === 'DENIED') deps.logger.info({ signalId: p.signalId, code: decision.reasonCode }, `order denied: ${decision.message}`);
  return decision;
}

export interface WhatIfAnswer {
  wouldPass: boolean;
  code: TDenyReason | null;
  message: string;
  qty: string | null;
  facts: { state: string; marketOpen: boolean; price: string; lastPrice: string | null; positionQty: string; buyingPower: string; grossExposure: string; openOrders: number; ordersLastMinute: number; stale: boolean };
}

/** "Would this order pass risk now, and if not why" — the same facts and checks as a real decision, nothing written. */
export async function whatIfOrder(deps: Deps, q: { symbol: string; side: TOrderSide; price?: string; notional?: string; strategy?: string }): Promise<WhatIfAnswer> {
  return deps.prisma.$transaction(async (tx) => {
    const last = (await latestCloses(deps, [q.symbol], '5m')).get(q.symbol);
    const price = q.price ?? last;
    if (!price) throw new RangeError(`no price for ${q.symbol}: give one, or wait for a bar of it`);
    const facts = await gather(deps, tx, { symbol: q.symbol, side: q.side, price, ...(q.strategy ? { strategy: q.strategy } : {}), targetNotional: q.notional ?? null });
    const d: PreTradeDecision = checkPreTrade(facts);
    return {
      wouldPass: d.ok, code: d.ok ? null : d.code, message: d.message, qty: d.ok ? decStr(d.qty) : null,
      facts: {
        state: facts.state, marketOpen: facts.marketOpen !== false, price, lastPrice: last ?? null, positionQty: decStr(facts.positionQty),
        buyingPower: decStr(facts.buyingPower.toDecimalPlaces(2)), grossExposure: decStr(facts.exposure!.gross.toDecimalPlaces(2)),
        openOrders: facts.openOrders ?? 0, ordersLastMinute: facts.ordersLastMinute ?? 0, stale: facts.dataStale === true,
      },
    };
  });
}
