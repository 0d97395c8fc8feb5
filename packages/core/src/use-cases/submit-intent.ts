// Sends one approved intent to the broker exactly once, with client_order_id derived from the intent id.
// The trading-state row is held FOR SHARE across the broker call, so a HALT (which takes it FOR UPDATE)
// either happens before — and the intent is BLOCKED — or waits until the order is placed, then cancels it.
import { createHash } from 'node:crypto';
import type { TJobPayload } from '@ai-trader/contracts';
import { transition } from '@ai-trader/domain';
import { UnrecoverableError } from 'bullmq';
import type { Deps } from '../ports.ts';
import { lockTradingState } from './trading-state.ts';

/** Deterministic, broker-safe (≤ 48 chars, [a-z0-9-]) client order id: retries reuse it. */
export function clientOrderIdFor(intentId: string): string {
  return `ait-${createHash('sha256').update(intentId).digest('hex').slice(0, 32)}`;
}

export type SubmitOutcome = 'submitted' | 'already-submitted' | 'blocked' | 'rejected';

export async function submitIntent(deps: Deps, p: TJobPayload<'execution.submit'>): Promise<SubmitOutcome> {
  const outcome = await deps.prisma.$transaction(
    async (tx): Promise<SubmitOutcome> => {
      const intent = await tx.orderIntent.findUnique({ where: { id: p.intentId }, include: { order: true } });
      if (!intent) throw new UnrecoverableError(`intent ${p.intentId} does not exist`);
      if (intent.order || intent.status === 'SUBMITTED') return 'already-submitted';
      if (intent.status === 'BLOCKED') return 'blocked';
      const state = await lockTradingState(tx, 'share');
      if (state === 'HALTED' || (state === 'REDUCING' && intent.isEntry)) {
        await tx.orderIntent.update({ where: { id: intent.id }, data: { status: 'BLOCKED', statusReason: `trading state ${state} at submission` } });
        return 'blocked';
      }
      const clientOrderId = clientOrderIdFor(intent.id);
      const ack = await deps.broker.submitOrder({ clientOrderId, symbol: intent.symbol, side: intent.side, qty: intent.qty.toFixed(), type: 'market' });
      const status = transition('pending_new', ack.status === 'accepted' ? 'accepted' : 'rejected');
      await tx.order.create({
        data: {
          intentId: intent.id,
          clientOrderId,
          brokerOrderId: ack.brokerOrderId,
          broker: deps.broker.name,
          symbol: intent.symbol,
          side: intent.side,
          qty: intent.qty,
          status,
          rejectReason: ack.reason ?? null,
          submittedAt: deps.clock.now(),
        },
      });
      await tx.orderIntent.update({ where: { id: intent.id }, data: { status: 'SUBMITTED' } });
      return status === 'rejected' ? 'rejected' : 'submitted';
    },
    { timeout: 30_000, maxWait: 10_000 },
  );
  if (outcome === 'submitted' || outcome === 'rejected') await deps.events.publish('order');
  if (outcome === 'blocked') deps.logger.warn({ intentId: p.intentId }, 'intent blocked by trading state');
  return outcome;
}
