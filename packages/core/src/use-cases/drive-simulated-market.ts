// For a broker that simulates a market: match its open orders against a stored bar and pass the
// resulting executions on. Re-running for the same bar re-sends the same executions (deduped later).
import type { TJobPayload } from '@ai-trader/contracts';
import { UnrecoverableError } from 'bullmq';
import type { Deps } from '../ports.ts';

export async function driveSimulatedMarket(deps: Deps, p: TJobPayload<'broker.sim-match'>): Promise<number> {
  if (!deps.broker.onMarketBar) return 0;
  const row = await deps.prisma.bar5m.findUnique({ where: { symbol_ts: { symbol: p.symbol, ts: new Date(p.ts) } } });
  if (!row) throw new UnrecoverableError(`bar ${p.symbol} ${p.ts} is not stored`);
  const updates = await deps.broker.onMarketBar({
    symbol: row.symbol, timeframe: '5m', ts: row.ts.toISOString(),
    open: row.open.toFixed(), high: row.high.toFixed(), low: row.low.toFixed(), close: row.close.toFixed(),
    volume: row.volume.toString(), source: row.source,
  });
  for (const update of updates) await deps.jobs.add('portfolio.apply', { update });
  return updates.length;
}
