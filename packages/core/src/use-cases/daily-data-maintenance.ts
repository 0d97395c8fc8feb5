// The daily market-data chores (a scheduled job, after the close): partitions ahead so ingestion never
// lands in the default partition, and validation of the last trading day's stored bars for every feed
// symbol — problems found open a `data.validation:DATE` alert with the counts; a clean day resolves it.
import { allProblems, isTradingDay, summarizeProblems, toEt } from '@ai-trader/domain';
import type { Deps } from '../ports.ts';
import { raiseAlert, resolveAlert } from './alerts.ts';
import { maintainPartitions } from './maintain-partitions.ts';
import { expectedFeedSymbols } from './monitor-freshness.ts';
import { validateStored } from './validate-stored.ts';

export const PARTITION_DAYS_AHEAD = 30;

/** The last New York date, today included when the session is over (after 16:00 ET), that was a trading day. */
export function lastCompletedTradingDay(now: Date): string {
  const et = toEt(now);
  let d = Date.parse(`${et.date}T00:00:00Z`);
  if (et.minutes < 16 * 60 + 15) d -= 86_400_000;
  for (let i = 0; i < 10; i++, d -= 86_400_000) {
    const date = new Date(d).toISOString().slice(0, 10);
    if (isTradingDay(date)) return date;
  }
  throw new RangeError(`no trading day in the 10 days before ${et.date}`);
}

export async function dailyDataMaintenance(deps: Pick<Deps, 'pool' | 'prisma' | 'config' | 'clock' | 'logger' | 'events' | 'redis' | 'jobs'>, input: { date?: string | undefined } = {}) {
  const now = deps.clock.now();
  // Partitions ahead, rows waiting in DEFAULT moved into theirs, and its alert resolved.
  const { created } = await maintainPartitions(deps, { daysAhead: PARTITION_DAYS_AHEAD });
  const date = input.date ?? lastCompletedTradingDay(now);
  const symbols = expectedFeedSymbols(deps.config);
  const v = await validateStored(deps, { symbols, timeframe: '5m', from: date, to: date, session: 'regular' });
  const counts = summarizeProblems(v.series.flatMap((s) => allProblems(s.validation)));
  const found = Object.entries(counts).filter(([, n]) => n > 0);
  const key = `data.validation:${date}`;
  if (found.length) {
    const bySymbol = v.series.filter((s) => allProblems(s.validation).length).map((s) => s.symbol);
    await raiseAlert(deps, {
      key, level: 'warning', source: 'market-data',
      message: `stored 5m bars of ${date}: ${found.map(([k, n]) => `${n} ${k}`).join(', ')} (${bySymbol.join(', ')}); see ai-trader validate --symbols ${bySymbol.join(',')} --days 1`,
      details: { date, counts: Object.fromEntries(found), symbols: bySymbol },
    });
  } else await resolveAlert(deps, key, 'validation clean');
  const partitionsCreated = Object.values(created).flat();
  deps.logger.info({ category: 'data', date, problems: v.problems, partitionsCreated }, 'daily data maintenance done');
  return { date, problems: v.problems, counts: Object.fromEntries(found), partitionsCreated };
}
