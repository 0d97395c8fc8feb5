// The emergency controls on the trading state: stop entries (REDUCING), HALT (HALTED + every open order cancelled at
// the broker and in our books, verified with the broker), cancel all orders (state unchanged), and resume (admin,
// only after a clean reconciliation). Each is audited, recorded step by step (emergency-progress.ts) and raises an
// alert. Liquidation and the broker-side suspend build on these: liquidate.ts, broker-suspend.ts.
import type { TActor, TCancelAllResult, THaltResult, TStillOpenOrder, TTradeUpdate, TTradingState } from '@ai-trader/contracts';
import type { BrokerOpenOrder, Deps } from '../ports.ts';
import { raiseAlert, resolveAlert, type AlertLevel } from './alerts.ts';
import { applyTradeUpdates } from './apply-trade-update.ts';
import { TradeRequestError } from './close-position.ts';
import { startProgress, type OnStep, type Progress } from './emergency-progress.ts';
import { lastReconciliation, reconcile, type Drift } from './reconcile.ts';
import { changeTradingState, getTradingState, lockTradingState } from './trading-state.ts';

export class ForbiddenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ForbiddenError';
  }
}

const WORKING = ['pending_new', 'new', 'partially_filled'] as const;
const isSystem = (a: TActor) => a.id.startsWith('system:');

/** The alert every operator's emergency action raises (system actors — breakers — raise their own). Resuming
 *  resolves the earlier ones; any other action resolves an open "resumed" alert. */
export async function emergencyAlert(deps: Deps, action: string, level: AlertLevel, actor: TActor, message: string, details: Record<string, unknown> = {}): Promise<void> {
  if (isSystem(actor)) return;
  try {
    await raiseAlert(deps, { key: `emergency.${action}`, level, source: 'emergency', message: `${message} (by ${actor.email})`, details: { action, actor: actor.email, ...details } });
    if (action === 'resume') {
      for (const k of ['halt', 'liquidate', 'suspend', 'unsuspend', 'stop-entries', 'cancel-all']) await resolveAlert(deps, `emergency.${k}`, `trading resumed by ${actor.email}`);
    } else await resolveAlert(deps, 'emergency.resume', `superseded by ${action} (${actor.email})`);
  } catch (e) {
    // The action itself has happened; an alert that cannot be written must not turn it into a failure.
    deps.logger.error({ err: (e as Error).message, action }, 'could not raise the alert of an emergency action');
  }
}

/** Commits HALTED (audited `trading.halt`), waiting for any submission in flight: after it, nothing is sent. */
export async function commitHalt(deps: Deps, actor: TActor, reason: string): Promise<{ changed: boolean; before: TTradingState }> {
  const r = await deps.prisma.$transaction((tx) => changeTradingState(tx, { to: 'HALTED', actor, reason, action: 'trading.halt', at: deps.clock.now() }));
  await deps.events.publish('trading-state');
  deps.logger.warn({ actor: actor.email, reason }, 'trading HALTED');
  return { changed: r.changed, before: r.before.state };
}

/** Applies trade updates through the normal path (applyTradeUpdates: the same steps, in batches). Returns the client
 *  order ids of those recorded (now or before: a repeat), and how many changed our books now; failures are logged and
 *  left to reconciliation. */
export async function bookUpdates(deps: Deps, updates: readonly TTradeUpdate[], what: string): Promise<{ booked: string[]; applied: number }> {
  if (!updates.length) return { booked: [], applied: 0 };
  const { outcomes } = await applyTradeUpdates(deps, updates);
  const booked: string[] = [];
  let applied = 0;
  outcomes.forEach((o, i) => {
    const u = updates[i]!;
    if (o instanceof Error) deps.logger.error({ err: o.message, clientOrderId: u.clientOrderId, event: u.event }, `could not record ${what}`);
    else if (o !== 'ignored') booked.push(u.clientOrderId);
    if (o === 'applied') applied++;
  });
  return { booked, applied };
}

/** Why an order the broker lists is still open, in words an operator can act on. */
export function whyStillOpen(o: BrokerOpenOrder, closing: ReadonlySet<string> = new Set()): TStillOpenOrder {
  const status = o.status ?? null;
  let why: string;
  if (closing.has(o.clientOrderId))
    why = status === 'accepted' || status === 'pending_new'
      ? `closing order of ${o.symbol} ${status} at the broker, not yet working (market closed? it waits for the open)`
      : `closing order of ${o.symbol} ${status ?? 'open'} at the broker: ${o.filledQty} of ${o.qty} filled so far`;
  else if (status === 'pending_cancel') why = 'cancel requested; the broker has not confirmed it yet';
  else if (o.clientOrderId.startsWith('ait-')) why = `ours; the broker did not confirm its cancellation (status ${status ?? 'open'})`;
  else why = 'not placed by ai-trader (placed by hand or another program at the broker): cancel it there';
  return { clientOrderId: o.clientOrderId, symbol: o.symbol, side: o.side, qty: o.qty, filledQty: o.filledQty, status, why };
}

