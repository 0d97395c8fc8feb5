// What the Positions page reads: every position valued at the last bar with its armed exits and any SELL still
// working for it, and per symbol the bars and fills its chart draws (entries and exits as markers).
import { encodeChartBars, type TPositionDetail, type TPositionRow, type TPositionsView } from '@ai-trader/contracts';
import { centsStr, dec, positionFigures, scaled, scaledStr } from '@ai-trader/domain';
import { latestCloses } from '../infra/latest-bars.ts';
import type { Deps } from '../ports.ts';
import { getTradingState } from './trading-state.ts';

type ViewDeps = Pick<Deps, 'prisma' | 'pool' | 'redis' | 'config' | 'clock'>;

interface PositionDbRow {
  symbol: string;
  qty: string;
  avgCost: string;
  realizedPnl: string;
  stopPrice: string | null;
  targetPrice: string | null;
  trailPct: string | null;
  highWater: string | null;
  updatedAt: Date;
  closingQty: string | null;
  closingReason: string | null;
}

/** Positions with the SELLs still working for them: intents approved and not sent, and orders with a remainder
 *  (both halves by their status index, as risk reads them), summed per symbol once and joined (a lookup per
 *  position into the working SELLs cost ~10 ms for 1,000 positions). */
const POSITIONS = `
  WITH selling AS (
    SELECT i.symbol, i.qty AS rem, i."exitReason", i."createdAt" FROM order_intents i
     WHERE i.status = 'PENDING' AND i.side = 'SELL' AND NOT EXISTS (SELECT 1 FROM orders o WHERE o."intentId" = i.id)
       AND ($1::text IS NULL OR i.symbol = $1)
    UNION ALL
    SELECT o.symbol, o.qty - o."filledQty", i."exitReason", i."createdAt" FROM orders o JOIN order_intents i ON i.id = o."intentId"
     WHERE o.status IN ('pending_new', 'new', 'partially_filled') AND o.side = 'SELL' AND ($1::text IS NULL OR o.symbol = $1)),
  closing AS (
    SELECT symbol, sum(rem)::text AS "closingQty", (array_agg("exitReason" ORDER BY "createdAt" DESC))[1] AS "closingReason"
      FROM selling GROUP BY symbol)
  SELECT p.symbol, p.qty::text AS qty, p."avgCost"::text AS "avgCost", p."realizedPnl"::text AS "realizedPnl",
         p."stopPrice"::text AS "stopPrice", p."targetPrice"::text AS "targetPrice", p."trailPct"::text AS "trailPct",
         p."highWater"::text AS "highWater", p."updatedAt", c."closingQty", c."closingReason"
    FROM positions p LEFT JOIN closing c ON c.symbol = p.symbol
   WHERE (p.qty <> 0 OR p."realizedPnl" <> 0) AND ($1::text IS NULL OR p.symbol = $1)
   ORDER BY p.symbol`;

/** dec(v).toFixed() of a plain decimal string (Postgres numeric text) without decimal.js: trailing zeros trimmed. */
function plain(v: string): string {
  if (!/^-?(0|[1-9]\d*)(\.\d+)?$/.test(v)) return dec(v).toFixed();
  const t = v.includes('.') ? v.replace(/\.?0+$/, '') : v;
  return t === '-0' ? '0' : t;
}

interface Totals { mv: bigint; upnl: bigint; rpnl: bigint }

// Figures in scaled integers (position-value.ts: decimal.js's results, a third of the time); fields that are only
// passed through are trimmed as text by plain().
function toRow(p: PositionDbRow, last: string | undefined, totals: Totals): TPositionRow {
  const f = positionFigures(p, last);
  totals.mv += f.cents.marketValue;
  totals.upnl += f.cents.unrealizedPnl;
  totals.rpnl += f.cents.realizedPnl;
  const d = (v: string | null) => (v === null ? null : plain(v));
  const closing = p.closingQty ? scaled(plain(p.closingQty)) : null;
  return {
    symbol: p.symbol, qty: plain(p.qty), avgCost: plain(p.avgCost), lastPrice: last ? plain(last) : null,
    marketValue: f.marketValue, unrealizedPnl: f.unrealizedPnl, unrealizedPct: f.unrealizedPct, realizedPnl: f.realizedPnl,
    stopPrice: d(p.stopPrice), targetPrice: d(p.targetPrice), trailPct: d(p.trailPct), highWater: d(p.highWater),
    trailStop: f.trailStop,
    closing: closing && closing.n > 0n ? { qty: scaledStr(closing), exitReason: p.closingReason } : null,
    updatedAt: p.updatedAt.toISOString(),
  };
}

