// The engine's watch over exits: every new bar of a symbol we hold is checked against the position's stop-loss,
// take-profit and trailing stop (armed by the entry's fill, see apply-trade-update.ts). A bar that crosses one
// becomes an exit Signal (strategy "exits", unique per symbol and bar) that goes through risk like any other —
// exits pass in REDUCING — and the sim or real broker sells at market. Bars that began before the fill are not
// judged (the low of the fill's own bar may have come before it), so replay and backtest agree to the cent.
//
// With a broker that keeps stops working on its side (BrokerPort.protectiveStops: Alpaca), a completed entry also
// places ONE protective SELL there for the whole position (protectPosition): a trailing stop when one is configured,
// else the stop-loss. A crossing of that order's own level is then the broker's to execute; if the position is still
// open on a later bar, it did not: a critical alert, the order is cancelled and the engine sells at market. Any other
// exit (take-profit, a stop-loss above a trailing order) first cancels the protective order, confirmed by the broker;
// if it filled meanwhile nothing more is sent. Never two SELLs working for one position.
import type { TTimeframe } from '@ai-trader/contracts';
import { TIMEFRAME_TABLE } from '@ai-trader/db';
import { checkExit, dec, decStr, type Dec, type ExitReason } from '@ai-trader/domain';
import type { Deps } from '../ports.ts';
import { raiseAlert } from './alerts.ts';
import { clientOrderIdFor } from './submit-intent.ts';

export const EXITS_STRATEGY = 'exits';
/** The exitReason of a protective order (signal detail and intent). */
export const PROTECTIVE_STOP = 'protective_stop';
const WORKING = ['pending_new', 'new', 'partially_filled'] as const;

type WatchDeps = Pick<Deps, 'prisma' | 'pool' | 'jobs' | 'logger' | 'events' | 'broker' | 'clock' | 'config' | 'redis'>;
type CancelDeps = Pick<Deps, 'prisma' | 'broker' | 'logger' | 'events'>;

export interface ExitWatch {
  trigger: { reason: ExitReason; level: string; message: string; signalId: string | null } | null;
}

const d = (v: { toString(): string } | null) => (v === null ? null : dec(v.toString()));
/** The trailing stop's level under a high-water mark, to the cent (as checkExit prices it). */
const trailLevel = (highWater: Dec, pct: Dec) => highWater.times(dec(1).minus(pct.div(100))).toDecimalPlaces(2);

/** SELL intents of the symbol still working: approved and unsent, or sent and not done. */
function workingSells(deps: Pick<Deps, 'prisma'>, symbol: string, onlyProtective = false) {
  return deps.prisma.orderIntent.findMany({
    where: {
      symbol, side: 'SELL', ...(onlyProtective ? { exitReason: PROTECTIVE_STOP } : {}),
      OR: [{ status: 'PENDING' }, { order: { status: { in: [...WORKING] } } }],
    },
    select: { id: true, status: true, exitReason: true, orderType: true, stopLoss: true, trailPct: true, triggerSeenAt: true },
  });
}
type WorkingSell = Awaited<ReturnType<typeof workingSells>>[number];

