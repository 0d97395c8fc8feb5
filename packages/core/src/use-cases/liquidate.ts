// Emergency liquidation: HALT first (from its commit no new order reaches the broker), then every open order cancelled
// and every position closed at the broker, then the broker asked again and again until it reports nothing open or
// LIQUIDATE_VERIFY_TIMEOUT_SECONDS pass — and what is still open is reported with the reason. Only then are our books
// brought up to what the broker reported, through the normal trade-update path (cancellations, the closing orders'
// fills), so positions, cash and P&L stay exact. Admin only, one at a time, audited (emergency.liquidate) with a
// critical alert. Pressing it twice is harmless: the second finds nothing open and says so.
import { randomUUID } from 'node:crypto';
import type { TActor, TClosingOrder, TLiquidateResult, TStillOpenOrder, TStillOpenPosition, TTradeUpdate } from '@ai-trader/contracts';
import { dec, inRegularSession } from '@ai-trader/domain';
import { latestCloses } from '../infra/latest-bars.ts';
import type { BrokerOpenOrder, BrokerPort, BrokerPosition, ClosingOrderOutcome, Deps } from '../ports.ts';
import { TradeRequestError } from './close-position.ts';
import { bookUpdates, commitHalt, emergencyAlert, ForbiddenError, whyStillOpen, workingOrders } from './emergency.ts';
import { startProgress, takeEmergencyLock, type OnStep } from './emergency-progress.ts';

/** The strategy name of the signals that stand for the closing orders the broker placed (our books need a decision
 *  and an intent behind every order; these were decided by an operator, not by risk). */
export const LIQUIDATE_STRATEGY = 'liquidate';