async function positionRows(deps: ViewDeps, symbol: string | null, totals: Totals = { mv: 0n, upnl: 0n, rpnl: 0n }): Promise<TPositionRow[]> {
  const { rows } = await deps.pool.query<PositionDbRow>(POSITIONS, [symbol]);
  const last = await latestCloses(deps, rows.map((r) => r.symbol), '5m');
  return rows.map((r) => toRow(r, last.get(r.symbol), totals));
}

export async function listPositions(deps: ViewDeps): Promise<TPositionsView> {
  const totals: Totals = { mv: 0n, upnl: 0n, rpnl: 0n };
  const [tradingState, positions] = await Promise.all([getTradingState(deps.prisma), positionRows(deps, null, totals)]);
  return {
    asOf: deps.clock.now().toISOString(), tradingState: tradingState.state, positions,
    totals: { marketValue: centsStr(totals.mv), unrealizedPnl: centsStr(totals.upnl), realizedPnl: centsStr(totals.rpnl) },
  };
}

/** The window can reach back this far to include the latest entry (about 26 trading days of 5m bars). */
const MAX_BARS = 2000;

/**
 * One symbol for the drill-down: the newest `bars` 5m bars — reaching further back, up to MAX_BARS, so the latest
 * entry is in view — and the fills within that window (the chart's markers), with the strategy and exit reason
 * that led to each.
 */
export async function positionDetail(deps: ViewDeps, q: { symbol: string; bars: number }): Promise<TPositionDetail> {
  const [position] = await positionRows(deps, q.symbol);
  const { rows: entry } = await deps.pool.query<{ at: Date | null }>(`SELECT max("filledAt") AS at FROM fills WHERE symbol = $1 AND side = 'BUY'`, [q.symbol]);
  // A few bars of context before the entry (LEAST ignores a NULL entry time).
  const entryFrom = entry[0]?.at ? new Date(entry[0].at.getTime() - 30 * 60_000) : null;
  const { rows: bars } = await deps.pool.query<{ ts: Date; open: string; high: string; low: string; close: string; volume: string }>(
    `SELECT ts, open::text, high::text, low::text, close::text, volume::text FROM market_data_5m
      WHERE symbol = $1
        AND ts >= LEAST($2::timestamptz, (SELECT min(ts) FROM (SELECT ts FROM market_data_5m WHERE symbol = $1 ORDER BY ts DESC LIMIT $3) w))
      ORDER BY ts DESC LIMIT $4`,
    [q.symbol, entryFrom, q.bars, MAX_BARS],
  );
  bars.reverse();
  const from = bars[0]?.ts ?? null;
  const { rows: fills } = from
    ? await deps.pool.query<{ id: string; filledAt: Date; side: 'BUY' | 'SELL'; qty: string; price: string; clientOrderId: string; strategy: string | null; exitReason: string | null }>(
        `SELECT f.id, f."filledAt", f.side::text AS side, f.qty::text, f.price::text, o."clientOrderId", s.strategy, i."exitReason"
           FROM fills f JOIN orders o ON o.id = f."orderId" JOIN order_intents i ON i.id = o."intentId"
           LEFT JOIN risk_decisions d ON d.id = i."riskDecisionId" LEFT JOIN signals s ON s.id = d."signalId"
          WHERE f.symbol = $1 AND f."filledAt" >= $2
          ORDER BY f."filledAt", f.id LIMIT 500`,
        [q.symbol, from],
      )
    : { rows: [] };
  return {
    symbol: q.symbol,
    asOf: deps.clock.now().toISOString(),
    position: position ?? null,
    bars: encodeChartBars(bars),
    fills: fills.map((f) => ({
      id: f.id, at: f.filledAt.toISOString(), side: f.side, qty: dec(f.qty).toFixed(), price: dec(f.price).toFixed(), clientOrderId: f.clientOrderId,
      strategy: f.strategy, exitReason: f.exitReason,
    })),
  };
}
