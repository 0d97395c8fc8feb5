// Circuit breakers (a scheduled job every 15 s, and on demand): equity is marked at the last prices and
// snapshotted; a loss since the New York day's first equity beyond RISK_DAILY_LOSS_LIMIT stops entries
// (REDUCING), a drawdown from the peak beyond RISK_MAX_DRAWDOWN_PCT halts trading (orders cancelled);
// RISK_MAX_CONSECUTIVE_REJECTS broker rejects in a row, more than RISK_MAX_ERROR_RATE_PCT of the broker
// submissions of the last RISK_ERROR_RATE_WINDOW_MIN minutes rejected or failed, or a feed that should be
// delivering but has delivered no bar for STALE_AFTER_SECONDS, stop entries. Each trip changes the state
// through the audited path, as the system, and opens a critical alert; a breaker never loosens the state.
import type { TActor, TTradingState } from '@ai-trader/contracts';
import { dec, decStr, regularSession, toEt, ZERO } from '@ai-trader/domain';
import type Decimal from 'decimal.js';
import { latestCloses } from '../infra/latest-bars.ts';
import { keys } from '../infra/redis.ts';
import type { Deps } from '../ports.ts';
import { raiseAlert } from './alerts.ts';
import { haltTrading } from './emergency.ts';
import { readFreshness } from './freshness.ts';
import { expectedFeedSymbols } from './monitor-freshness.ts';
import { changeTradingState, getTradingState } from './trading-state.ts';

export const BREAKER_ACTOR: TActor = { id: 'system:breakers', email: 'system:breakers', role: 'admin' };

type Breaker = 'daily_loss' | 'drawdown' | 'rejects' | 'error_rate' | 'stale_feed';

export interface BreakerCheck {
  equity: string;
  dayStart: string;
  peak: string;
  dailyLoss: string;
  drawdownPct: number;
  consecutiveRejects: number;
  /** Broker submissions in the window (orders recorded + intents FAILED), and how many were rejected or failed. */
  errorRate: { submissions: number; failures: number; pct: number };
  /** Whether a feed is supposed to deliver now, and for how long it has delivered no bar of any expected symbol. */
  feed: { expected: boolean; silentSeconds: number | null; stale: boolean };
  tripped: { breaker: Breaker; to: TTradingState; reason: string }[];
  state: TTradingState;
}

/** Whether a feed is supposed to deliver now and, if so, for how long no expected symbol has had a bar; if not, why. */
export type FeedSilence = { expected: true; silentSeconds: number } | { expected: false; silentSeconds: null; why: string };

/**
 * The whole feed is stale when it is marked as running (and, for Polygon, the regular session is open — the
 * same rule as the stale-feed watch), has run longer than STALE_AFTER_SECONDS, and no expected symbol has
 * had a bar within that time. One quiet symbol is not enough: risk already refuses entries on it alone.
 */
export async function feedSilence(deps: Pick<Deps, 'redis' | 'config' | 'clock'>, now: Date): Promise<FeedSilence> {
  const { config } = deps;
  const activeSince = await deps.redis.get(keys(config.REDIS_PREFIX).feedActive);
  if (!activeSince) return { expected: false, silentSeconds: null, why: 'no feed running: nothing to judge' };
  const et = toEt(now);
  const session = regularSession(et.date);
  const marketOpen = !!session && et.minutes >= session.open && et.minutes < session.close;
  if (config.FEED === 'polygon' && !marketOpen) return { expected: false, silentSeconds: null, why: 'market closed: the live feed is not expected to deliver' };
  const newest = Math.max(Date.parse(activeSince), ...(await readFreshness(deps, '5m', expectedFeedSymbols(config))).map((f) => Date.parse(f.arrivedAt)));
  return { expected: true, silentSeconds: Math.max(0, Math.round((now.getTime() - newest) / 1000)) };
}

