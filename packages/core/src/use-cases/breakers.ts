// Circuit breakers (a scheduled job every 15 s, and on demand): equity is marked at the last prices and
// snapshotted; a loss since the New York day's first equity beyond RISK_DAILY_LOSS_LIMIT stops entries
// (REDUCING), a drawdown from the peak beyond RISK_MAX_DRAWDOWN_PCT halts trading (orders cancelled), and
// RISK_MAX_CONSECUTIVE_REJECTS broker rejects in a row stop entries. Each trip changes the state through the
// audited path, as the system, and opens a critical alert; a breaker never loosens the state by itself.
import type { TActor, TTradingState } from '@ai-trader/contracts';
import { dec, decStr, toEt, ZERO } from '@ai-trader/domain';
import { latestCloses } from '../infra/latest-bars.ts';
import type { Deps } from '../ports.ts';
import { raiseAlert } from './alerts.ts';
import { haltTrading } from './emergency.ts';
import { changeTradingState, getTradingState } from './trading-state.ts';

export const BREAKER_ACTOR: TActor = { id: 'system:breakers', email: 'system:breakers', role: 'admin' };

export interface BreakerCheck {
  equity: string;
  dayStart: string;
  peak: string;
  dailyLoss: string;
  drawdownPct: number;
  consecutiveRejects: number;
  tripped: { breaker: 'daily_loss' | 'drawdown' | 'rejects'; to: TTradingState; reason: string }[];
  state: TTradingState;
}

export async function checkBreakers(deps: Deps): Promise<BreakerCheck> {
  const c = deps.config;
  const now = deps.clock.now();
  const day = toEt(now).date;
  const [account, positions, prev, firstToday, recent] = await Promise.all([
    deps.prisma.portfolioAccount.findUnique({ where: { id: 1 } }),
    deps.prisma.position.findMany({ where: { qty: { not: 0 } } }),
    deps.prisma.equitySnapshot.findFirst({ orderBy: { id: 'desc' } }),
    deps.prisma.equitySnapshot.findFirst({ where: { day }, orderBy: { id: 'asc' } }),
    deps.prisma.order.findMany({ orderBy: { createdAt: 'desc' }, take: c.RISK_MAX_CONSECUTIVE_REJECTS, select: { status: true } }),
  ]);
  const cash = account ? dec(account.cash.toString()) : ZERO;
  const last = await latestCloses(deps, positions.map((p) => p.symbol), '5m');
  const equity = positions.reduce((e, p) => e.plus(dec(p.qty.toString()).times(last.get(p.symbol) ?? p.avgCost.toString())), cash).toDecimalPlaces(2);
  const peak = prev ? (equity.gt(prev.peak.toString()) ? equity : dec(prev.peak.toString())) : equity;
  const dayStart = firstToday ? dec(firstToday.dayStart.toString()) : equity;
  await deps.prisma.equitySnapshot.create({ data: { at: now, day, equity: decStr(equity), cash: decStr(cash.toDecimalPlaces(2)), peak: decStr(peak), dayStart: decStr(dayStart) } });

  const dailyLoss = dayStart.minus(equity);
  const drawdownPct = peak.gt(0) ? peak.minus(equity).div(peak).times(100).toNumber() : 0;
  const consecutiveRejects = recent.length === c.RISK_MAX_CONSECUTIVE_REJECTS && recent.every((o) => o.status === 'rejected') ? recent.length : 0;
  const tripped: BreakerCheck['tripped'] = [];
  let state = (await getTradingState(deps.prisma)).state;

  const reduce = async (breaker: 'daily_loss' | 'rejects', reason: string) => {
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
  for (const t of tripped) await raiseAlert(deps, { key: `breaker.${t.breaker}:${day}`, level: 'critical', source: 'risk', message: `${t.reason} → ${t.to}`, details: { equity: equity.toFixed(2), peak: peak.toFixed(2), dayStart: dayStart.toFixed(2) } });
  return { equity: decStr(equity), dayStart: decStr(dayStart), peak: decStr(peak), dailyLoss: decStr(dailyLoss), drawdownPct, consecutiveRejects, tripped, state };
}
