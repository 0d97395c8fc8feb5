// Stores one validated bar (idempotent on symbol+ts) and hands it to scoring and, when the broker
// simulates a market, to order matching.
import { type TBar } from '@ai-trader/contracts';
import { barProblems } from '@ai-trader/domain';
import { UnrecoverableError } from 'bullmq';
import { keys } from '../infra/redis.ts';
import type { Deps } from '../ports.ts';
import { recordFreshness } from './freshness.ts';

export async function ingestBar(deps: Deps, bar: TBar): Promise<{ inserted: boolean }> {
  if (bar.timeframe !== '5m') throw new UnrecoverableError(`timeframe ${bar.timeframe} is not stored yet (only 5m)`);
  const problems = barProblems(bar);
  if (problems.length) throw new UnrecoverableError(`bad bar ${bar.symbol} ${bar.ts}: ${problems.join('; ')}`);
  const res = await deps.prisma.bar5m.createMany({
    data: [{ symbol: bar.symbol, ts: new Date(bar.ts), open: bar.open, high: bar.high, low: bar.low, close: bar.close, volume: BigInt(bar.volume), source: bar.source }],
    skipDuplicates: true,
  });
  const k = keys(deps.config.REDIS_PREFIX);
  const now = deps.clock.now();
  const multi = deps.redis.multi().hset(k.feedLast, { ts: bar.ts, at: now.toISOString(), symbol: bar.symbol });
  recordFreshness(multi, deps.config.REDIS_PREFIX, bar, now);
  if (res.count) multi.incrby(k.barsStored, res.count);
  await multi.exec();
  // Always pass it on, even when it was already stored: a retry after a crash must not drop the next hops.
  await deps.jobs.add('scoring.score', { symbol: bar.symbol, timeframe: bar.timeframe, ts: bar.ts });
  if (deps.broker.onMarketBar) await deps.jobs.add('broker.sim-match', { symbol: bar.symbol, timeframe: bar.timeframe, ts: bar.ts });
  await deps.events.publish('bar');
  return { inserted: res.count > 0 };
}
