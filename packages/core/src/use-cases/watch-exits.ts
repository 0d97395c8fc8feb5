// The engine's watch over exits: every new bar of a symbol we hold is checked against the position's stop-loss,
// take-profit and trailing stop (armed by the entry's fill, see apply-trade-update.ts). A bar that crosses one
// becomes an exit Signal (strategy "exits", unique per symbol and bar) that goes through risk like any other —
// exits pass in REDUCING — and the sim or real broker sells at market. Bars that began before the fill are not
// judged (the low of the fill's own bar may have come before it), so replay and backtest agree to the cent.
import type { TTimeframe } from '@ai-trader/contracts';
import { TIMEFRAME_TABLE } from '@ai-trader/db';
import { checkExit, dec, decStr, type ExitReason } from '@ai-trader/domain';
import type { Deps } from '../ports.ts';

export const EXITS_STRATEGY = 'exits';

export interface ExitWatch {
  trigger: { reason: ExitReason; level: string; message: string; signalId: string | null } | null;
}

export async function watchExits(deps: Pick<Deps, 'prisma' | 'pool' | 'jobs' | 'logger' | 'events'>, at: { symbol: string; timeframe: TTimeframe; ts: string }): Promise<ExitWatch> {
  const pos = await deps.prisma.position.findUnique({ where: { symbol: at.symbol } });
  if (!pos || pos.qty.lte(0) || !pos.exitsFrom || (!pos.stopPrice && !pos.targetPrice && !pos.trailPct)) return { trigger: null };
  const barTs = new Date(at.ts);
  if (barTs.getTime() <= pos.exitsFrom.getTime()) return { trigger: null };
  const { rows } = await deps.pool.query<{ high: string; low: string; close: string }>(
    `SELECT high::text, low::text, close::text FROM ${TIMEFRAME_TABLE[at.timeframe]} WHERE symbol = $1 AND ts = $2`, [at.symbol, barTs]);
  if (!rows[0]) return { trigger: null };
  const bar = { symbol: at.symbol, ...rows[0] };
  const d = (v: { toString(): string } | null) => (v === null ? null : dec(v.toString()));
  const c = checkExit(
    { qty: dec(pos.qty.toString()), stopPrice: d(pos.stopPrice), targetPrice: d(pos.targetPrice), trailPct: d(pos.trailPct), highWater: d(pos.highWater) },
    { high: dec(bar.high), low: dec(bar.low) },
  );
  // The high-water mark only rises (a bar replayed out of order cannot lower it).
  if (c.highWater && (!pos.highWater || c.highWater.gt(pos.highWater.toString())))
    await deps.prisma.$executeRaw`UPDATE positions SET "highWater" = GREATEST(COALESCE("highWater", 0), ${decStr(c.highWater)}::numeric), "updatedAt" = now() WHERE symbol = ${bar.symbol}`;
  if (!c.trigger) return { trigger: null };
  const t = { reason: c.trigger.reason, level: c.trigger.level.toFixed(), message: c.trigger.message };
  // One exit at a time: while a sell of ours is working for the symbol, a new trigger adds nothing.
  const working = await deps.prisma.orderIntent.count({
    where: { symbol: bar.symbol, side: 'SELL', OR: [{ status: 'PENDING' }, { order: { status: { in: ['pending_new', 'new', 'partially_filled'] } } }] },
  });
  if (working) return { trigger: { ...t, signalId: null } };
  await deps.prisma.signal.createMany({
    data: [{ strategy: EXITS_STRATEGY, symbol: bar.symbol, barTs, side: 'SELL', price: bar.close, detail: { exitReason: t.reason, level: t.level, reason: t.message } }],
    skipDuplicates: true,
  });
  const signal = await deps.prisma.signal.findUniqueOrThrow({ where: { strategy_symbol_barTs: { strategy: EXITS_STRATEGY, symbol: bar.symbol, barTs } } });
  await deps.jobs.add('risk.check', { signalId: signal.id });
  await deps.events.publish('signal');
  deps.logger.info({ category: 'positions', symbol: bar.symbol, reason: t.reason, level: t.level, signalId: signal.id }, `${t.reason.replace('_', ' ')}: ${t.message}`);
  return { trigger: { ...t, signalId: signal.id } };
}
