// Runs the moving-average-cross strategy on the stored bars up to one bar and records a Signal
// (unique per strategy, symbol and bar), then asks risk about it.
import { maCross, dec, decStr } from '@ai-trader/domain';
import type { TJobPayload } from '@ai-trader/contracts';
import type { Deps } from '../ports.ts';

export const STRATEGY_NAME = 'ma-cross';

export async function scoreBar(deps: Deps, p: TJobPayload<'scoring.score'>): Promise<{ signalId: string | null }> {
  const { STRATEGY_FAST: fast, STRATEGY_SLOW: slow } = deps.config;
  const strategy = `${STRATEGY_NAME}-${fast}-${slow}`;
  const rows = await deps.prisma.bar5m.findMany({
    where: { symbol: p.symbol, ts: { lte: new Date(p.ts) } },
    orderBy: { ts: 'desc' },
    take: slow + 1,
    select: { ts: true, close: true },
  });
  if (!rows.length || rows[0]!.ts.toISOString() !== new Date(p.ts).toISOString()) return { signalId: null };
  const closes = rows.reverse().map((r) => dec(r.close.toString()));
  const cross = maCross(closes, { fast, slow });
  if (!cross) return { signalId: null };
  const barTs = new Date(p.ts);
  const price = closes[closes.length - 1]!;
  const detail = { fast, slow, fastNow: decStr(cross.fastNow), slowNow: decStr(cross.slowNow), fastPrev: decStr(cross.fastPrev), slowPrev: decStr(cross.slowPrev) };
  await deps.prisma.signal.createMany({
    data: [{ strategy, symbol: p.symbol, barTs, side: cross.side, price: decStr(price), detail }],
    skipDuplicates: true,
  });
  const signal = await deps.prisma.signal.findUniqueOrThrow({ where: { strategy_symbol_barTs: { strategy, symbol: p.symbol, barTs } } });
  await deps.jobs.add('risk.check', { signalId: signal.id });
  await deps.events.publish('signal');
  return { signalId: signal.id };
}
