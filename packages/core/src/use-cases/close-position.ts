// A manual exit from the console, through the normal path: a SELL Signal of strategy "manual" → risk.check (risk
// sells what is held; exits pass in REDUCING) → execution → broker. Audited as position.close with who and why.
import type { TActor, TClosePositionResult } from '@ai-trader/contracts';
import { Prisma } from '@ai-trader/db';
import type { Deps } from '../ports.ts';
import { ForbiddenError } from './emergency.ts';

export const MANUAL_STRATEGY = 'manual';

/** A request that cannot be done as asked; `code` is the tRPC code it maps to. */
export class TradeRequestError extends Error {
  constructor(readonly code: 'NOT_FOUND' | 'CONFLICT', message: string) {
    super(message);
    this.name = 'TradeRequestError';
  }
}

/**
 * The close is decided at the symbol's market time: the broker's clock where it has one, else the newest stored bar
 * (a simulated market fills it at the next bar's open). The Signal is unique per symbol and time: a second close at
 * the same market time (the first was denied or cancelled) takes the next millisecond.
 */
export async function closePosition(deps: Deps, input: { symbol: string; actor: TActor; reason: string }): Promise<TClosePositionResult> {
  if (input.actor.role === 'viewer') throw new ForbiddenError('viewers cannot close positions');
  const { symbol } = input;
  const pos = await deps.prisma.position.findUnique({ where: { symbol } });
  if (!pos) throw new TradeRequestError('NOT_FOUND', `no position in ${symbol}`);
  if (pos.qty.lte(0)) throw new TradeRequestError('CONFLICT', `${symbol} is already flat: nothing to close`);
  // One exit at a time (as the engine's exit watch): a SELL still working would make this one a no-op at risk.
  const working = await deps.prisma.orderIntent.findFirst({
    where: { symbol, side: 'SELL', OR: [{ status: 'PENDING' }, { order: { status: { in: ['pending_new', 'new', 'partially_filled'] } } }] },
    select: { exitReason: true, order: { select: { clientOrderId: true } } },
  });
  if (working)
    throw new TradeRequestError('CONFLICT', `a SELL of ${symbol} is already working (${working.exitReason ?? 'exit'}${working.order ? `, order ${working.order.clientOrderId}` : ', not sent yet'}): cancel it on the Orders page or wait for it to fill`);
  // A close asked for moments ago whose risk decision is still to come (a minute: a lost job must not block closes).
  const undecided = await deps.prisma.signal.findFirst({
    where: { strategy: MANUAL_STRATEGY, symbol, decision: null, createdAt: { gte: new Date(deps.clock.now().getTime() - 60_000) } },
    select: { createdAt: true },
  });
  if (undecided) throw new TradeRequestError('CONFLICT', `a close of ${symbol} was requested at ${undecided.createdAt.toISOString()} and waits for its risk decision`);

  const { rows } = await deps.pool.query<{ ts: Date; close: string; prev: Date | null }>(
    `SELECT ts, close::text AS close, (SELECT max("barTs") FROM signals WHERE strategy = $2 AND symbol = $1) AS prev
       FROM market_data_5m WHERE symbol = $1 ORDER BY ts DESC LIMIT 1`,
    [symbol, MANUAL_STRATEGY],
  );
  const last = rows[0];
  if (!last) throw new TradeRequestError('CONFLICT', `no 5m bars of ${symbol} are stored: there is no price to close at`);
  const marketTs = deps.broker.marketClock ? deps.clock.now() : last.ts;
  const barTs = last.prev && last.prev.getTime() >= marketTs.getTime() ? new Date(last.prev.getTime() + 1) : marketTs;
  const actor = { id: input.actor.id, email: input.actor.email };

  let signalId: string;
  try {
    signalId = await deps.prisma.$transaction(async (tx) => {
      const s = await tx.signal.create({
        data: { strategy: MANUAL_STRATEGY, symbol, barTs, side: 'SELL', price: last.close, detail: { exitReason: 'manual', actor, reason: input.reason } },
      });
      await tx.auditLog.create({
        data: {
          at: deps.clock.now(), actorId: actor.id, actorEmail: actor.email, action: 'position.close', reason: input.reason,
          before: { symbol, qty: pos.qty.toFixed(), avgCost: pos.avgCost.toFixed() },
          after: { symbol, signalId: s.id, barTs: barTs.toISOString(), price: last.close },
        },
      });
      return s.id;
    });
  } catch (e) {
    if (e instanceof Prisma.PrismaClientKnownRequestError && e.code === 'P2002')
      throw new TradeRequestError('CONFLICT', `a close of ${symbol} was requested at the same moment: look at the Orders page`);
    throw e;
  }
  await deps.jobs.add('risk.check', { signalId });
  await deps.events.publish('signal');
  await deps.events.publish('audit');
  deps.logger.warn({ category: 'positions', symbol, actor: actor.email, reason: input.reason, signalId }, `manual close of ${symbol} requested`);
  return { symbol, signalId, qty: pos.qty.toFixed(), barTs: barTs.toISOString() };
}
