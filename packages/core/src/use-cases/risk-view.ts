// The Risk page: every RISK_* limit against its current usage (the same facts a risk decision reads), the
// circuit breakers with the values they judge and their trips, the last reconciliation, and a what-if that
// judges the session at the simulated market's time when the market is a replay.
import type { TAlertView, TBreakerName, TBreakerView, TGaugeUnit, TLimitGauge, TRiskView, TTradingState, TWhatIfAnswer, TWhatIfInput } from '@ai-trader/contracts';
import { dec, decStr, toEt, ZERO } from '@ai-trader/domain';
import type Decimal from 'decimal.js';
import { latestCloses } from '../infra/latest-bars.ts';
import type { Deps } from '../ports.ts';
import { listAlerts } from './alerts.ts';
import { BREAKER_ACTOR, brokerRecord, drawdownFromPeak, feedSilence } from './breakers.ts';
import { riskExposure, whatIfOrder, WORKING_ORDERS } from './check-risk.ts';
import { lastReconciliation } from './reconcile.ts';
import { getTradingState } from './trading-state.ts';

type RiskViewDeps = Pick<Deps, 'prisma' | 'pool' | 'redis' | 'config' | 'clock'>;

/** Usage of the limits, counted over the working orders exactly as a risk decision counts them. */
const USAGE = `
  WITH working AS (${WORKING_ORDERS})
  SELECT (SELECT cash::text FROM portfolio_account WHERE id = 1) AS cash,
         (SELECT count(*) FROM order_intents WHERE "createdAt" >= $1)::int AS recent,
         (SELECT count(*) FROM working)::int AS "openOrders",
         (SELECT coalesce(sum(rem * px), 0)::text FROM working WHERE side = 'BUY') AS "buyNotional",
         (SELECT coalesce(json_object_agg(symbol, qty), '{}'::json) FROM (SELECT symbol, sum(rem)::text AS qty FROM working WHERE side = 'BUY' GROUP BY symbol) b) AS "buyQty",
         (SELECT coalesce(json_agg(json_build_object('symbol', symbol, 'qty', qty::text, 'avgCost', "avgCost"::text) ORDER BY symbol), '[]'::json)
            FROM positions WHERE qty <> 0) AS positions`;

interface UsageRow {
  cash: string | null;
  recent: number;
  openOrders: number;
  buyNotional: string;
  buyQty: Record<string, string>;
  positions: { symbol: string; qty: string; avgCost: string }[];
}

const SERIES_POINTS = 240;
const LIST_LIMIT = 20;
const money = (d: Decimal) => decStr(d.toDecimalPlaces(2));

function gauge(key: string, label: string, used: Decimal | number, limit: Decimal | number | string, unit: TGaugeUnit, source: string, detail: string): TLimitGauge {
  const u = typeof used === 'number' ? dec(used) : used;
  return { key, label, used: decStr(unit === 'usd' || unit === 'pct' ? u.toDecimalPlaces(2) : u), limit: decStr(dec(limit)), unit, source, detail };
}

