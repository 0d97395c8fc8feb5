// The last resort: trading suspended at the broker itself (Alpaca's account configuration suspend_trade; the sim keeps
// the same switch), so nothing can trade even if our own processes misbehave or die. Suspending HALTs first (our side
// stops at once), then throws the broker's switch, then cancels what is open; unsuspending only throws the switch back
// — trading stays HALTED until an admin resumes (which needs a clean reconciliation). Admin only, audited
// (broker.suspend / broker.unsuspend), with an alert.
import type { TActor, TBrokerStatus, TStillOpenOrder, TSuspendResult } from '@ai-trader/contracts';
import type { Deps } from '../ports.ts';
import { TradeRequestError } from './close-position.ts';
import { cancelAllAndVerify, commitHalt, emergencyAlert, ForbiddenError } from './emergency.ts';
import { startProgress, type OnStep } from './emergency-progress.ts';
import { getTradingState } from './trading-state.ts';

const msg = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** Whether the broker has a trading switch and where it stands (the console shows suspend or unsuspend). */
export async function brokerStatus(deps: Pick<Deps, 'broker'>): Promise<TBrokerStatus> {
  const b = deps.broker;
  if (!b.suspendTrading || !b.isTradingSuspended) return { broker: b.name, canSuspend: false, suspended: null, error: null };
  try {
    return { broker: b.name, canSuspend: true, suspended: await b.isTradingSuspended(), error: null };
  } catch (e) {
    return { broker: b.name, canSuspend: true, suspended: null, error: msg(e) };
  }
}

export async function setBrokerSuspended(deps: Deps, input: { actor: TActor; reason: string; suspend: boolean; onStep?: OnStep }): Promise<TSuspendResult> {
  const { actor, reason, suspend } = input;
  const verb = suspend ? 'suspend' : 'unsuspend';
  if (actor.role !== 'admin') throw new ForbiddenError(`only an admin can ${verb} trading at the broker`);
  const broker = deps.broker;
  if (!broker.suspendTrading) throw new TradeRequestError('CONFLICT', `the ${broker.name} broker has no switch to suspend trading`);
  const progress = startProgress(deps, { action: verb, actor, reason, onStep: input.onStep });
  const before = { suspended: await broker.isTradingSuspended?.().catch(() => null) ?? null, state: (await getTradingState(deps.prisma)).state };
  let canceled: string[] = [];
  let stillOpen: TStillOpenOrder[] = [];
  let suspended: boolean;
  try {
    if (suspend) {
      const h = await commitHalt(deps, actor, `suspend at the broker: ${reason}`);
      progress.step('halted', true, h.changed ? 'trading state HALTED: no new order is sent from here' : 'trading was already HALTED');
    }
    suspended = await broker.suspendTrading(suspend);
    progress.step(suspend ? 'suspended' : 'unsuspended', suspended === suspend,
      suspend ? `the ${broker.name} broker now refuses every new order on the account (suspend_trade on)` : `the ${broker.name} broker takes orders again (suspend_trade off); trading stays ${before.state === 'ACTIVE' ? 'ACTIVE' : `${(await getTradingState(deps.prisma)).state} until an admin resumes`}`);
    if (suspend) ({ canceled, stillOpen } = await cancelAllAndVerify(deps, progress));
  } catch (e) {
    progress.step('failed', false, `${verb} at the broker failed: ${msg(e)}`);
    await progress.finish(false, `${verb} failed: ${msg(e)}`);
    await deps.prisma.auditLog.create({ data: { at: deps.clock.now(), actorId: actor.id, actorEmail: actor.email, action: `broker.${verb}-failed`, reason, before, after: { error: msg(e) } } });
    await deps.events.publish('audit');
    if (suspend) await emergencyAlert(deps, verb, 'critical', actor, `suspending trading at the ${broker.name} broker FAILED: ${msg(e)}`, { reason });
    throw e;
  }
  const state = (await getTradingState(deps.prisma)).state;
  const changed = before.suspended !== suspended;
  await deps.prisma.auditLog.create({
    data: {
      at: deps.clock.now(), actorId: actor.id, actorEmail: actor.email, action: `broker.${verb}`, reason, before,
      after: { suspended, state, broker: broker.name, ...(suspend ? { canceled, stillOpen } : {}) },
    },
  });
  await deps.events.publish('audit');
  const outcome = suspend
    ? `trading suspended at the ${broker.name} broker; HALTED; ${canceled.length} order(s) cancelled${stillOpen.length ? `, ${stillOpen.length} still open` : ''}`
    : `trading unsuspended at the ${broker.name} broker; state ${state}`;
  await progress.finish(suspended === suspend && stillOpen.length === 0, outcome);
  await emergencyAlert(deps, verb, suspend ? 'critical' : 'warning', actor, outcome, { reason, changed });
  return { broker: broker.name, suspended, changed, state, canceledOrders: canceled, stillOpen, steps: progress.steps };
}
