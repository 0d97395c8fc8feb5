// The Positions page: every position with its P&L and armed exits, a per-symbol drill-down (bars and fills for
// the chart) and the manual close. Money and quantities are decimal strings; times are ISO-8601 UTC.
import { z } from 'zod';
import { ZReason } from './api.ts';
import { ZChartBars } from './chart-bars.ts';
import { ZDecimalString, ZOrderSide, ZSymbol, ZTradingState } from './market.ts';

export const ZPositionRow = z.object({
  symbol: z.string(),
  qty: ZDecimalString,
  avgCost: ZDecimalString,
  lastPrice: ZDecimalString.nullable(),
  marketValue: ZDecimalString,
  unrealizedPnl: ZDecimalString,
  /** Unrealised P&L as a % of the cost of what is held (null when flat or unpriced). */
  unrealizedPct: ZDecimalString.nullable(),
  realizedPnl: ZDecimalString,
  stopPrice: ZDecimalString.nullable(),
  targetPrice: ZDecimalString.nullable(),
  trailPct: ZDecimalString.nullable(),
  highWater: ZDecimalString.nullable(),
  /** Where the trailing stop is now: highWater × (1 − trailPct / 100), to the cent. */
  trailStop: ZDecimalString.nullable(),
  /** A SELL of ours still working for the symbol (approved and not sent yet, or at the broker with a remainder). */
  closing: z.object({ qty: ZDecimalString, exitReason: z.string().nullable() }).nullable(),
  updatedAt: z.iso.datetime(),
});
export type TPositionRow = z.infer<typeof ZPositionRow>;

export const ZPositionsView = z.object({
  asOf: z.iso.datetime(),
  tradingState: ZTradingState,
  /** Open positions and flat ones with realised P&L, by symbol. */
  positions: z.array(ZPositionRow),
  totals: z.object({ marketValue: ZDecimalString, unrealizedPnl: ZDecimalString, realizedPnl: ZDecimalString }),
});
export type TPositionsView = z.infer<typeof ZPositionsView>;

export const ZPositionDetailInput = z.object({
  symbol: ZSymbol,
  /** How many of the newest 5m bars to chart (the window also reaches back to the latest entry, up to 2 000 bars). */
  bars: z.number().int().min(20).max(1000).default(390),
});

export const ZPositionFill = z.object({
  id: z.string(),
  at: z.iso.datetime(),
  side: ZOrderSide,
  qty: ZDecimalString,
  price: ZDecimalString,
  clientOrderId: z.string(),
  /** The strategy whose signal led to the order ("manual" for a close from the console, "exits" for the engine's exits). */
  strategy: z.string().nullable(),
  /** Why a SELL was sent: signal | stop_loss | take_profit | trailing_stop | manual … (null for entries). */
  exitReason: z.string().nullable(),
});
export type TPositionFill = z.infer<typeof ZPositionFill>;

export const ZPositionDetail = z.object({
  symbol: z.string(),
  asOf: z.iso.datetime(),
  position: ZPositionRow.nullable(),
  /** The charted 5m bars as columns (chart-bars.ts: encodeChartBars / decodeChartBars). */
  bars: ZChartBars,
  /** Fills of the symbol within the charted window, oldest first. */
  fills: z.array(ZPositionFill),
});
export type TPositionDetail = z.infer<typeof ZPositionDetail>;

export const ZClosePositionRequest = z.object({ symbol: ZSymbol, reason: ZReason });
export const ZClosePositionResult = z.object({
  symbol: z.string(),
  signalId: z.string(),
  /** What was held when the close was asked for (risk sells what is held when it decides). */
  qty: ZDecimalString,
  /** The market time the close is decided at: the newest bar of the symbol (or the broker's clock). */
  barTs: z.iso.datetime(),
});
export type TClosePositionResult = z.infer<typeof ZClosePositionResult>;
