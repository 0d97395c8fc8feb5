// The risk decision for one signal: APPROVED with an OrderIntent (same transaction, the outbox), or
// DENIED with a reason code. Idempotent: a signal is decided once; a retry re-sends an approved intent.
import type { TJobPayload, TOrderSide } from '@ai-trader/contracts';
import { checkPreTrade, dec, decStr, ZERO } from '@ai-trader/domain';
import type { Prisma } from '@ai-trader/db';
import { UnrecoverableError } from 'bullmq';
import type { Deps } from '../ports.ts';
import { isSymbolStale } from './freshness.ts';
import { getTradingState } from './trading-state.ts';

type Tx = Prisma.TransactionClient;

/** Working exposure per side for a symbol: approved-but-unsent intents plus unfilled order remainder. */
async function workingQty(tx: Tx, symbol: string | null): Promise<{ side: TOrderSide; qty: string; notional: string }[]> {
  return tx.$queryRaw`
    SELECT i.side::text AS side,
           COALESCE(SUM(COALESCE(o.qty - o."filledQty", i.qty)), 0)::text AS qty,
           COALESCE(SUM(COALESCE(o.qty - o."filledQty", i.qty) * i."refPrice"), 0)::text AS notional
    FROM order_intents i
    LEFT JOIN orders o ON o."intentId" = i.id
    WHERE (${symbol}::text IS NULL OR i.symbol = ${symbol})
      AND ((o.id IS NULL AND i.status = 'PENDING') OR o.status IN ('pending_new', 'new', 'partially_filled'))
    GROUP BY i.side`;
}

export async function checkRisk(deps: Deps, p: TJobPayload<'risk.check'>) {
  const decision = await deps.prisma.$transaction(async (tx) => {
    const existing = await tx.riskDecision.findUnique({ where: { signalId: p.signalId }, include: { intent: true } });
    if (existing) return existing;
    const signal = await tx.signal.findUnique({ where: { id: p.signalId } });
    if (!signal) throw new UnrecoverableError(`signal ${p.signalId} does not exist`);
    // Decisions are serialised (one risk worker, and this advisory lock) so buying power is never spent twice.
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('risk.check'))`;
    const state = (await getTradingState(tx)).state;
    const position = await tx.position.findUnique({ where: { symbol: signal.symbol } });
    const account = await tx.portfolioAccount.findUnique({ where: { id: 1 } });
    if (!account) throw new Error('portfolio_account is missing: the worker start-up creates it');
    const mine = await workingQty(tx, signal.symbol);
    const all = await workingQty(tx, null);
    const pending = (rows: typeof mine, side: TOrderSide, f: 'qty' | 'notional') => dec(rows.find((r) => r.side === side)?.[f] ?? '0');
    const held = position ? dec(position.qty.toString()) : ZERO;
    const c = deps.config;
    const result = checkPreTrade({
      state,
      side: signal.side,
      price: dec(signal.price.toString()),
      positionQty: signal.side === 'BUY' ? held.plus(pending(mine, 'BUY', 'qty')) : held.minus(pending(mine, 'SELL', 'qty')),
      buyingPower: dec(account.cash.toString()).minus(pending(all, 'BUY', 'notional')),
      // Only entries care: an exit must stay possible when data stops.
      dataStale: signal.side === 'BUY' && (await isSymbolStale(deps, signal.symbol, '5m')),
      // The strategy's sizing proposes the entry's size; without one (older signals), the configured default.
      limits: { orderNotional: signal.targetNotional !== null ? dec(signal.targetNotional.toString()) : dec(c.ORDER_NOTIONAL), maxPositionQty: dec(c.RISK_MAX_POSITION_QTY), maxPositionNotional: dec(c.RISK_MAX_POSITION_NOTIONAL) },
    });
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
        intent: { create: { symbol: signal.symbol, side: signal.side, qty: decStr(result.qty), refPrice: signal.price, isEntry: result.isEntry } },
      },
      include: { intent: true },
    });
  });
  if (decision.intent && decision.intent.status === 'PENDING') await deps.jobs.add('execution.submit', { intentId: decision.intent.id });
  if (decision.outcome === 'DENIED') deps.logger.info({ signalId: p.signalId, code: decision.reasonCode }, `order denied: ${decision.message}`);
  return decision;
}
