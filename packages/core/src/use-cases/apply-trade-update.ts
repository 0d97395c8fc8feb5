// Applies one broker event to our books: order status, fills (deduplicated by execution id), the
// position and cash — all in one transaction, so a redelivered event changes nothing. After an entry order has
// filled completely, a broker that keeps stops gets the position's protective order (watch-exits.ts). Many updates at
// once (an emergency's cancellations and closing fills) go through the same steps in batches (applyTradeUpdates).
import type { TOrderStatus, TTradeUpdate } from '@ai-trader/contracts';
import { applyFill, dec, decStr, isTerminal, transition, ZERO, type Dec, type OrderEvent } from '@ai-trader/domain';
import type { Prisma } from '@ai-trader/db';
import { observeOrderLatency } from '../infra/metrics.ts';
import type { Deps } from '../ports.ts';
import { protectPosition } from './watch-exits.ts';

type Tx = Prisma.TransactionClient;
/** When the broker acknowledged the order of an update (ack → fill latency), noted in its transaction. */
const ackedAt = new WeakMap<TTradeUpdate, Date>();
export type ApplyOutcome = 'applied' | 'duplicate' | 'ignored';

export class UnknownOrderError extends Error {
  constructor(clientOrderId: string) {
    // Usually a race (the event overtook our own commit); the job is retried.
    super(`no order with client_order_id ${clientOrderId} (yet)`);
    this.name = 'UnknownOrderError';
  }
}