export async function watchExits(deps: WatchDeps, at: { symbol: string; timeframe: TTimeframe; ts: string }): Promise<ExitWatch> {
  const pos = await deps.prisma.position.findUnique({ where: { symbol: at.symbol } });
  if (!pos || pos.qty.lte(0) || !pos.exitsFrom || (!pos.stopPrice && !pos.targetPrice && !pos.trailPct)) return { trigger: null };
  const barTs = new Date(at.ts);
  if (barTs.getTime() <= pos.exitsFrom.getTime()) return { trigger: null };
  const { rows } = await deps.pool.query<{ high: string; low: string; close: string }>(
    `SELECT high::text, low::text, close::text FROM ${TIMEFRAME_TABLE[at.timeframe]} WHERE symbol = $1 AND ts = $2`, [at.symbol, barTs]);
  if (!rows[0]) return { trigger: null };
  const bar = { symbol: at.symbol, ...rows[0] };
  const c = checkExit(
    { qty: dec(pos.qty.toString()), stopPrice: d(pos.stopPrice), targetPrice: d(pos.targetPrice), trailPct: d(pos.trailPct), highWater: d(pos.highWater) },
    { high: dec(bar.high), low: dec(bar.low) },
  );
  // The high-water mark only rises (a bar replayed out of order cannot lower it).
  if (c.highWater && (!pos.highWater || c.highWater.gt(pos.highWater.toString()))) {
    await deps.prisma.$executeRaw`UPDATE positions SET "highWater" = GREATEST(COALESCE("highWater", 0), ${decStr(c.highWater)}::numeric), "updatedAt" = now() WHERE symbol = ${bar.symbol}`;
    await deps.events.publish('position'); // the trailing stop moved (the Positions page shows it)
  }

  const sells = await workingSells(deps, bar.symbol);
  const protective = sells.filter((s) => s.exitReason === PROTECTIVE_STOP);
  const others = sells.length - protective.length;
  // A protective order whose level an earlier bar crossed, and the position is still open: it did not execute.
  const overdue = others ? undefined : protective.find((s) => s.triggerSeenAt && s.triggerSeenAt.getTime() < barTs.getTime());
  if (overdue) return takeOver(deps, bar, barTs, overdue, d(pos.highWater));

  if (!c.trigger) return { trigger: null };
  const t = { reason: c.trigger.reason, level: c.trigger.level.toFixed(), message: c.trigger.message };
  // One exit at a time: while a sell of ours (other than a protective order) is working, a new trigger adds nothing.
  if (others) return { trigger: { ...t, signalId: null } };
  if (protective.length) {
    const low = dec(bar.low), hw = d(pos.highWater);
    const own = protective.find((s) =>
      s.orderType === 'stop' ? !!s.stopLoss && low.lte(s.stopLoss.toString()) : s.orderType === 'trailing_stop' && !!s.trailPct && !!hw && low.lte(trailLevel(hw, dec(s.trailPct.toString()))));
    if (own) {
      // The broker's to execute; the next bar checks that it did.
      await deps.prisma.orderIntent.updateMany({ where: { id: own.id, triggerSeenAt: null }, data: { triggerSeenAt: barTs } });
      deps.logger.info({ category: 'positions', symbol: bar.symbol, reason: t.reason, level: t.level, intentId: own.id }, `${exitTitle(t.reason)}: ${bar.symbol} (${t.message}); the broker-side ${own.orderType} executes it`);
      return { trigger: { ...t, signalId: null } };
    }
    if ((await cancelProtectiveStops(deps, bar.symbol, `${t.reason} crossed`)) === 'not_open') {
      deps.logger.info({ category: 'positions', symbol: bar.symbol, reason: t.reason }, `${t.reason.replace('_', ' ')}: the broker-side protective stop of ${bar.symbol} filled first; no exit sent`);
      return { trigger: { ...t, signalId: null } };
    }
  }
  return { trigger: { ...t, signalId: await sendExit(deps, bar, barTs, t) } };
}

/** The engine takes over a protective order that did not execute: alert, cancel it, sell at market. */
async function takeOver(deps: WatchDeps, bar: { symbol: string; close: string }, barTs: Date, o: WorkingSell, highWater: Dec | null): Promise<ExitWatch> {
  const clientOrderId = clientOrderIdFor(o.id);
  const reason: ExitReason = o.orderType === 'trailing_stop' ? 'trailing_stop' : 'stop_loss';
  const level = o.orderType === 'stop' ? (o.stopLoss?.toFixed() ?? '?') : highWater && o.trailPct ? trailLevel(highWater, dec(o.trailPct.toString())).toFixed() : '?';
  const seenAt = o.triggerSeenAt!.toISOString();
  const message = `broker-side stop of ${bar.symbol} did not execute: its level ${level} (${o.orderType}) was crossed on the bar of ${seenAt} and the position is still open; the engine cancels it and sells at market`;
  await raiseAlert(deps, { key: `exits.broker-stop:${clientOrderId}`, level: 'critical', source: 'exits', message, details: { symbol: bar.symbol, clientOrderId, orderType: o.orderType, level, seenAt, bar: barTs.toISOString() } });
  const t = { reason, level, message };
  if ((await cancelProtectiveStops(deps, bar.symbol, 'did not execute')) === 'not_open') {
    deps.logger.warn({ category: 'positions', symbol: bar.symbol, clientOrderId }, `the broker-side stop of ${bar.symbol} filled as it was being cancelled; no exit sent`);
    return { trigger: { ...t, signalId: null } };
  }
  return { trigger: { ...t, signalId: await sendExit(deps, bar, barTs, t) } };
}

/** The exit Signal of this bar (strategy "exits", sold at market) and its risk check. */
/** The runbook's words for an exit (`Stop triggered: SELL SPY @ 590.1 (…)`, in trading/positions.log). */
const exitTitle = (r: ExitReason) => (r === 'take_profit' ? 'Target reached' : r === 'trailing_stop' ? 'Stop triggered (trailing)' : 'Stop triggered');

async function sendExit(deps: WatchDeps, bar: { symbol: string; close: string }, barTs: Date, t: { reason: ExitReason; level: string; message: string }): Promise<string> {
  await deps.prisma.signal.createMany({
    data: [{ strategy: EXITS_STRATEGY, symbol: bar.symbol, barTs, side: 'SELL', price: bar.close, detail: { exitReason: t.reason, level: t.level, reason: t.message } }],
    skipDuplicates: true,
  });
  const signal = await deps.prisma.signal.findUniqueOrThrow({ where: { strategy_symbol_barTs: { strategy: EXITS_STRATEGY, symbol: bar.symbol, barTs } } });
  await deps.jobs.add('risk.check', { signalId: signal.id });
  await deps.events.publish('signal');
  deps.logger.info({ category: 'positions', symbol: bar.symbol, reason: t.reason, level: t.level, signalId: signal.id }, `${exitTitle(t.reason)}: SELL ${bar.symbol} @ ${dec(bar.close).toFixed()} (${t.message})`);
  return signal.id;
}

