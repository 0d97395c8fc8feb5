// Cancels one working order from the console: at the broker first, then in our books through the normal
// trade-update path (as HALT's cancel-all does). Audited as order.cancel with who, why and what the broker said.
import type { TActor, TCancelOrderResult } from '@ai-trader/contracts';
import { isTerminal } from '@ai-trader/domain';
import type { Deps } from '../ports.ts';
import { applyTradeUpdate } from './apply-trade-update.ts';
import { TradeRequestError } from './close-position.ts';
import { ForbiddenError } from './emergency.ts';

export async function cancelOrder(deps: Deps, input: { clientOrderId: string; actor: TActor; reason: string }): Promise<TCancelOrderResult> {
  if (input.actor.role === 'viewer') throw new ForbiddenError('viewers cannot cancel orders');
  const { clientOrderId } = input;
  const order = await deps.prisma.order.findUnique({ where: { clientOrderId } });
  if (!order) throw new TradeRequestError('NOT_FOUND', `no order with client_order_id ${clientOrderId}`);
  if (isTerminal(order.status)) throw new TradeRequestError('CONFLICT', `order ${clientOrderId} is already ${order.status}: nothing to cancel`);
  if (!deps.broker.cancelOrder) throw new TradeRequestError('CONFLICT', `the ${deps.broker.name} broker cannot cancel a single order (HALT cancels all)`);

  const result = await deps.broker.cancelOrder(clientOrderId);
  if (result === 'canceled') {
    await applyTradeUpdate(deps, {
      event: 'canceled', clientOrderId, brokerOrderId: order.brokerOrderId ?? clientOrderId, at: deps.clock.now().toISOString(),
      reason: `canceled by ${input.actor.email}: ${input.reason}`,
    });
  }
  // 'not_open': it filled first; the fills reach our books as trade updates (or reconciliation), not from here.
  const after = await deps.prisma.order.findUniqueOrThrow({ where: { id: order.id }, select: { status: true, filledQty: true } });
  await deps.prisma.auditLog.create({
    data: {
      at: deps.clock.now(), actorId: input.actor.id, actorEmail: input.actor.email, action: 'order.cancel', reason: input.reason,
      before: { clientOrderId, symbol: order.symbol, side: order.side, qty: order.qty.toFixed(), filledQty: order.filledQty.toFixed(), status: order.status },
      after: { clientOrderId, broker: deps.broker.name, result, status: after.status, filledQty: after.filledQty.toFixed() },
    },
  });
  await deps.events.publish('audit');
  deps.logger.warn({ category: 'orders', clientOrderId, symbol: order.symbol, actor: input.actor.email, reason: input.reason, result }, `order ${clientOrderId} cancel: ${result}`);
  return { clientOrderId, result, status: after.status };
}
