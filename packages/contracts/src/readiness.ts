// Go-live readiness: the pre-production checklist as checks the system runs itself. Each check's last result is
// stored with its evidence; a result older than its freshness window reads "stale". The live switch needs all pass.
import { z } from 'zod';

export const READINESS_CHECK_IDS = [
  'code.no-test-code',
  'apis.market-data',
  'apis.broker',
  'apis.rate-limits',
  'apis.keys',
  'paper.record',
  'integration.replay',
  'integration.restart',
  'db.partitions',
  'db.backup-restore',
  'infra.prometheus',
  'infra.headroom',
  'risk.position-limits',
  'risk.stop-losses',
  'risk.breakers',
] as const;
export const ZReadinessCheckId = z.enum(READINESS_CHECK_IDS);
export type TReadinessCheckId = z.infer<typeof ZReadinessCheckId>;

export const ZReadinessGroup = z.enum(['code', 'apis', 'paper', 'integration', 'database', 'risk']);
export type TReadinessGroup = z.infer<typeof ZReadinessGroup>;

/** Stored verdicts are pass | fail; stale and not-run are judged when read. */
export const ZReadinessStatus = z.enum(['pass', 'fail', 'stale', 'not-run']);
export type TReadinessStatus = z.infer<typeof ZReadinessStatus>;

export const ZReadinessTrigger = z.enum(['manual', 'schedule', 'cli']);
export type TReadinessTrigger = z.infer<typeof ZReadinessTrigger>;

/** Numbers and facts behind a verdict: flat enough to print as `key: value` lines. */
export const ZReadinessEvidence = z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(z.string())]));
export type TReadinessEvidence = z.infer<typeof ZReadinessEvidence>;

export const ZReadinessItem = z.object({
  id: ZReadinessCheckId,
  group: ZReadinessGroup,
  title: z.string(),
  status: ZReadinessStatus,
  /** One line: why it passed or failed (or that it never ran / is too old). */
  summary: z.string(),
  /** What to do when it is not pass. */
  remedy: z.string().nullable(),
  evidence: ZReadinessEvidence,
  ranBy: z.string().nullable(),
  trigger: ZReadinessTrigger.nullable(),
  finishedAt: z.iso.datetime().nullable(),
  durationMs: z.number().int().nullable(),
  ageSeconds: z.number().int().nullable(),
  windowSeconds: z.number().int(),
  /** Run by the scheduler (ops/job-definitions.yaml: readiness_expensive) rather than on every `readiness run`. */
  scheduled: z.boolean(),
});
export type TReadinessItem = z.infer<typeof ZReadinessItem>;

export const ZReadinessReport = z.object({
  /** Every check pass and fresh: the live switch is allowed. */
  ready: z.boolean(),
  at: z.iso.datetime(),
  counts: z.record(ZReadinessStatus, z.number().int()),
  items: z.array(ZReadinessItem),
  /** The broker account the runtime may trade: live only after `broker go-live`. */
  account: z.enum(['paper', 'live']),
});
export type TReadinessReport = z.infer<typeof ZReadinessReport>;

export const ZReadinessRunInput = z.object({ checks: z.array(ZReadinessCheckId).min(1).optional() });
export type TReadinessRunInput = z.infer<typeof ZReadinessRunInput>;

export const ZBrokerAccountMode = z.enum(['paper', 'live']);
export type TBrokerAccountMode = z.infer<typeof ZBrokerAccountMode>;

export const ZGoLiveInput = z.object({
  reason: z.string().trim().min(3, 'say why (at least 3 characters)').max(500),
  password: z.string().min(1).optional(),
});
export const ZGoPaperInput = z.object({ reason: z.string().trim().min(3, 'say why (at least 3 characters)').max(500) });

const DURATION = /^(\d+)(m|h|d)$/;
const UNIT_SECONDS = { m: 60, h: 3600, d: 86_400 } as const;

/**
 * READINESS_WINDOWS: `check=duration` pairs (`paper.record=26h,db.backup-restore=8d`), durations in m, h or d.
 * Returns the windows in seconds, or the first problem naming the entry.
 */
export function parseReadinessWindows(text: string): { windows: Partial<Record<TReadinessCheckId, number>> } | { error: string } {
  const windows: Partial<Record<TReadinessCheckId, number>> = {};
  const entries = text.split(',').map((e) => e.trim()).filter(Boolean);
  for (const [i, entry] of entries.entries()) {
    const [id, dur] = entry.split('=').map((s) => s.trim());
    const where = `entry ${i + 1} (${entry})`;
    const check = ZReadinessCheckId.safeParse(id);
    if (!check.success) return { error: `${where}: unknown check '${id}' (one of ${READINESS_CHECK_IDS.join(', ')})` };
    const m = DURATION.exec(dur ?? '');
    if (!m || Number(m[1]) === 0) return { error: `${where}: the window must be a duration like 30m, 26h or 8d` };
    windows[check.data] = Number(m[1]) * UNIT_SECONDS[m[2] as keyof typeof UNIT_SECONDS];
  }
  return { windows };
}