/** The broker's recent record, as the rejects and error-rate breakers judge it. */
export interface BrokerRecord {
  /** How many of the newest orders (RISK_MAX_CONSECUTIVE_REJECTS at most) were rejected in a row. */
  rejectStreak: number;
  /** Broker submissions in the last RISK_ERROR_RATE_WINDOW_MIN minutes (orders recorded + intents FAILED), the
   *  orders of them rejected, the intents failed, and the share of submissions that were either, in percent. */
  submissions: number;
  rejected: number;
  failed: number;
  failures: number;
  errorPct: number;
}

export async function brokerRecord(deps: Pick<Deps, 'prisma' | 'config'>, now: Date): Promise<BrokerRecord> {
  const c = deps.config;
  const windowStart = new Date(now.getTime() - c.RISK_ERROR_RATE_WINDOW_MIN * 60_000);
  const [recent, ordersInWindow, rejected, failed] = await Promise.all([
    deps.prisma.order.findMany({ orderBy: { createdAt: 'desc' }, take: c.RISK_MAX_CONSECUTIVE_REJECTS, select: { status: true } }),
    deps.prisma.order.count({ where: { createdAt: { gte: windowStart } } }),
    deps.prisma.order.count({ where: { createdAt: { gte: windowStart }, status: 'rejected' } }),
    // A FAILED intent never became an order: the broker could not be reached after every attempt.
    deps.prisma.orderIntent.count({ where: { status: 'FAILED', updatedAt: { gte: windowStart } } }),
  ]);
  const streak = recent.findIndex((o) => o.status !== 'rejected');
  const submissions = ordersInWindow + failed;
  const failures = rejected + failed;
  return { rejectStreak: streak === -1 ? recent.length : streak, submissions, rejected, failed, failures, errorPct: submissions ? (failures / submissions) * 100 : 0 };
}

/** How far equity stands below its peak, in percent; null while the peak is not above zero (nothing to fall from). */
export function drawdownFromPeak(equity: Decimal, peak: Decimal): Decimal | null {
  return peak.gt(0) ? peak.minus(equity).div(peak).times(100) : null;
}

