// HALT and RESUME, the emergency controls of the walking skeleton. HALT: state HALTED (audited), then
// every open order cancelled at the broker and in our books, then verified against the broker.
import type { TActor, THaltResult } from '@ai-trader/contracts';
import type { Deps } from '../ports.ts';
import { applyTradeUpdate } from './apply-trade-update.ts';
import { changeTradingState, lockTradingState } from './trading-state.ts';

export class ForbiddenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ForbiddenError';
  }
}

export async function haltTrading(deps: Deps, input: { actor: TActor; reason: string }): Promise<THaltResult> {
  if (input.actor.role === 'viewer') throw new ForbiddenError('viewers cannot halt trading');
  const { changed } = await deps.prisma.$transaction((tx) =>
    changeTradingState(tx, { to: 'HALTED', actor: input.actor, reason: input.reason, action: 'trading.halt', at: deps.clock.now() }),
  );
  await deps.events.publish('trading-state');
  deps.logger.warn({ actor: input.actor.email, reason: input.reason }, 'trading HALTED');

  // The state commit waited for any in-flight submission (it holds the row FOR SHARE), so the broker
  // now has every order we will ever have sent; cancel them all.
  const cancellations = await deps.broker.cancelAllOrders();
  const canceledOrders: string[] = [];
  for (const u of cancellations) {
    try {
      await applyTradeUpdate(deps, u);
      canceledOrders.push(u.clientOrderId);
    } catch (e) {
      deps.logger.error({ err: e, clientOrderId: u.clientOrderId }, 'could not record a cancellation');
    }
  }
  const stillOpen = (await deps.broker.listOpenOrders()).map((o) => o.clientOrderId);
  await deps.prisma.auditLog.create({
    data: {
      at: deps.clock.now(),
      actorId: input.actor.id,
      actorEmail: input.actor.email,
      action: 'orders.cancel-all',
      reason: input.reason,
      after: { canceled: canceledOrders, stillOpenAtBroker: stillOpen },
    },
  });
  await deps.events.publish('audit');
  return { state: 'HALTED', changed, canceledOrders, stillOpen };
}

/** Stop entries: REDUCING (exits still allowed). Traders and admins; never loosens a HALT. */
export async function stopEntries(deps: Deps, input: { actor: TActor; reason: string }) {
  if (input.actor.role === 'viewer') throw new ForbiddenError('viewers cannot stop entries');
  const r = await deps.prisma.$transaction(async (tx) => {
    const state = await lockTradingState(tx, 'update');
    if (state === 'HALTED') throw new ForbiddenError('trading is HALTED: stopping entries would loosen it; an admin resumes first');
    return changeTradingState(tx, { to: 'REDUCING', actor: input.actor, reason: input.reason, action: 'trading.stop-entries', at: deps.clock.now() });
  });
  await deps.events.publish('trading-state');
  await deps.events.publish('audit');
  deps.logger.warn({ actor: input.actor.email, reason: input.reason }, 'entries stopped (REDUCING)');
  return { state: r.after.state, changed: r.changed };
}

export async function resumeTrading(deps: Deps, input: { actor: TActor; reason: string }) {
  if (input.actor.role !== 'admin') throw new ForbiddenError('only an admin can resume trading');
  const r = await deps.prisma.$transaction((tx) =>
    changeTradingState(tx, { to: 'ACTIVE', actor: input.actor, reason: input.reason, action: 'trading.resume', at: deps.clock.now() }),
  );
  await deps.events.publish('trading-state');
  deps.logger.warn({ actor: input.actor.email, reason: input.reason }, 'trading resumed (ACTIVE)');
  return { state: r.after.state, changed: r.changed };
}
