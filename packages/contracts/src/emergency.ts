// The emergency procedures beyond HALT: liquidate everything, cancel all orders, suspend trading at the broker —
// their inputs, results and the step-by-step progress the console and the CLI show while one runs.
import { z } from 'zod';
import { ZReason } from './api.ts';
import { ZDecimalString, ZOrderSide, ZTradingState } from './market.ts';

export const ZEmergencyAction = z.enum(['stop-entries', 'halt', 'liquidate', 'cancel-all', 'suspend', 'unsuspend', 'resume']);
export type TEmergencyAction = z.infer<typeof ZEmergencyAction>;

/** One step of an emergency action, as it happened. `ms`: since the action was called. */
export const ZEmergencyStep = z.object({
  step: z.enum([
    'halted', // the HALT committed: from here no new order reaches the broker
    'suspended', 'unsuspended', // suspend_trade at the broker
    'orders-cancelled', // the broker's open orders cancelled (and booked)
    'positions-closing', // closing orders placed at the broker for every position
    'verifying', // asking the broker until nothing is open
    'verified-flat', // the broker reports no open order and no position
    'still-open', // the broker still reports something open at the deadline (see the result's stillOpen)
    'booked', // our books updated from what the broker reported (cancellations, closing fills)
    'failed', // the action stopped: detail says where and why
  ]),
  at: z.iso.datetime(),
  ms: z.number().int().min(0),
  ok: z.boolean(),
  detail: z.string(),
});
export type TEmergencyStep = z.infer<typeof ZEmergencyStep>;

/** An order the broker still reports open, and why it is. */
export const ZStillOpenOrder = z.object({
  clientOrderId: z.string(),
  symbol: z.string(),
  side: ZOrderSide,
  qty: ZDecimalString,
  filledQty: ZDecimalString,
  status: z.string().nullable(),
  why: z.string(),
});
export type TStillOpenOrder = z.infer<typeof ZStillOpenOrder>;

/** A position the broker still reports, and why it is not closed. */
export const ZStillOpenPosition = z.object({ symbol: z.string(), qty: ZDecimalString, why: z.string() });
export type TStillOpenPosition = z.infer<typeof ZStillOpenPosition>;

export const ZLiquidateRequest = z.object({ reason: ZReason });

export const ZClosingOrder = z.object({
  symbol: z.string(),
  /** The position's quantity when the close was asked for (negative for a short). */
  positionQty: ZDecimalString,
  side: ZOrderSide.nullable(),
  /** The broker's client order id of the closing order; null when the broker placed none. */
  clientOrderId: z.string().nullable(),
  status: z.string().nullable(),
  error: z.string().nullable(),
});
export type TClosingOrder = z.infer<typeof ZClosingOrder>;

export const ZLiquidateResult = z.object({
  runId: z.string(),
  state: ZTradingState,
  /** The broker had no open order and no position: nothing was sent besides the checks. */
  nothingToDo: z.boolean(),
  /** Verified with the broker: no open order and no position left. */
  flat: z.boolean(),
  canceledOrders: z.number().int(),
  closing: z.array(ZClosingOrder),
  stillOpen: z.object({ orders: z.array(ZStillOpenOrder), positions: z.array(ZStillOpenPosition) }),
  /** Our books after booking what the broker reported: positions other than flat (should be none when flat). */
  books: z.object({ flat: z.boolean(), positions: z.array(z.object({ symbol: z.string(), qty: ZDecimalString })), fillsBooked: z.number().int() }),
  timings: z.object({ haltedMs: z.number(), flatMs: z.number().nullable(), totalMs: z.number() }),
  /** Calls made to the broker port (one HTTP request each at Alpaca, but for paging, settling polls and retries). */
  brokerCalls: z.number().int(),
  verifyPasses: z.number().int(),
  steps: z.array(ZEmergencyStep),
});
export type TLiquidateResult = z.infer<typeof ZLiquidateResult>;

export const ZCancelAllRequest = z.object({ reason: ZReason });
export const ZCancelAllResult = z.object({
  state: ZTradingState,
  canceledOrders: z.array(z.string()),
  stillOpen: z.array(ZStillOpenOrder),
  steps: z.array(ZEmergencyStep),
});
export type TCancelAllResult = z.infer<typeof ZCancelAllResult>;

export const ZSuspendRequest = z.object({ reason: ZReason });
export const ZSuspendResult = z.object({
  broker: z.string(),
  /** suspend_trade at the broker after the call, as the broker answered it. */
  suspended: z.boolean(),
  changed: z.boolean(),
  state: ZTradingState,
  canceledOrders: z.array(z.string()),
  stillOpen: z.array(ZStillOpenOrder),
  steps: z.array(ZEmergencyStep),
});
export type TSuspendResult = z.infer<typeof ZSuspendResult>;

/** The broker's own trading switch, where it has one (Alpaca suspend_trade, the sim's equivalent). */
export const ZBrokerStatus = z.object({ broker: z.string(), canSuspend: z.boolean(), suspended: z.boolean().nullable(), error: z.string().nullable() });
export type TBrokerStatus = z.infer<typeof ZBrokerStatus>;

/** The last (or running) emergency action, pushed live to every console while it runs. */
export const ZEmergencyProgress = z.object({
  runId: z.string(),
  action: ZEmergencyAction,
  actor: z.string(),
  reason: z.string(),
  startedAt: z.iso.datetime(),
  finishedAt: z.iso.datetime().nullable(),
  steps: z.array(ZEmergencyStep),
  /** Once finished: whether it reached what it promised (flat, nothing open, suspended), and the end state in words. */
  ok: z.boolean().nullable(),
  outcome: z.string().nullable(),
});
export type TEmergencyProgress = z.infer<typeof ZEmergencyProgress>;
