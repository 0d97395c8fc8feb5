// Reading and changing the one trading state. Changes lock the row, so an execution worker holding
// it FOR SHARE while it submits finishes first and nothing is submitted after the change commits.
import type { TActor, TTradingState, TTradingStateView } from '@ai-trader/contracts';
import type { Db, Prisma } from '@ai-trader/db';

type Tx = Prisma.TransactionClient;

export function toStateView(r: { state: TTradingState; reason: string; changedByEmail: string | null; changedAt: Date }): TTradingStateView {
  return { state: r.state, reason: r.reason, changedBy: r.changedByEmail, changedAt: r.changedAt.toISOString() };
}

export async function getTradingState(prisma: Db | Tx): Promise<TTradingStateView> {
  const r = await prisma.tradingStateRow.findUnique({ where: { id: 1 } });
  if (!r) throw new Error('trading_state row is missing: run the migrations (npm run db:migrate)');
  return toStateView(r);
}

/**
 * The advisory lock taken before the state row's own lock: shared by submitters, exclusive by changers. Row locks
 * alone let a stream of FOR SHARE lockers starve a waiting FOR UPDATE (a new sharer joins the ones holding the row
 * and never queues), so a HALT under load waited until the load stopped; Postgres' lock manager queues a new shared
 * request behind a waiting exclusive one, so the HALT waits only for the submissions already in flight.
 */
export const TRADING_STATE_LOCK = "hashtext('trading.state')";

/** Locks the state row for the rest of the transaction: shared by submitters, exclusive by changers. */
export async function lockTradingState(tx: Tx, mode: 'share' | 'update'): Promise<TTradingState> {
  let rows: { state: TTradingState }[];
  if (mode === 'share') {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock_shared(hashtext('trading.state'))`;
    rows = await tx.$queryRaw`SELECT state FROM trading_state WHERE id = 1 FOR SHARE`;
  } else {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('trading.state'))`;
    rows = await tx.$queryRaw`SELECT state FROM trading_state WHERE id = 1 FOR UPDATE`;
  }
  if (!rows[0]) throw new Error('trading_state row is missing: run the migrations (npm run db:migrate)');
  return rows[0].state;
}

/** Sets the state and writes the audit row in the caller's transaction. Returns before/after. */
export async function changeTradingState(
  tx: Tx,
  input: { to: TTradingState; actor: TActor; reason: string; action: string; at: Date },
): Promise<{ before: TTradingStateView; after: TTradingStateView; changed: boolean }> {
  await lockTradingState(tx, 'update');
  const before = await getTradingState(tx);
  const changed = before.state !== input.to;
  const row = changed
    ? await tx.tradingStateRow.update({
        where: { id: 1 },
        data: { state: input.to, reason: input.reason, changedById: input.actor.id, changedByEmail: input.actor.email, changedAt: input.at, version: { increment: 1 } },
      })
    : null;
  const after = row ? toStateView(row) : before;
  await tx.auditLog.create({
    data: {
      at: input.at,
      actorId: input.actor.id,
      actorEmail: input.actor.email,
      action: input.action,
      reason: input.reason,
      before: { tradingState: before },
      after: { tradingState: after },
    },
  });
  return { before, after, changed };
}
