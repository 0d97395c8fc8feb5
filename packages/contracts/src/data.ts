// The console's Data page: freshness per symbol and timeframe, stored newest bars, quarantined bars (paged),
// data alerts, and gaps found by validating stored bars against the NYSE calendar.
import { z } from 'zod';
import { ZAlertView } from './api.ts';
import { ZDay } from './jobs.ts';
import { ZSymbol, ZTimeframe } from './market.ts';

export const ZFreshnessRow = z.object({
  symbol: z.string(),
  timeframe: ZTimeframe,
  /** Null: an expected symbol no bar has arrived for. */
  lastBarTs: z.iso.datetime().nullable(),
  arrivedAt: z.iso.datetime().nullable(),
  ageSeconds: z.number().int().nullable(),
  stale: z.boolean(),
  /** One of the symbols the configured feed delivers. */
  expected: z.boolean(),
});
export type TFreshnessRow = z.infer<typeof ZFreshnessRow>;

export const ZStoredNewest = z.object({
  symbol: z.string(),
  /** The newest stored bar's start per timeframe (null: none stored). */
  newest: z.record(ZTimeframe, z.iso.datetime().nullable()),
});

export const ZQuarantineRow = z.object({
  id: z.string(),
  symbol: z.string().nullable(),
  timeframe: z.string(),
  ts: z.iso.datetime().nullable(),
  kind: z.string(),
  detail: z.string(),
  source: z.string(),
  /** The row as received, as JSON (cut at 300 characters). */
  raw: z.string(),
  runId: z.string().nullable(),
  createdAt: z.iso.datetime(),
});
export type TQuarantineRow = z.infer<typeof ZQuarantineRow>;

export const ZQuarantineInput = z.object({
  symbol: ZSymbol.optional(),
  timeframe: ZTimeframe.optional(),
  /** Rows older than this id (the last id of the previous page). */
  beforeId: z.string().regex(/^\d+$/, 'must be a row id').optional(),
  limit: z.number().int().min(1).max(200).default(25),
});
export type TQuarantineInput = z.infer<typeof ZQuarantineInput>;

export const ZQuarantinePage = z.object({
  rows: z.array(ZQuarantineRow),
  /** Pass as beforeId for the next (older) page; null when this was the last. */
  nextBeforeId: z.string().nullable(),
});
export type TQuarantinePage = z.infer<typeof ZQuarantinePage>;

export const ZDataView = z.object({
  asOf: z.iso.datetime(),
  staleAfterSeconds: z.number().int(),
  feed: z.object({ name: z.string(), running: z.boolean(), since: z.iso.datetime().nullable() }),
  freshness: z.array(ZFreshnessRow),
  stored: z.array(ZStoredNewest),
  quarantine: z.object({
    /** Rows quarantined in the last 24 h, by kind, most first. */
    lastDay: z.array(z.object({ kind: z.string(), count: z.number().int() })),
    latest: ZQuarantinePage,
  }),
  /** Open and recent `feed.stale:*` and `data.validation:*` alerts. */
  alerts: z.array(ZAlertView),
});
export type TDataView = z.infer<typeof ZDataView>;

export const ZGapsInput = z.object({
  symbols: z.array(ZSymbol).min(1, 'name at least one ticker').max(10, 'at most 10 tickers at a time'),
  timeframe: ZTimeframe,
  from: ZDay,
  to: ZDay,
  session: z.enum(['regular', 'extended', 'any']).default('regular'),
});
export type TGapsInput = z.infer<typeof ZGapsInput>;

/** A problem, or a run of the same problem on consecutive slots (e.g. 12 missing bars in a row). */
export const ZProblemRun = z.object({
  kind: z.string(),
  severity: z.enum(['reject', 'warn']),
  from: z.string(),
  to: z.string(),
  count: z.number().int(),
  detail: z.string(),
});

export const ZGapsResult = z.object({
  from: ZDay,
  to: ZDay,
  timeframe: ZTimeframe,
  series: z.array(z.object({
    symbol: z.string(),
    good: z.number().int(),
    rejected: z.number().int(),
    warnings: z.number().int(),
    missing: z.number().int(),
    /** In time order, at most 50; `more` counts the rest. */
    runs: z.array(ZProblemRun),
    more: z.number().int(),
  })),
});
export type TGapsResult = z.infer<typeof ZGapsResult>;