/** Counts the calls made to the broker during one action (the benchmark's and the audit row's "broker requests"). */
function countingBroker(broker: BrokerPort): { broker: BrokerPort; calls: () => number } {
  let calls = 0;
  const proxy = new Proxy(broker, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        calls++;
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { broker: proxy, calls: () => calls };
}

const msg = (e: unknown) => (e instanceof Error ? e.message : String(e));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Seen {
  open: BrokerOpenOrder[];
  positions: BrokerPosition[];
}

export async function emergencyLiquidate(deps: Deps, input: { actor: TActor; reason: string; onStep?: OnStep }): Promise<TLiquidateResult> {
  const t0 = performance.now();
  if (input.actor.role !== 'admin') throw new ForbiddenError('only an admin can liquidate');
  if (!deps.broker.closeAllPositions || !deps.broker.positions) throw new TradeRequestError('CONFLICT', `the ${deps.broker.name} broker cannot close all positions`);
  const timeoutMs = deps.config.LIQUIDATE_VERIFY_TIMEOUT_SECONDS * 1000;
  const holder = `liquidate by ${input.actor.email} since ${deps.clock.now().toISOString()}`;
  const lock = await takeEmergencyLock(deps, holder, timeoutMs + 120_000);
  if ('heldBy' in lock) throw new TradeRequestError('CONFLICT', `a liquidation is already running (${lock.heldBy}): its steps are shown on the console; nothing more was done`);
  try {
    return await liquidate(deps, input, t0, timeoutMs);
  } finally {
    await lock.release();
  }
}

async function liquidate(deps: Deps, input: { actor: TActor; reason: string; onStep?: OnStep }, t0: number, timeoutMs: number): Promise<TLiquidateResult> {
  const { actor, reason } = input;
  const counted = countingBroker(deps.broker);
  const broker = counted.broker;
  const d: Deps = { ...deps, broker };
  const progress = startProgress(deps, { action: 'liquidate', actor, reason, onStep: input.onStep, startedAt: t0 });
  const started = deps.clock.now();
  const errors: string[] = [];

  // 1. HALT: nothing new goes out from the commit on (a submission in flight finishes first and is cancelled below).
  let halt: Awaited<ReturnType<typeof commitHalt>>;
  try {
    halt = await commitHalt(deps, actor, `emergency liquidate: ${reason}`);
  } catch (e) {
    progress.step('failed', false, `could not HALT: ${msg(e)}; nothing was sent to the broker`);
    await progress.finish(false, 'not halted; nothing done');
    throw e;
  }
  const haltedMs = progress.elapsed();
  progress.step('halted', true, halt.changed ? 'trading state HALTED: no new order is sent from here' : 'trading was already HALTED');
  const before = { state: halt.before, positions: await ourPositions(deps), workingOrders: (await workingOrders(deps)).length };

  // 2. Cancel every open order (the broker reports which it confirmed: they are booked below).
  const canceled: TTradeUpdate[] = [];
  try {
    canceled.push(...(await broker.cancelAllOrders()));
    progress.step('orders-cancelled', true, canceled.length ? `${canceled.length} open order(s) cancelled at the ${broker.name} broker` : 'no open order at the broker');
  } catch (e) {
    errors.push(`cancel all orders: ${msg(e)}`);
    progress.step('orders-cancelled', false, `the broker did not answer the cancel-all (${msg(e)}); closing the positions cancels what is left`);
  }

  // 3. Close every position; a call that fails as a whole is asked again while verifying.
  const closing = new Map<string, ClosingOrderOutcome>(); // by symbol: the latest outcome
  const placed: Array<ClosingOrderOutcome & { attempt: number }> = []; // every closing order placed, for our books
  const fills: TTradeUpdate[] = [];
  let closeAsked = false;
  let attempts = 0;
  const askClose = async (): Promise<boolean> => {
    const attempt = attempts++;
    try {
      const r = await broker.closeAllPositions!();
      closeAsked = true;
      for (const c of r.closing) {
        closing.set(c.symbol, c);
        if (c.order) placed.push({ ...c, attempt });
      }
      fills.push(...r.fills);
      canceled.push(...r.canceled);
      const refused = r.closing.filter((c) => !c.ok);
      progress.step('positions-closing', refused.length === 0,
        r.closing.length === 0 ? 'no position at the broker'
          : `${r.closing.length - refused.length} closing order(s) placed${refused.length ? `; refused for ${refused.map((c) => `${c.symbol} (${c.reason})`).join('; ')}` : ''}${r.fills.length ? `; ${r.fills.length} filled at once` : ''}`);
      return true;
    } catch (e) {
      errors.push(`close all positions: ${msg(e)}`);
      progress.step('positions-closing', false, `the broker did not answer the close-all (${msg(e)}); asking again while verifying`);
      return false;
    }
  };
  await askClose();

  // 4. Verify with the broker until nothing is open or the deadline.
  const deadline = t0 + timeoutMs;
  let seen: Seen | null = null;
  let passes = 0;
  let flatMs: number | null = null;
  let lastError: string | null;
  for (let wait = 50; ; wait = Math.min(wait * 2, 1000)) {
    passes++;
    try {
      const [open, positions] = await Promise.all([broker.listOpenOrders(), broker.positions!()]);
      seen = { open, positions: positions.filter((p) => !dec(p.qty).isZero()) };
      lastError = null;
    } catch (e) {
      lastError = msg(e);
    }
    if (seen && !lastError && !seen.open.length && !seen.positions.length) {
      flatMs = progress.elapsed();
      break;
    }
    if (performance.now() >= deadline) break;
    if (passes === 1) progress.step('verifying', true, `${describeSeen(seen, lastError)}; asking again until ${Math.round(timeoutMs / 1000)} s have passed`);
    // A close-all that failed (or left positions without any order working for them, after a transient refusal) is asked again.
    if (!closeAsked || (seen && needsCloseAgain(seen, closing))) await askClose();
    await sleep(Math.min(wait, Math.max(0, deadline - performance.now())));
  }
  if (lastError) errors.push(`verification: ${lastError}`);
  const closingIds = new Set(placed.map((c) => c.order!.clientOrderId));
  const stillOpen = flatMs !== null ? { orders: [], positions: [] } : await explainStillOpen(deps, seen, lastError, closing, closingIds);
  if (flatMs !== null) progress.step('verified-flat', true, `the ${broker.name} broker reports no open order and no position (${passes} check(s))`);
  else progress.step('still-open', false, stillOpenSentence(stillOpen, lastError));

  // 5. Our books: cancellations, the closing orders (a decision and intent behind each) and their fills.
  const booking = await bookWhatHappened(d, { actor, reason, started, canceled, placed, fills, seen: flatMs !== null ? { open: [], positions: [] } : seen });
  progress.step('booked', booking.books.flat === (flatMs !== null),
    `our books: ${booking.canceled} cancellation(s) and ${booking.fillsBooked} fill(s) recorded; ${booking.books.flat ? 'no open position' : `positions still open in our books: ${booking.books.positions.map((p) => `${p.symbol} ${p.qty}`).join(', ')}`}${booking.unexplained.length ? `; ${booking.unexplained.length} order(s) working in our books but not at the broker, left to reconciliation` : ''}`);

  const nothingToDo = canceled.length === 0 && closing.size === 0 && flatMs !== null && passes === 1;
  const result: TLiquidateResult = {
    runId: progress.runId, state: 'HALTED', nothingToDo, flat: flatMs !== null, canceledOrders: canceled.length,
    closing: [...closing.values()].map((c): TClosingOrder => ({
      symbol: c.symbol, positionQty: c.positionQty ?? '0', side: c.order?.side ?? null, clientOrderId: c.order?.clientOrderId ?? null,
      status: c.order?.status ?? null, error: c.ok ? null : (c.reason ?? 'refused'),
    })),
    stillOpen, books: booking.books,
    timings: { haltedMs: round(haltedMs), flatMs: flatMs === null ? null : round(flatMs), totalMs: round(progress.elapsed()) },
    brokerCalls: counted.calls(), verifyPasses: passes, steps: progress.steps,
  };
  const outcome = nothingToDo ? 'nothing to do: the broker had no open order and no position'
    : result.flat ? `flat, verified with the broker${booking.books.flat ? '' : ' (our books differ: see the booked step)'}`
      : stillOpenSentence(stillOpen, lastError);
  await deps.prisma.auditLog.create({
    data: {
      at: deps.clock.now(), actorId: actor.id, actorEmail: actor.email, action: 'emergency.liquidate', reason,
      before: { ...before, positions: before.positions.slice(0, 500) },
      after: {
        runId: result.runId, flat: result.flat, nothingToDo, canceledOrders: result.canceledOrders, closing: result.closing, stillOpen,
        books: booking.books, unexplained: booking.unexplained, timings: result.timings, brokerCalls: result.brokerCalls, errors,
      },
    },
  });
  await deps.events.publish('audit');
  await progress.finish(result.flat, outcome);
  await emergencyAlert(deps, 'liquidate', 'critical', actor, `emergency liquidation: ${outcome}`, {
    reason, runId: result.runId, flat: result.flat, closed: result.closing.length, stillOpen: { orders: stillOpen.orders.length, positions: stillOpen.positions.length },
  });
  return result;
}

const round = (ms: number) => Math.round(ms * 10) / 10;

function describeSeen(seen: Seen | null, error: string | null): string {
  if (!seen) return `the broker could not be asked (${error})`;
  return `the broker still reports ${seen.open.length} open order(s) and ${seen.positions.length} position(s)${error ? ` (last check failed: ${error})` : ''}`;
}

/** A position left with no order working for it, whose close failed for a reason that may pass (5xx, 429), is asked again. */
function needsCloseAgain(seen: Seen, closing: Map<string, ClosingOrderOutcome>): boolean {
  const working = new Set(seen.open.map((o) => o.symbol));
  return seen.positions.some((p) => {
    if (working.has(p.symbol)) return false;
    const c = closing.get(p.symbol);
    return !c || (!c.ok && c.retryable === true);
  });
}

async function explainStillOpen(deps: Deps, seen: Seen | null, error: string | null, closing: Map<string, ClosingOrderOutcome>, closingIds: Set<string>): Promise<{ orders: TStillOpenOrder[]; positions: TStillOpenPosition[] }> {
  if (!seen) return { orders: [], positions: [] };
  let market = '';
  if (seen.positions.length && deps.broker.marketClock) {
    const c = await deps.broker.marketClock().catch(() => null);
    if (c && !c.isOpen) market = `; the market is closed (next open ${c.nextOpen ?? 'unknown'}): market orders wait for it`;
  } else if (seen.positions.length && deps.broker.marketTime) {
    const t = await deps.broker.marketTime().catch(() => null);
    if (!t || !inRegularSession(t, 5)) market = `; the simulated market is closed at its market time (${t?.toISOString() ?? 'no bar yet'}): the order fills on the next session's bars`;
  }
  const openBySymbol = new Map<string, BrokerOpenOrder[]>();
  for (const o of seen.open) openBySymbol.set(o.symbol, [...(openBySymbol.get(o.symbol) ?? []), o]);
  const positions = seen.positions.map((p): TStillOpenPosition => {
    const c = closing.get(p.symbol);
    const working = (openBySymbol.get(p.symbol) ?? []).filter((o) => closingIds.has(o.clientOrderId));
    let why: string;
    if (working.length) why = `closing order ${working.map((o) => `${o.clientOrderId} ${o.status ?? 'open'}, ${o.filledQty} of ${o.qty} filled`).join(', ')}${market}`;
    else if (c && !c.ok) why = `the broker refused to close it: ${c.reason ?? 'no reason given'}`;
    else if (c?.order) why = `its closing order ${c.order.clientOrderId} is no longer open but the position remains (partly filled, or cancelled at the broker)`;
    else why = 'the broker placed no closing order for it (the position appeared after the close-all, or the close-all failed)';
    return { symbol: p.symbol, qty: p.qty, why: error ? `${why} (last check failed: ${error})` : why };
  });
  return { orders: seen.open.map((o) => whyStillOpen(o, closingIds)), positions };
}

function stillOpenSentence(s: { orders: TStillOpenOrder[]; positions: TStillOpenPosition[] }, error: string | null): string {
  if (!s.orders.length && !s.positions.length) return `not verified: the broker could not be asked (${error ?? 'no answer'})`;
  const pos = s.positions.slice(0, 10).map((p) => `${p.symbol} ${p.qty} — ${p.why}`).join('; ');
  const ord = s.orders.slice(0, 10).map((o) => `${o.clientOrderId} (${o.side} ${o.qty} ${o.symbol}) — ${o.why}`).join('; ');
  return `NOT flat at the deadline: ${s.positions.length} position(s) still open${pos ? ` (${pos}${s.positions.length > 10 ? '; …' : ''})` : ''}, ${s.orders.length} order(s) still open${ord ? ` (${ord}${s.orders.length > 10 ? '; …' : ''})` : ''}`;
}

async function ourPositions(deps: Pick<Deps, 'prisma'>): Promise<{ symbol: string; qty: string }[]> {
  const rows = await deps.prisma.position.findMany({ where: { qty: { not: 0 } }, select: { symbol: true, qty: true }, orderBy: { symbol: 'asc' } });
  return rows.map((p) => ({ symbol: p.symbol, qty: p.qty.toFixed() }));
}

/**
 * Brings our books up to what the broker reported: the confirmed cancellations; the closing orders, each entered
 * with a signal, an approved decision (by the operator, not risk) and an intent; their fills — those the broker
 * reported with the close, then the rest from its trade updates since the start; then, for our orders still
 * working in our books but not open at the broker, what happened to them. Whatever cannot be explained is left to
 * reconciliation and listed.
 */
async function bookWhatHappened(deps: Deps, x: { actor: TActor; reason: string; started: Date; canceled: TTradeUpdate[]; placed: Placed[]; fills: TTradeUpdate[]; seen: Seen | null }) {
  const canceledBooked = (await bookUpdates(deps, x.canceled, 'a cancellation')).booked;
  await registerClosingOrders(deps, x);
  let fillsBooked = (await bookUpdates(deps, x.fills, 'a closing fill')).applied;
  const stillOpenIds = new Set(x.seen?.open.map((o) => o.clientOrderId) ?? []);
  const unexplained = async () => x.seen ? (await workingOrders(deps)).filter((o) => !stillOpenIds.has(o.clientOrderId)) : [];
  let missing = await unexplained();
  if (missing.length && deps.broker.tradeUpdatesSince) {
    const since = new Date(Math.min(x.started.getTime(), ...missing.map((o) => o.createdAt.getTime())) - 1000).toISOString();
    try {
      // Fills first (one listing at Alpaca); only what that leaves unexplained is looked up order by order.
      const fillsOf = new Map(missing.flatMap((o) => (o.brokerOrderId ? [[o.brokerOrderId, o.clientOrderId] as const] : [])));
      fillsBooked += (await bookUpdates(deps, (await deps.broker.tradeUpdatesSince(since, [], fillsOf)).filter((u) => fillsOf.has(u.brokerOrderId)), 'a fill')).applied;
      missing = await unexplained();
      if (missing.length) {
        const ids = new Set(missing.map((o) => o.clientOrderId));
        const updates = (await deps.broker.tradeUpdatesSince(since, [...ids])).filter((u) => ids.has(u.clientOrderId));
        fillsBooked += (await bookUpdates(deps, updates.filter((u) => u.event === 'fill' || u.event === 'partial_fill'), 'a fill')).applied;
        await bookUpdates(deps, updates.filter((u) => u.event !== 'fill' && u.event !== 'partial_fill'), 'what happened to an order');
        missing = await unexplained();
      }
    } catch (e) {
      deps.logger.error({ err: msg(e) }, 'liquidation: could not read the trade updates from the broker; reconciliation will');
    }
  }
  await deps.events.publish('position');
  await deps.events.publish('order');
  const positions = await ourPositions(deps);
  return {
    canceled: canceledBooked.length, fillsBooked,
    books: { flat: positions.length === 0, positions, fillsBooked },
    unexplained: missing.map((o) => ({ clientOrderId: o.clientOrderId, symbol: o.symbol, status: o.status })),
  };
}

type Placed = ClosingOrderOutcome & { attempt: number };

/** Enters the broker's closing orders in our books (one transaction), so their fills apply as any order's do. A signal
 *  is unique per symbol and time: the n-th close-all of a run stands at the run's start + n ms. */
async function registerClosingOrders(deps: Deps, x: { actor: TActor; reason: string; started: Date; placed: Placed[] }): Promise<void> {
  const placed = x.placed.filter((c): c is Placed & { order: NonNullable<ClosingOrderOutcome['order']> } => !!c.order);
  if (!placed.length) return;
  const known = new Set((await deps.prisma.order.findMany({ where: { clientOrderId: { in: placed.map((c) => c.order.clientOrderId) } }, select: { clientOrderId: true } })).map((o) => o.clientOrderId));
  const fresh = placed.filter((c) => !known.has(c.order.clientOrderId));
  if (!fresh.length) return;
  const px = await latestCloses(deps, fresh.map((c) => c.symbol), '5m').catch(() => new Map<string, string>());
  const avg = new Map((await deps.prisma.position.findMany({ where: { symbol: { in: fresh.map((c) => c.symbol) } }, select: { symbol: true, avgCost: true } })).map((p) => [p.symbol, p.avgCost.toFixed()]));
  const rows = fresh.map((c) => ({ c, signalId: randomUUID(), decisionId: randomUUID(), intentId: randomUUID(), price: px.get(c.symbol) ?? avg.get(c.symbol) ?? '0' }));
  const now = deps.clock.now();
  const who = { id: x.actor.id, email: x.actor.email };
  await deps.prisma.$transaction(async (tx) => {
    await tx.signal.createMany({
      data: rows.map((r) => ({
        id: r.signalId, strategy: LIQUIDATE_STRATEGY, symbol: r.c.symbol, barTs: new Date(x.started.getTime() + r.c.attempt), side: r.c.order.side, price: r.price,
        detail: { exitReason: LIQUIDATE_STRATEGY, actor: who, reason: x.reason, closingOrder: r.c.order.clientOrderId },
      })),
    });
    await tx.riskDecision.createMany({
      data: rows.map((r) => ({
        id: r.decisionId, signalId: r.signalId, outcome: 'APPROVED' as const,
        message: `emergency liquidation by ${x.actor.email}: the broker placed this closing order itself (close all positions); not decided by risk`,
      })),
    });
    await tx.orderIntent.createMany({
      data: rows.map((r) => ({
        id: r.intentId, riskDecisionId: r.decisionId, symbol: r.c.symbol, side: r.c.order.side, qty: r.c.order.qty, refPrice: r.price, isEntry: false,
        status: 'SUBMITTED' as const, statusReason: 'emergency liquidate', exitReason: LIQUIDATE_STRATEGY,
      })),
    });
    await tx.order.createMany({
      data: rows.map((r) => ({
        intentId: r.intentId, clientOrderId: r.c.order.clientOrderId, brokerOrderId: r.c.order.brokerOrderId, broker: deps.broker.name, symbol: r.c.symbol,
        side: r.c.order.side, qty: r.c.order.qty, status: 'new' as const, submittedAt: now,
      })),
    });
  });
  await deps.events.publish('order');
}