/**
 * Takes the symbol's protective orders off the broker before another exit (or a replacement) is sent: one not sent
 * yet is withdrawn (BLOCKED) — unless its submission holds the row, then it is cancelled at the broker like the rest.
 * 'canceled' once none of them can trade any more; 'not_open' when one filled first (its fills come as trade updates).
 * Our books learn of the cancellations from the broker's trade updates, as of any other.
 */
export async function cancelProtectiveStops(deps: CancelDeps, symbol: string, why: string): Promise<'canceled' | 'not_open'> {
  let outcome: 'canceled' | 'not_open' = 'canceled';
  for (const s of await workingSells(deps, symbol, true)) {
    if (s.status === 'PENDING') {
      const withdrawn = await deps.prisma.$executeRaw`
        UPDATE order_intents SET status = 'BLOCKED', "statusReason" = ${`protective stop withdrawn before it was sent: ${why}`}, "updatedAt" = now()
         WHERE id = ${s.id}::uuid AND status = 'PENDING' AND NOT EXISTS (SELECT 1 FROM orders o WHERE o."intentId" = order_intents.id)`;
      if (withdrawn) {
        await deps.events.publish('order');
        continue;
      }
    }
    if (!deps.broker.cancelOrder) throw new Error(`broker ${deps.broker.name} cannot cancel orders: protective stops need BrokerPort.cancelOrder`);
    const clientOrderId = clientOrderIdFor(s.id);
    const r = await deps.broker.cancelOrder(clientOrderId);
    deps.logger.info({ category: 'orders', symbol, clientOrderId, outcome: r }, r === 'canceled' ? `protective stop of ${symbol} cancelled (${why})` : `protective stop of ${symbol} filled before it could be cancelled (${why})`);
    if (r === 'not_open') outcome = 'not_open';
  }
  return outcome;
}

/**
 * After an entry order has filled completely, with a broker that keeps stops: ONE protective SELL for the whole
 * position — trailing_stop when a trailing stop is armed, else stop at the stop-loss; none for a take-profit alone —
 * as an exit Signal (strategy "exits", one per entry order: its bar time is the completing fill's) through risk and
 * execution like any order. A later entry replaces the protective order of the smaller position (cancel, then place).
 * Idempotent: a repeat only makes sure the signal's risk check ran.
 */
export async function protectPosition(deps: Deps, entryClientOrderId: string): Promise<string | null> {
  if (!deps.broker.protectiveStops) return null;
  const order = await deps.prisma.order.findUnique({
    where: { clientOrderId: entryClientOrderId },
    select: { symbol: true, side: true, status: true, fills: { select: { filledAt: true }, orderBy: { filledAt: 'desc' }, take: 1 } },
  });
  if (!order || order.side !== 'BUY' || order.status !== 'filled' || !order.fills[0]) return null;
  const pos = await deps.prisma.position.findUnique({ where: { symbol: order.symbol } });
  if (!pos || pos.qty.lte(0) || (!pos.stopPrice && !pos.trailPct)) return null;
  const key = { strategy: EXITS_STRATEGY, symbol: order.symbol, barTs: order.fills[0].filledAt };
  let signal = await deps.prisma.signal.findUnique({ where: { strategy_symbol_barTs: key }, select: { id: true } });
  if (!signal) {
    await cancelProtectiveStops(deps, order.symbol, `replaced after entry ${entryClientOrderId}`);
    const type = pos.trailPct ? 'trailing_stop' : 'stop';
    const level = pos.trailPct ? trailLevel(dec((pos.highWater ?? pos.avgCost).toString()), dec(pos.trailPct.toString())) : dec(pos.stopPrice!.toString());
    const params = pos.trailPct ? { trailPct: pos.trailPct.toFixed() } : { stopPrice: pos.stopPrice!.toFixed() };
    await deps.prisma.signal.createMany({
      data: [{
        ...key, side: 'SELL', price: decStr(level),
        detail: { exitReason: PROTECTIVE_STOP, orderType: type, ...params, entryOrder: entryClientOrderId, reason: `protective ${type} at ${deps.broker.name} for the ${order.symbol} position (entry ${entryClientOrderId})` },
      }],
      skipDuplicates: true,
    });
    signal = await deps.prisma.signal.findUniqueOrThrow({ where: { strategy_symbol_barTs: key }, select: { id: true } });
    deps.logger.info({ category: 'positions', symbol: order.symbol, orderType: type, ...params, signalId: signal.id }, `protective ${type} for ${order.symbol} goes to risk`);
    await deps.events.publish('signal');
  }
  await deps.jobs.add('risk.check', { signalId: signal.id });
  return signal.id;
}
