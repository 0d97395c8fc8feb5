// tRPC inputs and outputs of the console. Money is a decimal string; times are ISO-8601 UTC.
import { z } from 'zod';
import { ZDecimalString, ZOrderSide, ZOrderStatus, ZTradingState } from './market.ts';

export const ZRole = z.enum(['viewer', 'trader', 'admin']);
export type TRole = z.infer<typeof ZRole>;

export const ZActor = z.object({ id: z.string(), email: z.string(), role: ZRole });
export type TActor = z.infer<typeof ZActor>;

export const ZTradingStateView = z.object({
  state: ZTradingState,
  reason: z.string(),
  changedBy: z.string().nullable(),
  changedAt: z.iso.datetime(),
});
export type TTradingStateView = z.infer<typeof ZTradingStateView>;

export const ZPositionView = z.object({
  symbol: z.string(),
  qty: ZDecimalString,
  avgCost: ZDecimalString,
  lastPrice: ZDecimalString.nullable(),
  marketValue: ZDecimalString,
  unrealizedPnl: ZDecimalString,
  realizedPnl: ZDecimalString,
});

export const ZOrderView = z.object({
  id: z.string(),
  clientOrderId: z.string(),
  symbol: z.string(),
  side: ZOrderSide,
  qty: ZDecimalString,
  filledQty: ZDecimalString,
  avgFillPrice: ZDecimalString.nullable(),
  status: ZOrderStatus,
  rejectReason: z.string().nullable(),
  createdAt: z.iso.datetime(),
});

export const ZAlertView = z.object({
  id: z.string(),
  key: z.string(),
  level: z.enum(['info', 'warning', 'critical']),
  source: z.string(),
  message: z.string(),
  count: z.number().int(),
  firstAt: z.iso.datetime(),
  lastAt: z.iso.datetime(),
  resolvedAt: z.iso.datetime().nullable(),
  resolution: z.string().nullable(),
});
export type TAlertView = z.infer<typeof ZAlertView>;

export const ZHealthComponent = z.object({ status: z.enum(['ok', 'degraded', 'down']), detail: z.string() });
export const ZHealth = z.object({
  status: z.enum(['ok', 'degraded', 'down']),
  /** The HTTP status of /api/health/ready: 503 when Postgres or Redis is down, else 200. */
  code: z.union([z.literal(200), z.literal(503)]),
  checkedAt: z.iso.datetime(),
  components: z.record(z.string(), ZHealthComponent),
});
export type THealth = z.infer<typeof ZHealth>;

export const ZOverview = z.object({
  asOf: z.iso.datetime(),
  tradingState: ZTradingStateView,
  equity: ZDecimalString,
  cash: ZDecimalString,
  startingCash: ZDecimalString,
  totalPnl: ZDecimalString,
  unrealizedPnl: ZDecimalString,
  realizedPnl: ZDecimalString,
  positions: z.array(ZPositionView),
  orders: z.array(ZOrderView),
  feed: z.object({ lastBarTs: z.iso.datetime().nullable(), lastBarAt: z.iso.datetime().nullable(), barsStored: z.number().int() }),
  /** Open alerts, most severe and newest first (at most 20). */
  alerts: z.array(ZAlertView),
  /** Equity less the New York day's first equity snapshot (null before the first snapshot of the day). */
  dayPnl: ZDecimalString.nullable(),
  /** Positions at their last price: gross = Σ|value|, net = Σ value. */
  exposure: z.object({ gross: ZDecimalString, net: ZDecimalString }),
  /** Equity snapshots (the breakers job, every 15 s) of the last 7 days, thinned to at most 400 points. */
  equityCurve: z.array(z.object({ at: z.iso.datetime(), equity: ZDecimalString, drawdownPct: z.number() })),
  health: ZHealth,
  /** Freshness of the 5m bars per symbol seen: how many, which are stale, the oldest age. */
  freshness: z.object({ symbols: z.number().int(), stale: z.array(z.string()), oldestAgeSeconds: z.number().nullable() }),
});
export type TOverview = z.infer<typeof ZOverview>;

export const ZReason = z.string().trim().min(3, 'say why, in at least 3 characters').max(500);
export const ZHaltRequest = z.object({ reason: ZReason });
export const ZResumeRequest = z.object({ reason: ZReason });

export const ZHaltResult = z.object({
  state: ZTradingState,
  changed: z.boolean(),
  canceledOrders: z.array(z.string()),
  stillOpen: z.array(z.string()),
});
export type THaltResult = z.infer<typeof ZHaltResult>;

export const ZAuditEntry = z.object({
  id: z.string(),
  at: z.iso.datetime(),
  actorEmail: z.string(),
  action: z.string(),
  reason: z.string().nullable(),
  before: z.unknown().nullable(),
  after: z.unknown().nullable(),
});
export type TAuditEntry = z.infer<typeof ZAuditEntry>;
export const ZAuditListInput = z.object({ limit: z.number().int().min(1).max(200).default(50), beforeId: z.string().regex(/^\d+$/).optional() });


/** What workers publish on the live-events channel; the console re-reads what changed. */
export const ZLiveEvent = z.object({
  kind: z.enum(['bar', 'signal', 'order', 'position', 'trading-state', 'audit', 'backfill', 'alert', 'strategy', 'model', 'scanner', 'emergency', 'session']),
  at: z.iso.datetime(),
});
export type TLiveEvent = z.infer<typeof ZLiveEvent>;