/** Every open order cancelled at the broker, the confirmed cancellations booked, what is still open read back (a step). */
export async function cancelAllAndVerify(deps: Deps, progress: Progress): Promise<{ canceled: string[]; stillOpen: TStillOpenOrder[] }> {
  const cancellations = await deps.broker.cancelAllOrders();
  const { booked: canceled } = await bookUpdates(deps, cancellations, 'a cancellation');
  const stillOpen = (await deps.broker.listOpenOrders()).map((o) => whyStillOpen(o));
  progress.step('orders-cancelled', stillOpen.length === 0,
    `${cancellations.length} open order(s) cancelled at the ${deps.broker.name} broker; ${stillOpen.length === 0 ? 'it reports none open' : `still open: ${stillOpen.map((o) => `${o.clientOrderId} (${o.why})`).join('; ')}`}`);
  return { canceled, stillOpen };
}

async function auditCancelAll(deps: Deps, actor: TActor, reason: string, r: { canceled: string[]; stillOpen: TStillOpenOrder[] }, state: TTradingState) {
  await deps.prisma.auditLog.create({
    data: {
      at: deps.clock.now(), actorId: actor.id, actorEmail: actor.email, action: 'orders.cancel-all', reason,
      after: { canceled: r.canceled, stillOpenAtBroker: r.stillOpen.map((o) => o.clientOrderId), stillOpen: r.stillOpen, state },
    },
  });
  await deps.events.publish('audit');
}

export async function haltTrading(deps: Deps, input: { actor: TActor; reason: string; onStep?: OnStep }): Promise<THaltResult> {
  if (input.actor.role === 'viewer') throw new ForbiddenError('viewers cannot halt trading');
  const progress = startProgress(deps, { action: 'halt', actor: input.actor, reason: input.reason, onStep: input.onStep });
  const { changed } = await commitHalt(deps, input.actor, input.reason);
  progress.step('halted', true, changed ? 'trading state HALTED: no new order is sent from here' : 'trading was already HALTED');
  // The state commit waited for any in-flight submission (it holds the row FOR SHARE), so the broker now has every
  // order we will ever have sent; cancel them all.
  let r: Awaited<ReturnType<typeof cancelAllAndVerify>>;
  try {
    r = await cancelAllAndVerify(deps, progress);
  } catch (e) {
    progress.step('failed', false, `HALTED, but the orders could not be cancelled at the broker: ${(e as Error).message}`);
    await progress.finish(false, 'HALTED; cancelling at the broker failed');
    await emergencyAlert(deps, 'halt', 'critical', input.actor, `trading HALTED, but cancelling the open orders at the broker failed: ${(e as Error).message}`, { reason: input.reason });
    throw e;
  }
  await auditCancelAll(deps, input.actor, input.reason, r, 'HALTED');
  await progress.finish(r.stillOpen.length === 0, `HALTED; ${r.canceled.length} order(s) cancelled; ${r.stillOpen.length ? `${r.stillOpen.length} still open at the broker` : 'nothing open at the broker'}`);
  await emergencyAlert(deps, 'halt', 'critical', input.actor, `trading HALTED: ${input.reason}; ${r.canceled.length} open order(s) cancelled${r.stillOpen.length ? `, ${r.stillOpen.length} still open at the broker` : ''}`, { reason: input.reason });
  return { state: 'HALTED', changed, canceledOrders: r.canceled, stillOpen: r.stillOpen.map((o) => o.clientOrderId) };
}

/** Cancel all orders: at the broker and in our books, verified; the trading state is left as it is. Admin only. */
export async function cancelAllOrders(deps: Deps, input: { actor: TActor; reason: string; onStep?: OnStep }): Promise<TCancelAllResult> {
  if (input.actor.role !== 'admin') throw new ForbiddenError('only an admin can cancel all orders');
  const progress = startProgress(deps, { action: 'cancel-all', actor: input.actor, reason: input.reason, onStep: input.onStep });
  const { state } = await getTradingState(deps.prisma);
  let r: Awaited<ReturnType<typeof cancelAllAndVerify>>;
  try {
    r = await cancelAllAndVerify(deps, progress);
  } catch (e) {
    progress.step('failed', false, `the broker could not cancel the orders: ${(e as Error).message}`);
    await progress.finish(false, 'cancelling at the broker failed');
    throw e;
  }
  await auditCancelAll(deps, input.actor, input.reason, r, state);
  await progress.finish(r.stillOpen.length === 0, `${r.canceled.length} order(s) cancelled; ${r.stillOpen.length ? `${r.stillOpen.length} still open at the broker` : 'nothing open at the broker'}; trading state ${state} (unchanged)`);
  await emergencyAlert(deps, 'cancel-all', 'warning', input.actor, `all orders cancelled: ${r.canceled.length}${r.stillOpen.length ? `, ${r.stillOpen.length} still open at the broker` : ''}; state ${state}`, { reason: input.reason });
  return { state, canceledOrders: r.canceled, stillOpen: r.stillOpen, steps: progress.steps };
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
  await emergencyAlert(deps, 'stop-entries', 'warning', input.actor, `entries stopped (REDUCING): ${input.reason}`, { reason: input.reason });
  return { state: r.after.state, changed: r.changed };
}

