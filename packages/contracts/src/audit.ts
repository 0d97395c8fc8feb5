// The audit trail: filtered pages of the (hash-chained) audit log, its CSV export, and the chain's verification
// (where it breaks, if it does). Times are ISO-8601 UTC; seq and id are decimal strings (bigint in Postgres).
import { z } from 'zod';
import { ZDay } from './jobs.ts';

export const ZAuditFilter = z
  .object({
    /** Start of the actor's email (case-insensitive), e.g. "ops@" or "cli:". */
    actor: z.string().trim().min(1).max(200).optional(),
    /** Start of the action, e.g. "trading." or "auth.sign-in". */
    actionPrefix: z.string().trim().min(1).max(100).optional(),
    /** New York dates, inclusive. */
    from: ZDay.optional(),
    to: ZDay.optional(),
  })
  .refine((f) => !f.from || !f.to || f.from <= f.to, { path: ['to'], message: 'must not be before from' });
export type TAuditFilter = z.infer<typeof ZAuditFilter>;

export const ZAuditPageInput = z.object({
  filter: ZAuditFilter.default({}),
  limit: z.number().int().min(1).max(200).default(100),
  /** nextCursor of the previous page (rows below this seq). */
  cursor: z.string().regex(/^\d+$/, 'must be a nextCursor from a previous page').nullish(),
});
export type TAuditPageInput = z.infer<typeof ZAuditPageInput>;

export const ZAuditRow = z.object({
  seq: z.string(),
  id: z.string(),
  at: z.iso.datetime(),
  actorId: z.string().nullable(),
  actorEmail: z.string(),
  action: z.string(),
  reason: z.string().nullable(),
  before: z.unknown().nullable(),
  after: z.unknown().nullable(),
  hash: z.string(),
});
export type TAuditRow = z.infer<typeof ZAuditRow>;

export const ZAuditPage = z.object({ rows: z.array(ZAuditRow), nextCursor: z.string().nullable() });
export type TAuditPage = z.infer<typeof ZAuditPage>;

/** At most this many rows go into one CSV export (narrow the filters for more). */
export const AUDIT_CSV_MAX_ROWS = 10_000;
export const ZAuditCsv = z.object({ csv: z.string(), rows: z.number().int(), truncated: z.boolean() });
export type TAuditCsv = z.infer<typeof ZAuditCsv>;

/**
 * Where the chain breaks. gap: rows missing (seq jumps; `seq` is the first missing one, `id` null);
 * prev_mismatch: the row's prevHash is not the hash of the row before it; hash_mismatch: the row's content no
 * longer gives its hash (it was changed); unchained: a row without a chain position (written with the triggers
 * off); head_mismatch: the recorded head (seq + hash kept elsewhere) is gone or differs (rows removed from the end
 * or the chain rewritten).
 */
export const ZAuditBreakKind = z.enum(['gap', 'prev_mismatch', 'hash_mismatch', 'unchained', 'head_mismatch']);
export const ZAuditBreak = z.object({ seq: z.string(), id: z.string().nullable(), kind: ZAuditBreakKind, detail: z.string() });
export type TAuditBreak = z.infer<typeof ZAuditBreak>;

export const ZAuditVerification = z.object({
  rows: z.number().int(),
  intact: z.boolean(),
  firstBreak: ZAuditBreak.nullable(),
  /** Every break found (the first 100), in seq order; breakCount counts them all. */
  breaks: z.array(ZAuditBreak),
  breakCount: z.number().int(),
  /** The last row: record seq and hash somewhere else to detect a rewrite or removal from the end later. */
  head: z.object({ seq: z.string(), hash: z.string() }).nullable(),
  durationMs: z.number(),
  rowsPerSecond: z.number(),
  verifiedAt: z.iso.datetime(),
  verifiedBy: z.string(),
});
export type TAuditVerification = z.infer<typeof ZAuditVerification>;

/** The page's badge: the last verification (null: never verified) and how many rows were written since. */
export const ZAuditChainStatus = z.object({
  last: ZAuditVerification.nullable(),
  headSeq: z.string().nullable(),
  rowsSinceVerified: z.number().int().nullable(),
});
export type TAuditChainStatus = z.infer<typeof ZAuditChainStatus>;

export const ZAuditHead = z
  .string()
  .regex(/^\d+:[0-9a-f]{64}$/, 'must be SEQ:HASH as printed by a previous verify, e.g. 1042:9f86d0…')
  .transform((s) => {
    const [seq, hash] = s.split(':') as [string, string];
    return { seq, hash };
  });
