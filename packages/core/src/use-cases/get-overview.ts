// The overview a trader watches: trading state, equity and P&L, positions valued at the last bar,
// recent orders, and how fresh the feed is.
import type { TOverview } from '@ai-trader/contracts';
import { dec, decStr, toCents, toEt, unrealizedPnl, ZERO, type Dec } from '@ai-trader/domain';
import { latestCloses } from '../infra/latest-bars.ts';
import { keys } from '../infra/redis.ts';
import type { Deps } from '../ports.ts';
import { listAlerts } from './alerts.ts';
import { checkHealth } from './check-health.ts';
import { readFreshness } from './freshness.ts';
import { getTradingState } from './trading-state.ts';

type OverviewDeps = Pick<Deps, 'prisma' | 'pool' | 'redis' | 'config' | 'clock'>;

export async function getOverview(deps: OverviewDeps, opts: { orderLimit?: number } = {}): Promise<TOverview> {
  const [tradingState, account, positions, orders, feed, stored, alerts, curve, health, fresh] = await Promise.all([
    getTradingState(deps.prisma),
    deps.prisma.portfolioAccount.findUnique({ where: { id: 1 } }),
    deps.prisma.position.findMany({ orderBy: { symbol: 'asc' } }),
    deps.prisma.order.findMany({ orderBy: { createdAt: 'desc' }, take: opts.orderLimit ?? 25 }),
    deps.redis.hgetall(keys(deps.config.REDIS_PREFIX).feedLast),
    deps.redis.get(keys(deps.config.REDIS_PREFIX).barsStored),
    listAlerts(deps, { open: true, limit: 20 }),
    equityCurve(deps),
    checkHealth(deps),
    readFreshness(deps, '5m'),
  ]);
  const symbols = positions.map((p) => p.symbol);
  const last = new Map([...(await latestCloses(deps, symbols, '5m'))].map(([s, c]) => [s, dec(c)]));
  let marketValue = ZERO, unrealized = ZERO, realized = ZERO, gross = ZERO;
  const positionViews = positions
    .filter((p) => !p.qty.isZero() || !p.realizedPnl.isZero())
    .map((p) => {
      const qty = dec(p.qty.toString()), avgCost = dec(p.avgCost.toString()), rp = dec(p.realizedPnl.toString());
      const px = last.get(p.symbol) ?? null;
      const mv = px ? qty.times(px) : qty.times(avgCost);
      const upnl = px ? unrealizedPnl({ qty, avgCost }, px) : ZERO;
      marketValue = marketValue.plus(mv);
      gross = gross.plus(mv.abs());
      unrealized = unrealized.plus(upnl);
      realized = realized.plus(rp);
      return {
        symbol: p.symbol, qty: decStr(qty), avgCost: decStr(avgCost), lastPrice: px ? decStr(px) : null,
        marketValue: decStr(toCents(mv)), unrealizedPnl: decStr(toCents(upnl)), realizedPnl: decStr(toCents(rp)),
      };
    });
  const cash = account ? dec(account.cash.toString()) : ZERO;
  const startingCash = account ? dec(account.startingCash.toString()) : ZERO;
  const equity = cash.plus(marketValue);
  return {
    asOf: deps.clock.now().toISOString(),
    tradingState,
    equity: decStr(toCents(equity)),
    cash: decStr(toCents(cash)),
    startingCash: decStr(toCents(startingCash)),
    totalPnl: decStr(toCents(equity.minus(startingCash))),
    unrealizedPnl: decStr(toCents(unrealized)),
    realizedPnl: decStr(toCents(realized)),
    positions: positionViews,
    orders: orders.map((o) => ({
      id: o.id, clientOrderId: o.clientOrderId, symbol: o.symbol, side: o.side, qty: o.qty.toFixed(), filledQty: o.filledQty.toFixed(),
      avgFillPrice: o.avgFillPrice?.toFixed() ?? null, status: o.status, rejectReason: o.rejectReason, createdAt: o.createdAt.toISOString(),
    })),
    feed: { lastBarTs: feed.ts ?? null, lastBarAt: feed.at ?? null, barsStored: Number(stored ?? 0) },
    alerts,
    dayPnl: curve.dayStart ? decStr(toCents(equity.minus(curve.dayStart))) : null,
    exposure: { gross: decStr(toCents(gross)), net: decStr(toCents(marketValue)) },
    equityCurve: curve.points,
    health,
    freshness: {
      symbols: fresh.length,
      stale: fresh.filter((f) => f.stale).map((f) => f.symbol),
      oldestAgeSeconds: fresh.length ? Math.max(...fresh.map((f) => f.ageSeconds)) : null,
    },
  };
}

const CURVE_POINTS = 400;

/** Equity snapshots of the last 7 days, thinned in SQL to about CURVE_POINTS (the last one always kept), with
 *  the drawdown from the running peak; and the first equity of the current New York day. */
async function equityCurve(deps: OverviewDeps): Promise<{ points: TOverview['equityCurve']; dayStart: Dec | null }> {
  const now = deps.clock.now();
  const [rows, today] = await Promise.all([
    deps.pool.query<{ at: Date; equity: string; peak: string }>(
      `SELECT at, equity::text, peak::text FROM (
         SELECT at, equity, peak, row_number() OVER (ORDER BY at) AS rn, count(*) OVER () AS n
           FROM equity_snapshots WHERE at > $1) s
        WHERE rn % greatest(1, n / $2) = 0 OR rn = n ORDER BY at`,
      [new Date(now.getTime() - 7 * 86_400_000), CURVE_POINTS],
    ),
    deps.prisma.equitySnapshot.findFirst({ where: { day: toEt(now).date }, orderBy: { id: 'asc' }, select: { dayStart: true } }),
  ]);
  return {
    points: rows.rows.map((r) => {
      const peak = dec(r.peak);
      return { at: r.at.toISOString(), equity: decStr(dec(r.equity)), drawdownPct: peak.gt(0) ? Number(peak.minus(r.equity).div(peak).times(100).toFixed(4)) : 0 };
    }),
    dayStart: today ? dec(today.dayStart.toString()) : null,
  };
}