export interface ResumeReadiness {
  ok: boolean;
  /** Why not, in sentences an operator can act on (empty when ok). */
  problems: string[];
  reconciliation: { at: string; clean: boolean; ranNow: boolean; drift: Drift[]; suspect: Drift[] } | null;
}

const describeDrift = (d: Drift) => `${d.kind.replaceAll('_', ' ')} ${d.subject} (ours ${d.ours}, broker ${d.broker}${d.repaired ? '; set to the broker’s since' : ''})`;

/**
 * Whether trading may go ACTIVE again: the broker account is not suspended, and the last reconciliation is clean — no
 * confirmed drift and no difference waiting for its second look — and no older than RESUME_RECONCILE_MAX_AGE_SECONDS.
 * A pass that is too old, missing or not clean is run again first (it may have been settled since).
 */
export async function resumeReadiness(deps: Deps): Promise<ResumeReadiness> {
  const problems: string[] = [];
  if (deps.broker.isTradingSuspended) {
    const suspended = await deps.broker.isTradingSuspended().catch((e: unknown) => {
      problems.push(`could not ask the ${deps.broker.name} broker whether trading is suspended there: ${(e as Error).message}`);
      return false;
    });
    if (suspended) problems.push(`trading is suspended at the ${deps.broker.name} broker (suspend_trade): unsuspend it there first (ai-trader emergency unsuspend, or the console)`);
  }
  const maxAgeMs = deps.config.RESUME_RECONCILE_MAX_AGE_SECONDS * 1000;
  let last = await lastReconciliation(deps);
  let ranNow = false;
  const fresh = (at: string) => deps.clock.now().getTime() - Date.parse(at) <= maxAgeMs;
  if (!last || !fresh(last.at) || !last.clean || last.suspect.length) {
    try {
      await reconcile(deps);
      ranNow = true;
      last = await lastReconciliation(deps);
    } catch (e) {
      problems.push(`could not reconcile with the ${deps.broker.name} broker: ${(e as Error).message}`);
    }
  }
  if (last) {
    if (!last.clean) problems.push(`reconciliation at ${last.at} found drift with the broker: ${last.drift.slice(0, 5).map(describeDrift).join('; ')}${last.drift.length > 5 ? ` and ${last.drift.length - 5} more` : ''} — look at it (Risk page, reconcile.drift alert), then try again`);
    else if (last.suspect.length) problems.push(`reconciliation at ${last.at} saw ${last.suspect.length} difference(s) it has not confirmed yet: ${last.suspect.slice(0, 5).map(describeDrift).join('; ')} — an order in flight? try again in a few seconds`);
    else if (!fresh(last.at)) problems.push(`the last clean reconciliation (${last.at}) is older than ${deps.config.RESUME_RECONCILE_MAX_AGE_SECONDS} s`);
  } else if (!problems.length) problems.push('no reconciliation with the broker has run yet');
  return {
    ok: problems.length === 0, problems,
    reconciliation: last ? { at: last.at, clean: last.clean, ranNow, drift: last.drift, suspect: last.suspect } : null,
  };
}

export async function resumeTrading(deps: Deps, input: { actor: TActor; reason: string }) {
  if (input.actor.role !== 'admin') throw new ForbiddenError('only an admin can resume trading');
  const ready = await resumeReadiness(deps);
  if (!ready.ok) {
    deps.logger.warn({ actor: input.actor.email, problems: ready.problems }, 'resume refused');
    throw new TradeRequestError('CONFLICT', `cannot resume yet: ${ready.problems.join('; ')}`);
  }
  const r = await deps.prisma.$transaction((tx) =>
    changeTradingState(tx, { to: 'ACTIVE', actor: input.actor, reason: input.reason, action: 'trading.resume', at: deps.clock.now() }),
  );
  await deps.events.publish('trading-state');
  deps.logger.warn({ actor: input.actor.email, reason: input.reason }, 'trading resumed (ACTIVE)');
  await emergencyAlert(deps, 'resume', 'warning', input.actor, `trading resumed (ACTIVE): ${input.reason}`, { reason: input.reason, reconciledAt: ready.reconciliation?.at });
  return { state: r.after.state, changed: r.changed };
}

/** Our orders that can still trade (the liquidation compares them with what the broker lists). */
export async function workingOrders(deps: Pick<Deps, 'prisma'>) {
  return deps.prisma.order.findMany({ where: { status: { in: [...WORKING] } }, select: { clientOrderId: true, brokerOrderId: true, symbol: true, createdAt: true, status: true } });
}
