// The console's Logs page: every process's pino lines kept in a Redis stream, each with a category, searched
// newest first by category, level, text and time (New York in the page, instants here).
import { z } from 'zod';

/** What a line is about. `errors` is not stored: it finds every line at level error (50) or above. */
export const LOG_CATEGORIES = ['orders', 'positions', 'risk', 'backfill', 'scanner', 'data', 'system'] as const;
export const ZLogCategory = z.enum(LOG_CATEGORIES);
export type TLogCategory = z.infer<typeof ZLogCategory>;
export const ZLogCategoryFilter = z.enum([...LOG_CATEGORIES, 'errors']);
export type TLogCategoryFilter = z.infer<typeof ZLogCategoryFilter>;

/** pino's levels. */
export const LOG_LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const;
export const ZLogLevelName = z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']);
export type TLogLevelName = z.infer<typeof ZLogLevelName>;

/** A stream entry id: `<ms>-<seq>` (Redis stamps it when the line is stored). */
export const ZLogId = z.string().regex(/^\d{1,15}-\d{1,20}$/, 'must be a log line id like 1717500000000-0');

export const ZLogFilter = z.object({
  category: ZLogCategoryFilter.optional(),
  minLevel: ZLogLevelName.optional(),
  /** Case-insensitive; matched against the whole JSON line (message and fields). */
  text: z.string().trim().max(200).optional(),
});
export type TLogFilter = z.infer<typeof ZLogFilter>;

export const ZLogSearchInput = ZLogFilter.extend({
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  limit: z.number().int().min(1).max(500).default(100),
  /** Continue below this id (the previous page's `nextBefore`). */
  before: ZLogId.optional(),
}).refine((i) => !i.from || !i.to || Date.parse(i.from) <= Date.parse(i.to), { message: 'from must not be after to', path: ['from'] });
export type TLogSearchInput = z.input<typeof ZLogSearchInput>;

export const ZLogLine = z.object({
  id: ZLogId,
  /** When the line was stored (the stream id's time). */
  at: z.iso.datetime(),
  /** When it was logged (pino's `time`), else `at`. */
  time: z.iso.datetime(),
  level: z.number().int(),
  levelName: z.string(),
  category: z.string(),
  /** The logging process (pino's `name`). */
  name: z.string().nullable(),
  msg: z.string(),
  /** The JSON line as pino wrote it (secrets already redacted). */
  line: z.string(),
});
export type TLogLine = z.infer<typeof ZLogLine>;

export const ZLogPage = z.object({
  lines: z.array(ZLogLine),
  /** Lines read to answer (each call reads at most a bounded number). */
  scanned: z.number().int(),
  /** The scan stopped at its bound before the range was exhausted: older lines were not searched. */
  partial: z.boolean(),
  /** Pass as `before` to continue; null when the range is exhausted. */
  nextBefore: ZLogId.nullable(),
  /** Time of the oldest line read (how far back this answer looked). */
  searchedBackTo: z.iso.datetime().nullable(),
  /** Lines in the store (all categories). */
  stored: z.number().int(),
  /** The newest line in the store when this answer was read: a live tail starting after it misses nothing. */
  newestId: ZLogId.nullable(),
});
export type TLogPage = z.infer<typeof ZLogPage>;

export const ZLogLiveInput = ZLogFilter.extend({
  /** Start after this id (the newest line the page has); default: lines stored from now on. */
  after: ZLogId.optional(),
  /** Set by the client on reconnection (tracked events): resume after it. */
  lastEventId: ZLogId.nullish(),
});
export type TLogLiveInput = z.infer<typeof ZLogLiveInput>;
