// The Orders page: one row per risk decision (a denied signal, or an approved intent with its order and fills),
// working and history, each with a state timeline, filters shared by the list and the CSV export, and cancel.
// Money and quantities are decimal strings; times are ISO-8601 UTC.
import { z } from 'zod';
import { ZReason } from './api.ts';
import { ZDay } from './jobs.ts';
import { ZDecimalString, ZOrderSide, ZOrderStatus, ZSymbol } from './market.ts';

/** Where a decision stands: denied by our risk (no order), an approved intent not sent yet (pending), blocked by the
 *  trading state or failed to reach the broker at submission, else the order's status at the broker. */
export const ZOrderRowStatus = z.enum(['denied', 'pending', 'blocked', 'failed', ...ZOrderStatus.options]);
export type TOrderRowStatus = z.infer<typeof ZOrderRowStatus>;

/** Statuses that can still trade (and can be cancelled once at the broker). */
export const WORKING_ROW_STATUSES = ['pending', 'pending_new', 'new', 'partially_filled'] as const satisfies readonly TOrderRowStatus[];

export const ZOrdersFilter = z
  .object({
    /** working: can still trade; history: everything that ended (filled, cancelled, rejected, denied, …); all: both. */
    view: z.enum(['all', 'working', 'history']).default('all'),
    symbol: ZSymbol.optional(),
    status: ZOrderRowStatus.optional(),
    side: ZOrderSide.optional(),
    /** New York dates, inclusive, of the decision time. */
    from: ZDay.optional(),
    to: ZDay.optional(),
  })
  .refine((f) => !f.from || !f.to || f.from <= f.to, { path: ['to'], message: 'must not be before from' });
export type TOrdersFilter = z.infer<typeof ZOrdersFilter>;

export const ZOrdersListInput = z.object({
  filter: ZOrdersFilter.default({ view: 'all' }),
  /** Up to 1,000 rows a page (the console's lists are served from a cache of their answer; see cached-queries.ts). */
  limit: z.number().int().min(1).max(1000).default(50),
  /** nextCursor of the previous page. */
  cursor: z.string().regex(/^\d{4}-\d\d-\d\dT[\d:.]+Z\|[0-9a-f-]{36}$/, 'must be a nextCursor from a previous page').optional(),
});
export type TOrdersListInput = z.infer<typeof ZOrdersListInput>;

export const ZOrderRow = z.object({
  /** The risk decision's id (every row has one). */
  id: z.string(),
  signalId: z.string(),
  strategy: z.string(),
  symbol: z.string(),
  side: ZOrderSide,
  /** When the decision was taken (the intent's time for approved ones). */
  at: z.iso.datetime(),
  /** The market time of the signal (its bar). */
  barTs: z.iso.datetime(),
  refPrice: ZDecimalString,
  /** The approved quantity (null when denied). */
  qty: ZDecimalString.nullable(),
  status: ZOrderRowStatus,
  working: z.boolean(),
  isEntry: z.boolean().nullable(),
  exitReason: z.string().nullable(),
  order: z
    .object({
      clientOrderId: z.string(),
      broker: z.string(),
      filledQty: ZDecimalString,
      avgFillPrice: ZDecimalString.nullable(),
      submittedAt: z.iso.datetime().nullable(),
    })
    .nullable(),
  /** Why it did not (fully) go through: denied (our risk, with its code), rejected (the broker, with its cause),
   *  blocked (trading state) or failed (broker unreachable, with its cause). */
  why: z.object({ kind: z.enum(['denied', 'rejected', 'blocked', 'failed']), code: z.string().nullable(), message: z.string() }).nullable(),
});
export type TOrderRow = z.infer<typeof ZOrderRow>;

export const ZOrdersPage = z.object({ asOf: z.iso.datetime(), rows: z.array(ZOrderRow), nextCursor: z.string().nullable() });
export type TOrdersPage = z.infer<typeof ZOrdersPage>;

export const ZTimelineStep = z.object({
  kind: z.enum(['signal', 'risk', 'intent', 'submitted', 'fill', 'canceled', 'rejected', 'expired', 'blocked', 'failed', 'audit']),
  at: z.iso.datetime().nullable(),
  title: z.string(),
  detail: z.string().nullable(),
  tone: z.enum(['ok', 'bad', 'info']),
});
export type TTimelineStep = z.infer<typeof ZTimelineStep>;

export const ZOrderTimeline = z.object({ row: ZOrderRow, steps: z.array(ZTimelineStep) });
export type TOrderTimeline = z.infer<typeof ZOrderTimeline>;

export const ZCancelOrderRequest = z.object({ clientOrderId: z.string().min(1).max(64), reason: ZReason });
export const ZCancelOrderResult = z.object({
  clientOrderId: z.string(),
  /** canceled: the broker confirmed; not_open: it had filled first (its fills arrive as trade updates). */
  result: z.enum(['canceled', 'not_open']),
  /** The order's status in our books afterwards. */
  status: ZOrderStatus,
});
export type TCancelOrderResult = z.infer<typeof ZCancelOrderResult>;