async function lockOrder(tx: Tx, clientOrderId: string) {
  const rows = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM orders WHERE "clientOrderId" = ${clientOrderId} FOR UPDATE`;
  if (!rows[0]) throw new UnknownOrderError(clientOrderId);
  return tx.order.findUniqueOrThrow({ where: { id: rows[0].id } });
}

/** What a fill's log lines name, noted in its transaction for after the commit (keyed by the update object). */
interface FillNote { symbol: string; side: string; intentId: string; signalId: string | null; qtyBefore: Dec; qtyAfter: Dec; realized: Dec; avgCost: Dec }
const fillNotes = new WeakMap<TTradeUpdate, FillNote>();

async function applyExecution(tx: Tx, u: TTradeUpdate, order: Awaited<ReturnType<typeof lockOrder>>, at: Date): Promise<ApplyOutcome> {
  if (!u.executionId || !u.qty || !u.price) throw new Error(`fill event for ${u.clientOrderId} lacks executionId, qty or price`);
  if (await tx.fill.findUnique({ where: { executionId: u.executionId } })) return 'duplicate';
  const qty = dec(u.qty), price = dec(u.price);
  const filledBefore = dec(order.filledQty.toString());
  const filled = filledBefore.plus(qty);
  const total = dec(order.qty.toString());
  if (filled.gt(total)) throw new Error(`fill ${u.executionId} would overfill order ${order.clientOrderId}: ${filled.toFixed()} > ${total.toFixed()}`);
  const avgBefore = order.avgFillPrice ? dec(order.avgFillPrice.toString()) : ZERO;
  const avg = filledBefore.times(avgBefore).plus(qty.times(price)).div(filled);
  const event: OrderEvent = filled.eq(total) ? 'fill' : 'partial_fill';
  await tx.fill.create({ data: { executionId: u.executionId, orderId: order.id, symbol: order.symbol, side: order.side, qty: u.qty, price: u.price, filledAt: new Date(u.at) } });
  await tx.order.update({ where: { id: order.id }, data: { filledQty: decStr(filled), avgFillPrice: decStr(avg), status: transition(order.status, event) } });

  await tx.$executeRaw`INSERT INTO positions (symbol, qty, "avgCost", "realizedPnl", "updatedAt") VALUES (${order.symbol}, 0, 0, 0, ${at}) ON CONFLICT (symbol) DO NOTHING`;
  await tx.$queryRaw`SELECT symbol FROM positions WHERE symbol = ${order.symbol} FOR UPDATE`;
  const pos = await tx.position.findUniqueOrThrow({ where: { symbol: order.symbol } });
  const eff = applyFill(
    { qty: dec(pos.qty.toString()), avgCost: dec(pos.avgCost.toString()), realizedPnl: dec(pos.realizedPnl.toString()) },
    { side: order.side, qty, price },
  );
  await tx.position.update({
    where: { symbol: order.symbol },
    data: { qty: decStr(eff.position.qty), avgCost: decStr(eff.position.avgCost), realizedPnl: decStr(eff.position.realizedPnl), ...(await exitLevelsAfter(tx, order, pos, eff.position.qty, price, u.at)) },
  });
  await tx.$executeRaw`UPDATE portfolio_account SET cash = cash + ${decStr(eff.cashDelta)}::numeric, "updatedAt" = ${at} WHERE id = 1`;
  const [sig] = await tx.$queryRaw<{ signalId: string }[]>`SELECT d."signalId"::text AS "signalId" FROM order_intents i JOIN risk_decisions d ON d.id = i."riskDecisionId" WHERE i.id = ${order.intentId}::uuid`;
  const before = dec(pos.qty.toString());
  fillNotes.set(u, {
    symbol: order.symbol, side: order.side, intentId: order.intentId, signalId: sig?.signalId ?? null, qtyBefore: before, qtyAfter: eff.position.qty,
    realized: eff.position.realizedPnl.minus(pos.realizedPnl.toString()), avgCost: eff.position.avgCost,
  });
  return 'applied';
}

/**
 * The exits the engine watches after this fill: an entry's fill arms its intent's levels (the newest entry's
 * levels win), watched from bars after the fill's time; the trailing stop's high-water mark starts at the fill
 * price. A flat position has none.
 */
async function exitLevelsAfter(tx: Tx, order: { intentId: string; side: string }, pos: { highWater: Prisma.Decimal | null }, qtyAfter: Dec, price: Dec, at: string) {
  if (qtyAfter.lte(0)) return { stopPrice: null, targetPrice: null, trailPct: null, highWater: null, exitsFrom: null };
  if (order.side !== 'BUY') return {};
  const intent = await tx.orderIntent.findUnique({ where: { id: order.intentId }, select: { stopLoss: true, takeProfit: true, trailPct: true } });
  if (!intent || (!intent.stopLoss && !intent.takeProfit && !intent.trailPct)) return {};
  const hw = pos.highWater && dec(pos.highWater.toString()).gt(price) ? dec(pos.highWater.toString()) : price;
  return {
    stopPrice: intent.stopLoss, targetPrice: intent.takeProfit, trailPct: intent.trailPct,
    highWater: intent.trailPct ? decStr(hw) : null, exitsFrom: new Date(at),
  };
}

const ENDING = new Set<TTradeUpdate['event']>(['canceled', 'expired', 'rejected']);
/** Only endings (cancellations, expiries, refusals), one per order: they touch nothing but the orders' status. */
const endingOnly = (part: readonly TTradeUpdate[]) => part.every((u) => ENDING.has(u.event)) && new Set(part.map((u) => u.clientOrderId)).size === part.length;

/**
 * Endings of many orders at once, as applyInTx's default branch decides them one by one: the orders locked in one
 * statement, the same state machine, one UPDATE. An order we do not know is an UnknownOrderError for that update only.
 */
async function endOrders(tx: Tx, part: readonly TTradeUpdate[], at: Date): Promise<Array<ApplyOutcome | Error>> {
  const rows = await tx.$queryRaw<{ id: string; clientOrderId: string; status: TOrderStatus; rejectReason: string | null }[]>`
    SELECT id, "clientOrderId", status::text AS status, "rejectReason" FROM orders WHERE "clientOrderId" = ANY(${part.map((u) => u.clientOrderId)}::text[]) ORDER BY id FOR UPDATE`;
  const byId = new Map(rows.map((r) => [r.clientOrderId, r]));
  const changes: Array<{ id: string; status: TOrderStatus; reason: string | null }> = [];
  const out = part.map((u): ApplyOutcome | Error => {
    const order = byId.get(u.clientOrderId);
    if (!order) return new UnknownOrderError(u.clientOrderId);
    if (isTerminal(order.status)) return order.status === u.event ? 'duplicate' : 'ignored';
    try {
      changes.push({ id: order.id, status: transition(order.status, u.event as OrderEvent), reason: u.event === 'rejected' ? (u.reason ?? 'rejected by broker') : order.rejectReason });
      return 'applied';
    } catch (e) {
      return e as Error;
    }
  });
  if (changes.length)
    await tx.$executeRaw`
      UPDATE orders o SET status = v.status::"OrderStatus", "rejectReason" = v.reason, "updatedAt" = ${at}
        FROM unnest(${changes.map((c) => c.id)}::uuid[], ${changes.map((c) => c.status)}::text[], ${changes.map((c) => c.reason)}::text[]) AS v(id, status, reason)
       WHERE o.id = v.id`;
  return out;
}

/** One update inside the caller's transaction: the order locked, then its status, fill, position and cash. */
async function applyInTx(tx: Tx, u: TTradeUpdate, at: Date): Promise<ApplyOutcome> {
  const order = await lockOrder(tx, u.clientOrderId);
  if (order.submittedAt) ackedAt.set(u, order.submittedAt);
  switch (u.event) {
    case 'fill':
    case 'partial_fill':
      return applyExecution(tx, u, order, at);
    case 'new':
      if (order.status !== 'pending_new') return 'ignored';
      await tx.order.update({ where: { id: order.id }, data: { status: transition(order.status, 'accepted'), brokerOrderId: u.brokerOrderId } });
      return 'applied';
    default: {
      // canceled | rejected | expired: a repeat on a terminal order is a no-op, not an error.
      if (isTerminal(order.status)) return order.status === u.event ? 'duplicate' : 'ignored';
      await tx.order.update({
        where: { id: order.id },
        data: { status: transition(order.status, u.event), rejectReason: u.event === 'rejected' ? (u.reason ?? 'rejected by broker') : order.rejectReason },
      });
      return 'applied';
    }
  }
}

function logApplied(deps: Deps, u: TTradeUpdate): void {
  const fill = u.event === 'fill' || u.event === 'partial_fill';
  const n = fill ? fillNotes.get(u) : undefined;
  if (n) return logFill(deps, u, n);
  deps.logger.info(
    { category: fill ? 'positions' : 'orders', clientOrderId: u.clientOrderId, event: u.event, ...(fill ? { qty: u.qty, price: u.price, executionId: u.executionId } : { reason: u.reason }) },
    fill ? `${u.event === 'fill' ? 'filled' : 'partly filled'}: ${u.qty} @ ${u.price}` : `order ${u.event}${u.reason ? `: ${u.reason}` : ''}`,
  );
}

/**
 * The runbook's lines of a fill: `Order executed: BUY 16 SPY @ 597.12` (trading/orders.log) and, when the position
 * opened or closed with it, `Position opened: 16 SPY @ 597.12` / `Position closed: 16 SPY @ 597.22, realized 1.6`
 * (trading/positions.log) — each with the signal, intent, order and execution ids.
 */
function logFill(deps: Deps, u: TTradeUpdate, n: FillNote): void {
  const ids = { ...(n.signalId ? { signalId: n.signalId } : {}), intentId: n.intentId, clientOrderId: u.clientOrderId, executionId: u.executionId, symbol: n.symbol, side: n.side };
  const qty = dec(u.qty!).toFixed(), price = dec(u.price!).toFixed();
  const what = u.event === 'fill' ? 'Order executed' : 'Order partly executed';
  deps.logger.info({ category: 'orders', ...ids, event: u.event, qty: u.qty, price: u.price }, `${what}: ${n.side} ${qty} ${n.symbol} @ ${price}`);
  const pos = { category: 'positions', ...ids, qtyBefore: n.qtyBefore.toFixed(), qtyAfter: n.qtyAfter.toFixed() };
  if (n.qtyBefore.isZero() && !n.qtyAfter.isZero())
    deps.logger.info({ ...pos, avgCost: n.avgCost.toFixed() }, `Position opened: ${n.qtyAfter.abs().toFixed()} ${n.symbol} @ ${price}`);
  else if (!n.qtyBefore.isZero() && n.qtyAfter.isZero())
    deps.logger.info({ ...pos, realized: n.realized.toFixed() }, `Position closed: ${n.qtyBefore.abs().toFixed()} ${n.symbol} @ ${price}, realized ${n.realized.toFixed()}`);
  else deps.logger.info({ ...pos, realized: n.realized.toFixed() }, `Position changed: ${n.symbol} ${n.qtyBefore.toFixed()} → ${n.qtyAfter.toFixed()} @ ${price}`);
}

export async function applyTradeUpdate(deps: Deps, u: TTradeUpdate): Promise<ApplyOutcome> {
  const at = deps.clock.now();
  const outcome = await deps.prisma.$transaction((tx) => applyInTx(tx, u, at));
  if (outcome === 'applied' && (u.event === 'fill' || u.event === 'partial_fill')) observeOrderLatency('ack_to_fill', ackedAt.get(u));
  if (outcome === 'applied') {
    logApplied(deps, u);
    await deps.events.publish('order');
    if (u.event === 'fill' || u.event === 'partial_fill') await deps.events.publish('position');
  }
  // Also on a repeat: a crash between the commit above and this step must not leave the position without its stop.
  if (u.event === 'fill' && outcome !== 'ignored' && deps.broker.protectiveStops) await protectPosition(deps, u.clientOrderId);
  return outcome;
}

/**
 * Many updates (an emergency's hundreds of cancellations and closing fills) through the same steps as applyTradeUpdate,
 * in order, `chunk` per transaction and one live event per kind — not one transaction and two events each. A chunk
 * that fails is done again update by update, so one bad update (an order we never placed) costs only itself; those
 * come back as errors, in no particular order. Chunks run one after another: a fill locks its position and the cash row.
 */
export async function applyTradeUpdates(deps: Deps, updates: readonly TTradeUpdate[], chunk = 100): Promise<{ outcomes: Array<ApplyOutcome | Error> }> {
  const outcomes: Array<ApplyOutcome | Error> = [];
  for (let i = 0; i < updates.length; i += chunk) {
    const part = updates.slice(i, i + chunk);
    const at = deps.clock.now();
    let done: Array<ApplyOutcome | Error> | null;
    try {
      done = await deps.prisma.$transaction(async (tx) => {
        if (endingOnly(part)) return endOrders(tx, part, at);
        const out: ApplyOutcome[] = [];
        for (const u of part) out.push(await applyInTx(tx, u, at));
        return out;
      }, { timeout: 60_000 });
    } catch {
      done = null;
    }
    if (done) {
      done.forEach((o, k) => o === 'applied' && logApplied(deps, part[k]!));
      outcomes.push(...done);
    } else for (const u of part) outcomes.push(await deps.prisma.$transaction((tx) => applyInTx(tx, u, at)).then((o) => (o === 'applied' && logApplied(deps, u), o), (e: unknown) => (e instanceof Error ? e : new Error(String(e)))));
  }
  const applied = updates.filter((_, k) => outcomes[k] === 'applied');
  if (applied.length) await deps.events.publish('order');
  if (applied.some((u) => u.event === 'fill' || u.event === 'partial_fill')) await deps.events.publish('position');
  if (deps.broker.protectiveStops)
    for (const [k, u] of updates.entries()) if (u.event === 'fill' && (outcomes[k] === 'applied' || outcomes[k] === 'duplicate')) await protectPosition(deps, u.clientOrderId);
  return { outcomes };
}
