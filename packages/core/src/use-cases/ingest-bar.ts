// Stores one live bar (idempotent on symbol+ts), or quarantines it with the reason when it is bad, then
// hands it on: a 5m bar to scoring and (sim broker) order matching; the last 1m bar of a 5-minute bucket
// makes the 5m bar from its minutes, so a minute feed drives the 5-minute strategy.
import { type TBar } from '@ai-trader/contracts';
import { defaultPartition, TIMEFRAME_TABLE } from '@ai-trader/db';
import { aggregateBars, barChecks } from '@ai-trader/domain';
import { cacheLatest } from '../infra/latest-bars.ts';
import { keys } from '../infra/redis.ts';
import type { Deps } from '../ports.ts';
import { recordFreshness } from './freshness.ts';
import { noteRowInDefaultPartition } from './maintain-partitions.ts';

export type IngestOutcome = { inserted: boolean; quarantined: false } | { inserted: false; quarantined: true };

export async function ingestBar(deps: Deps, bar: TBar): Promise<IngestOutcome> {
  const problems = barChecks(bar);
  if (problems.length) {
    await deps.prisma.barQuarantine.create({
      data: { symbol: bar.symbol, timeframe: bar.timeframe, ts: new Date(bar.ts), kind: problems[0]!.kind, detail: problems.map((p) => p.detail).join('; '), source: bar.source, raw: bar },
    });
    deps.logger.warn({ category: 'data', symbol: bar.symbol, ts: bar.ts, problems }, 'bar quarantined');
    return { inserted: false, quarantined: true };
  }
  const table = TIMEFRAME_TABLE[bar.timeframe];
  // tableoid names the partition the row went to: DEFAULT means its month has no partition yet (alerted).
  const res = await deps.pool.query<{ part: string }>(
    `INSERT INTO ${table} (symbol, ts, open, high, low, close, volume, source) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (symbol, ts) DO NOTHING RETURNING tableoid::regclass::text AS part`,
    [bar.symbol, bar.ts, bar.open, bar.high, bar.low, bar.close, bar.volume, bar.source],
  );
  const inserted = (res.rowCount ?? 0) > 0;
  if (res.rows[0]?.part === defaultPartition(table)) await noteRowInDefaultPartition(deps, table, bar);
  const k = keys(deps.config.REDIS_PREFIX);
  const now = deps.clock.now();
  const multi = deps.redis.multi().hset(k.feedLast, { ts: bar.ts, at: now.toISOString(), symbol: bar.symbol });
  recordFreshness(multi, deps.config.REDIS_PREFIX, bar, now);
  cacheLatest(multi, deps.config.REDIS_PREFIX, bar);
  if (inserted) multi.incrby(k.barsStored, 1);
  await multi.exec();
  // Always pass it on, even when it was already stored: a retry after a crash must not drop the next hops.
  if (bar.timeframe === '5m') {
    await deps.jobs.add('scoring.score', { symbol: bar.symbol, timeframe: bar.timeframe, ts: bar.ts });
    if (deps.broker.onMarketBar) await deps.jobs.add('broker.sim-match', { symbol: bar.symbol, timeframe: bar.timeframe, ts: bar.ts });
  }
  if (bar.timeframe === '1m' && new Date(bar.ts).getUTCMinutes() % 5 === 4) await deriveFiveMinuteBar(deps, bar);
  await deps.events.publish('bar');
  return { inserted, quarantined: false };
}

async function deriveFiveMinuteBar(deps: Deps, last: TBar): Promise<void> {
  const end = Date.parse(last.ts) + 60_000, start = end - 300_000;
  const rows = await deps.pool.query<{ ts: Date; open: string; high: string; low: string; close: string; volume: string; source: string }>(
    `SELECT ts, open::text, high::text, low::text, close::text, volume::text, source FROM market_data_1m WHERE symbol = $1 AND ts >= $2 AND ts < $3 ORDER BY ts`,
    [last.symbol, new Date(start), new Date(end)],
  );
  const minutes: TBar[] = rows.rows.map((r) => ({ symbol: last.symbol, timeframe: '1m', ts: r.ts.toISOString().replace('.000Z', 'Z'), open: r.open, high: r.high, low: r.low, close: r.close, volume: r.volume, source: r.source }));
  const agg = aggregateBars(minutes, '5m', { session: 'extended' });
  for (const b of agg.bars) await deps.jobs.add('ingest.bars', { bar: b });
  if (agg.incomplete.length) deps.logger.info({ category: 'data', symbol: last.symbol, incomplete: agg.incomplete }, '5m bar made from an incomplete set of minutes');
}