export async function getRiskView(deps: RiskViewDeps): Promise<TRiskView> {
  const c = deps.config;
  const now = deps.clock.now();
  const today = toEt(now).date;
  const [tradingState, usage, snapshots, broker, trips, audit, reconciliation, intents, feed] = await Promise.all([
    getTradingState(deps.prisma),
    deps.pool.query<UsageRow>(USAGE, [new Date(now.getTime() - 60_000)]).then((r) => r.rows[0]!),
    deps.prisma.equitySnapshot.findMany({ orderBy: { id: 'desc' }, take: SERIES_POINTS }),
    brokerRecord(deps, now),
    listAlerts(deps, { keyPrefix: 'breaker.', limit: LIST_LIMIT }),
    deps.prisma.auditLog.findMany({
      where: { OR: [{ action: { startsWith: 'breaker.' } }, { actorEmail: BREAKER_ACTOR.email }] },
      orderBy: { at: 'desc' },
      take: LIST_LIMIT,
    }),
    lastReconciliation(deps),
    deps.prisma.orderIntent.findMany({ orderBy: { createdAt: 'desc' }, take: 10 }),
    feedSilence(deps, now),
  ]);
  if (usage.cash === null) throw new Error('portfolio_account is missing: the worker start-up creates it');

  // Exposure as risk counts it; symbols with only a working BUY have no position row yet, their notional is in it.
  const last = await latestCloses(deps, usage.positions.map((p) => p.symbol), '5m');
  const buyNotional = dec(usage.buyNotional);
  const { gross, net } = riskExposure(usage.positions, last, buyNotional);
  const positions = usage.positions.map((p) => {
    const px = last.get(p.symbol) ?? null;
    const qty = dec(p.qty), working = dec(usage.buyQty[p.symbol] ?? '0');
    const after = qty.plus(working);
    const notional = after.times(px ?? p.avgCost);
    return {
      symbol: p.symbol, qty: decStr(qty), workingBuyQty: decStr(working), lastPrice: px ? decStr(dec(px)) : null, notional: money(notional),
      qtyGauge: gauge(`position.${p.symbol}.qty`, `${p.symbol} shares`, after, c.RISK_MAX_POSITION_QTY, 'shares', 'RISK_MAX_POSITION_QTY', 'held plus working BUYs'),
      notionalGauge: gauge(`position.${p.symbol}.notional`, `${p.symbol} notional`, notional, c.RISK_MAX_POSITION_NOTIONAL, 'usd', 'RISK_MAX_POSITION_NOTIONAL', 'held plus working BUYs at the last price'),
    };
  });
  const cash = dec(usage.cash);

  const limits: TLimitGauge[] = [
    gauge('gross_exposure', 'Gross exposure', gross, c.RISK_MAX_GROSS_EXPOSURE, 'usd', 'RISK_MAX_GROSS_EXPOSURE', '|position value| at last prices plus working BUYs'),
    gauge('net_exposure', 'Net exposure', net, c.RISK_MAX_NET_EXPOSURE, 'usd', 'RISK_MAX_NET_EXPOSURE', 'long minus short value plus working BUYs'),
    gauge('open_orders', 'Open orders', usage.openOrders, c.RISK_MAX_OPEN_ORDERS, 'count', 'RISK_MAX_OPEN_ORDERS', 'approved intents not yet sent and orders still working'),
    gauge('orders_per_minute', 'Orders in the last minute', usage.recent, c.RISK_MAX_ORDERS_PER_MINUTE, 'count', 'RISK_MAX_ORDERS_PER_MINUTE', 'order intents created in the last 60 s'),
  ];

  // Equity as the breaker job snapshots it (every 15 s on the risk role).
  const latest = snapshots[0] ?? null;
  const equity = latest ? dec(latest.equity.toString()) : null;
  const peak = latest ? dec(latest.peak.toString()) : null;
  const dayStart = latest ? dec(latest.dayStart.toString()) : null;
  const drawdownPct = equity && peak ? drawdownFromPeak(equity, peak) : null;
  const dayLoss = equity && dayStart && latest!.day === today ? dayStart.minus(equity) : null;

  const { rejectStreak: rejects, submissions, failures, errorPct } = broker;

  const lastTrip = (name: TBreakerName) => {
    const a = trips.filter((t) => t.key.startsWith(`breaker.${name}:`)).sort((x, y) => y.firstAt.localeCompare(x.firstAt))[0];
    return a ? { at: a.firstAt, message: a.message } : null;
  };
  const breaker = (name: TBreakerName, label: string, to: TTradingState, g: TLimitGauge, armed: boolean, note: string | null): TBreakerView => ({
    name, label, to, gauge: g, armed, note, trippedToday: trips.some((t) => t.key === `breaker.${name}:${today}` && t.resolvedAt === null), lastTrip: lastTrip(name),
  });
  const breakers: TBreakerView[] = [
    breaker('drawdown', 'Drawdown from peak', 'HALTED', gauge('drawdown', 'Drawdown from peak', drawdownPct ?? ZERO, c.RISK_MAX_DRAWDOWN_PCT, 'pct', 'RISK_MAX_DRAWDOWN_PCT', 'equity below its highest snapshot'),
      drawdownPct !== null, drawdownPct === null ? 'no equity snapshot yet (the risk worker writes one every 15 s)' : null),
    breaker('daily_loss', 'Daily loss', 'REDUCING', gauge('daily_loss', 'Daily loss', dayLoss && dayLoss.gt(0) ? dayLoss : ZERO, c.RISK_DAILY_LOSS_LIMIT, 'usd', 'RISK_DAILY_LOSS_LIMIT', "loss since the New York day's first equity"),
      dayLoss !== null, dayLoss === null ? `no equity snapshot for ${today} yet` : null),
    breaker('rejects', 'Broker rejects in a row', 'REDUCING', gauge('rejects', 'Broker rejects in a row', rejects, c.RISK_MAX_CONSECUTIVE_REJECTS, 'count', 'RISK_MAX_CONSECUTIVE_REJECTS', 'the newest orders, all rejected'),
      true, null),
    breaker('error_rate', 'Broker error rate', 'REDUCING', gauge('error_rate', 'Broker error rate', errorPct, c.RISK_MAX_ERROR_RATE_PCT, 'pct', 'RISK_MAX_ERROR_RATE_PCT', `${failures} of ${submissions} submissions in the last ${c.RISK_ERROR_RATE_WINDOW_MIN} min rejected or failed`),
      submissions >= c.RISK_ERROR_RATE_MIN_SUBMISSIONS, submissions >= c.RISK_ERROR_RATE_MIN_SUBMISSIONS ? null : `judged from ${c.RISK_ERROR_RATE_MIN_SUBMISSIONS} submissions in the window (${submissions} so far)`),
    breaker('stale_feed', 'Feed silence', 'REDUCING', gauge('stale_feed', 'Feed silence', feed.silentSeconds ?? 0, c.STALE_AFTER_SECONDS, 'seconds', 'STALE_AFTER_SECONDS', 'since the newest bar of any expected symbol'),
      feed.expected, feed.expected ? null : feed.why),
  ];

  return {
    asOf: now.toISOString(),
    tradingState,
    limits,
    account: { cash: money(cash), buyingPower: money(cash.minus(buyNotional)), workingBuyNotional: money(buyNotional), orderNotional: decStr(dec(c.ORDER_NOTIONAL)) },
    positions,
    equity: {
      latest: latest ? { at: latest.at.toISOString(), day: latest.day, equity: money(equity!), peak: money(peak!), dayStart: money(dayStart!) } : null,
      dayPnl: dayLoss ? money(dayLoss.neg()) : null,
      drawdownPct: drawdownPct === null ? null : Number(drawdownPct.toFixed(4)),
      series: snapshots.reverse().map((s) => ({ at: s.at.toISOString(), equity: money(dec(s.equity.toString())), peak: money(dec(s.peak.toString())) })),
    },
    breakers,
    trips: trips satisfies TAlertView[],
    audit: audit.map((r) => ({ id: r.id.toString(), at: r.at.toISOString(), actorEmail: r.actorEmail, action: r.action, reason: r.reason, before: r.before ?? null, after: r.after ?? null })),
    reconciliation,
    recentIntents: intents.map((i) => ({
      id: i.id, symbol: i.symbol, side: i.side, qty: i.qty.toFixed(), refPrice: i.refPrice.toFixed(), isEntry: i.isEntry, status: i.status, createdAt: i.createdAt.toISOString(),
    })),
  };
}

/** The what-if of the Risk page: `whatIfOrder` (a market simulated from bars is judged at its own time). */
export async function whatIfNow(deps: Deps, q: TWhatIfInput): Promise<TWhatIfAnswer> {
  return whatIfOrder(deps, { symbol: q.symbol, side: q.side, ...(q.price ? { price: q.price } : {}), ...(q.notional ? { notional: q.notional } : {}), ...(q.strategy ? { strategy: q.strategy } : {}) });
}