export async function checkBreakers(deps: Deps): Promise<BreakerCheck> {
  const c = deps.config;
  const now = deps.clock.now();
  const day = toEt(now).date;
  const [account, positions, prev, firstToday, broker, silence] = await Promise.all([
    deps.prisma.portfolioAccount.findUnique({ where: { id: 1 } }),
    deps.prisma.position.findMany({ where: { qty: { not: 0 } } }),
    deps.prisma.equitySnapshot.findFirst({ orderBy: { id: 'desc' } }),
    deps.prisma.equitySnapshot.findFirst({ where: { day }, orderBy: { id: 'asc' } }),
    brokerRecord(deps, now),
    feedSilence(deps, now),
  ]);
  const cash = account ? dec(account.cash.toString()) : ZERO;
  const last = await latestCloses(deps, positions.map((p) => p.symbol), '5m');
  const equity = positions.reduce((e, p) => e.plus(dec(p.qty.toString()).times(last.get(p.symbol) ?? p.avgCost.toString())), cash).toDecimalPlaces(2);
  const peak = prev ? (equity.gt(prev.peak.toString()) ? equity : dec(prev.peak.toString())) : equity;
  const dayStart = firstToday ? dec(firstToday.dayStart.toString()) : equity;
  await deps.prisma.equitySnapshot.create({ data: { at: now, day, equity: decStr(equity), cash: decStr(cash.toDecimalPlaces(2)), peak: decStr(peak), dayStart: decStr(dayStart) } });

  const dailyLoss = dayStart.minus(equity);
  const drawdownPct = drawdownFromPeak(equity, peak)?.toNumber() ?? 0;
  // The streak is read over RISK_MAX_CONSECUTIVE_REJECTS orders at most: it trips only when all of them were rejected.
  const consecutiveRejects = broker.rejectStreak === c.RISK_MAX_CONSECUTIVE_REJECTS ? broker.rejectStreak : 0;
  const { submissions, failures } = broker;
  const errorRate = { submissions, failures, pct: broker.errorPct };
  const feed: BreakerCheck['feed'] = silence.expected
    ? { expected: true, silentSeconds: silence.silentSeconds, stale: silence.silentSeconds > c.STALE_AFTER_SECONDS }
    : { expected: false, silentSeconds: null, stale: false };
  const tripped: BreakerCheck['tripped'] = [];
  const details: Partial<Record<Breaker, Record<string, unknown>>> = {};
  let state = (await getTradingState(deps.prisma)).state;

  const reduce = async (breaker: Exclude<Breaker, 'drawdown'>, reason: string) => {
    if (state !== 'ACTIVE') return;
    await deps.prisma.$transaction((tx) => changeTradingState(tx, { to: 'REDUCING', actor: BREAKER_ACTOR, reason, action: `breaker.${breaker}`, at: now }));
    await deps.events.publish('trading-state');
    state = 'REDUCING';
    tripped.push({ breaker, to: 'REDUCING', reason });
  };
  if (drawdownPct >= c.RISK_MAX_DRAWDOWN_PCT && state !== 'HALTED') {
    const reason = `drawdown breaker: equity ${equity.toFixed(2)} is ${drawdownPct.toFixed(2)} % below its peak ${peak.toFixed(2)} (limit ${c.RISK_MAX_DRAWDOWN_PCT} %)`;
    await haltTrading(deps, { actor: BREAKER_ACTOR, reason });
    state = 'HALTED';
    tripped.push({ breaker: 'drawdown', to: 'HALTED', reason });
  }
  if (dailyLoss.gte(c.RISK_DAILY_LOSS_LIMIT))
    await reduce('daily_loss', `daily loss breaker: equity ${equity.toFixed(2)} is ${dailyLoss.toFixed(2)} below the day's start ${dayStart.toFixed(2)} (limit ${c.RISK_DAILY_LOSS_LIMIT}); entries stopped`);
  if (consecutiveRejects) await reduce('rejects', `${consecutiveRejects} broker rejects in a row: entries stopped until someone looks`);
  if (submissions >= c.RISK_ERROR_RATE_MIN_SUBMISSIONS && errorRate.pct > c.RISK_MAX_ERROR_RATE_PCT) {
    details.error_rate = { windowMinutes: c.RISK_ERROR_RATE_WINDOW_MIN, submissions, rejected: broker.rejected, failed: broker.failed };
    await reduce('error_rate', `error rate breaker: ${failures} of ${submissions} broker submissions in the last ${c.RISK_ERROR_RATE_WINDOW_MIN} min rejected or failed (${errorRate.pct.toFixed(1)} %, limit ${c.RISK_MAX_ERROR_RATE_PCT} %); entries stopped`);
  }
  if (feed.stale) {
    details.stale_feed = { feed: c.FEED, silentSeconds: feed.silentSeconds, symbols: expectedFeedSymbols(c) };
    await reduce('stale_feed', `stale feed breaker: the ${c.FEED} feed is running but has delivered no bar for ${feed.silentSeconds}s (limit ${c.STALE_AFTER_SECONDS}s); entries stopped`);
  }
  for (const t of tripped) {
    deps.logger.warn({ category: 'risk', breaker: t.breaker, to: t.to, equity: equity.toFixed(2), peak: peak.toFixed(2), dayStart: dayStart.toFixed(2) }, `breaker ${t.breaker} tripped → ${t.to}: ${t.reason}`);
    await raiseAlert(deps, { key: `breaker.${t.breaker}:${day}`, level: 'critical', source: 'risk', message: `${t.reason} → ${t.to}`, details: { equity: equity.toFixed(2), peak: peak.toFixed(2), dayStart: dayStart.toFixed(2), ...details[t.breaker] } });
  }
  return { equity: decStr(equity), dayStart: decStr(dayStart), peak: decStr(peak), dailyLoss: decStr(dailyLoss), drawdownPct, consecutiveRejects, errorRate, feed, tripped, state };
}
