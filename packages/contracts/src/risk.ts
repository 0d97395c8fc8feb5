// The console's Risk page: every configured limit with its current usage, the circuit breakers and their
// trips, the last reconciliation, and the what-if check. Money and quantities are decimal strings.
import { z } from 'zod';
import { ZAlertView, ZAuditEntry, ZTradingStateView } from './api.ts';
import { ZDecimalString, ZDenyReason, ZOrderSide, ZSymbol, ZTradingState } from './market.ts';

/** How a gauge's numbers read: dollars, a count, shares, percent or seconds. */
export const ZGaugeUnit = z.enum(['usd', 'count', 'shares', 'pct', 'seconds']);
export type TGaugeUnit = z.infer<typeof ZGaugeUnit>;

/** One limit against its current value; `used` may exceed `limit` (a breach is shown, not hidden). */
export const ZLimitGauge = z.object({
  key: z.string(),
  label: z.string(),
  used: ZDecimalString,
  limit: ZDecimalString,
  unit: ZGaugeUnit,
  /** The config variable the limit comes from. */
  source: z.string(),
  /** A short sentence on what is counted. */
  detail: z.string(),
});
export type TLimitGauge = z.infer<typeof ZLimitGauge>;

export const ZBreakerName = z.enum(['drawdown', 'daily_loss', 'rejects', 'error_rate', 'stale_feed']);
export type TBreakerName = z.infer<typeof ZBreakerName>;

export const ZBreakerView = z.object({
  name: ZBreakerName,
  label: z.string(),
  /** What a trip does to the trading state. */
  to: ZTradingState,
  gauge: ZLimitGauge,
  /** False while the breaker cannot judge (no equity snapshot yet, too few submissions, no feed expected). */
  armed: z.boolean(),
  note: z.string().nullable(),
  /** Its alert for today is open: it tripped today and nobody resolved it. */
  trippedToday: z.boolean(),
  lastTrip: z.object({ at: z.iso.datetime(), message: z.string() }).nullable(),
});
export type TBreakerView = z.infer<typeof ZBreakerView>;

export const ZRiskPositionView = z.object({
  symbol: z.string(),
  qty: ZDecimalString,
  /** BUY quantity still working on the symbol (counts toward the position limits). */
  workingBuyQty: ZDecimalString,
  lastPrice: ZDecimalString.nullable(),
  /** (qty + working BUY qty) × last price (avg cost without one). */
  notional: ZDecimalString,
  qtyGauge: ZLimitGauge,
  notionalGauge: ZLimitGauge,
});

export const ZEquityPoint = z.object({ at: z.iso.datetime(), equity: ZDecimalString, peak: ZDecimalString });

export const ZIntentView = z.object({
  id: z.string(),
  symbol: z.string(),
  side: ZOrderSide,
  qty: ZDecimalString,
  refPrice: ZDecimalString,
  isEntry: z.boolean(),
  status: z.string(),
  createdAt: z.iso.datetime(),
});

const ZDrift = z.object({
  kind: z.enum(['order_open_here_only', 'order_open_at_broker_only', 'position_mismatch']),
  subject: z.string(),
  ours: z.string(),
  broker: z.string(),
  repaired: z.boolean().optional(),
  note: z.string().optional(),
});

export const ZReconciliationView = z.object({
  at: z.iso.datetime(),
  repaired: z.number().int(),
  drift: z.array(ZDrift),
  suspect: z.array(ZDrift),
  clean: z.boolean(),
  lastDrift: z.object({ at: z.iso.datetime(), drift: z.array(ZDrift) }).nullable(),
});

export const ZRiskView = z.object({
  asOf: z.iso.datetime(),
  tradingState: ZTradingStateView,
  /** Pre-trade limits (every entry is checked against them): exposure, open orders, order rate. */
  limits: z.array(ZLimitGauge),
  account: z.object({
    cash: ZDecimalString,
    /** Cash less the working BUYs at their reference price: what the next entry may spend. */
    buyingPower: ZDecimalString,
    workingBuyNotional: ZDecimalString,
    orderNotional: ZDecimalString,
  }),
  positions: z.array(ZRiskPositionView),
  equity: z.object({
    latest: z.object({ at: z.iso.datetime(), day: z.string(), equity: ZDecimalString, peak: ZDecimalString, dayStart: ZDecimalString }).nullable(),
    /** Equity − the day's first equity (negative: a loss). */
    dayPnl: ZDecimalString.nullable(),
    drawdownPct: z.number().nullable(),
    /** The latest snapshots, oldest first (at most 240). */
    series: z.array(ZEquityPoint),
  }),
  breakers: z.array(ZBreakerView),
  /** `breaker.*` alerts, open first, then the latest resolved (at most 20). */
  trips: z.array(ZAlertView),
  /** Audit rows written by the breakers (at most 20, newest first). */
  audit: z.array(ZAuditEntry),
  reconciliation: ZReconciliationView.nullable(),
  /** The latest approved order intents (what the order-rate and open-order limits count), newest first. */
  recentIntents: z.array(ZIntentView),
});
export type TRiskView = z.infer<typeof ZRiskView>;

const amount = z.string().trim().regex(/^\d+(\.\d+)?$/, 'must be an amount like 123.45');

export const ZWhatIfInput = z.object({
  symbol: ZSymbol,
  side: ZOrderSide,
  price: amount.optional(),
  notional: amount.optional(),
  strategy: z.string().trim().min(1).max(64).optional(),
});
export type TWhatIfInput = z.infer<typeof ZWhatIfInput>;

export const ZWhatIfAnswer = z.object({
  wouldPass: z.boolean(),
  code: ZDenyReason.nullable(),
  message: z.string(),
  qty: ZDecimalString.nullable(),
  /** The market time the session was judged at: the simulated market's (newest bar it was shown) or null for the wall clock. */
  marketTime: z.iso.datetime().nullable(),
  facts: z.object({
    state: z.string(),
    marketOpen: z.boolean(),
    price: ZDecimalString,
    lastPrice: ZDecimalString.nullable(),
    positionQty: ZDecimalString,
    buyingPower: ZDecimalString,
    grossExposure: ZDecimalString,
    openOrders: z.number().int(),
    ordersLastMinute: z.number().int(),
    stale: z.boolean(),
  }),
});
export type TWhatIfAnswer = z.infer<typeof ZWhatIfAnswer>;
