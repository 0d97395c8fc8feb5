// When a scheduled job may run: its cron checked by the parser BullMQ itself uses, and its market-hours rule
// judged on the NYSE calendar (holidays, early closes) at the deps clock's instant.
import type { TJobDefinition } from '@ai-trader/contracts';
import { regularSession, toEt } from '@ai-trader/domain';
import { CronExpressionParser } from 'cron-parser';

/** What is wrong with a cron expression (null when it parses). */
export function cronProblem(expr: string, tz: string): string | null {
  try {
    CronExpressionParser.parse(expr, { tz, strict: false });
    return null;
  } catch (e) {
    return `not a cron expression: ${(e as Error).message}`;
  }
}

/** Milliseconds since New York midnight at an instant, and the New York date. */
function etClock(now: Date): { date: string; ms: number } {
  const et = toEt(now);
  return { date: et.date, ms: et.minutes * 60_000 + (now.getTime() % 60_000) };
}

/**
 * Null when the definition may run at `now`, else why not. open: inside the regular session; closed: outside it
 * (weekends and holidays included); pre_open: before today's open by at most pre_open_offset (a trading day only).
 */
export function marketHoursBlock(d: Pick<TJobDefinition, 'market_hours' | 'pre_open_offset'>, now: Date): string | null {
  if (d.market_hours === 'any') return null;
  const { date, ms } = etClock(now);
  const s = regularSession(date);
  const open = !!s && ms >= s.open * 60_000 && ms < s.close * 60_000;
  if (d.market_hours === 'open') return open ? null : `market closed (${date} ${s ? 'outside the regular session' : 'is not a trading day'}): this job runs only while the market is open`;
  if (d.market_hours === 'closed') return open ? `market open: this job runs only while the market is closed` : null;
  const offset = d.pre_open_offset ?? 0;
  if (!s) return `${date} is not a trading day: this job runs only in the ${offset / 60_000} min before the open`;
  const untilOpen = s.open * 60_000 - ms;
  if (untilOpen <= 0) return `past today's open: this job runs only in the ${offset / 60_000} min before the open`;
  if (untilOpen > offset) return `too early: the open is ${Math.ceil(untilOpen / 60_000)} min away and this job runs only in the ${offset / 60_000} min before it`;
  return null;
}

const human = (ms: number) => (ms % 3_600_000 === 0 ? `${ms / 3_600_000}h` : ms % 60_000 === 0 ? `${ms / 60_000}m` : `${ms / 1000}s`);

export function describeSchedule(d: Pick<TJobDefinition, 'cron' | 'tz' | 'every'>): string {
  return d.cron ? `cron ${d.cron} (${d.tz})` : d.every !== undefined ? `every ${human(d.every)}` : 'by hand or as a dependency';
}

export function describeMarketHours(d: Pick<TJobDefinition, 'market_hours' | 'pre_open_offset'>): string {
  return d.market_hours === 'pre_open' ? `pre_open (${human(d.pre_open_offset ?? 0)} before the open)` : d.market_hours;
}
