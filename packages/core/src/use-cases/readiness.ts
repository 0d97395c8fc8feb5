// Go-live readiness: runs the checks (readiness-<group>.ts), stores each result with its evidence in
// readiness_results, and reads the report — the latest result per check, "stale" once older than its window,
// "not-run" without one. A check that throws is a "fail" with its message, never a pass.
import { existsSync } from 'node:fs';
import path from 'node:path';
import {
  parseReadinessWindows, READINESS_CHECK_IDS, type TReadinessCheckId, type TReadinessItem, type TReadinessReport, type TReadinessStatus, type TReadinessTrigger,
} from '@ai-trader/contracts';
import type { Deps } from '../ports.ts';
import { brokerAccountMode } from './readiness-gate.ts';
import { brokerCheck, keysCheck, marketDataCheck, rateLimitsCheck } from './readiness-apis.ts';
import { codeCheck } from './readiness-code.ts';
import { backupRestoreCheck, headroomCheck, partitionsCheck, prometheusCheck } from './readiness-database.ts';
import { replayCheck, restartCheck } from './readiness-integration.ts';
import { paperRecordCheck } from './readiness-paper.ts';
import { breakersCheck, positionLimitsCheck, stopLossesCheck } from './readiness-risk.ts';
import type { CheckOutcome, ReadinessCheck, ReadinessEnv } from './readiness-types.ts';

export type { ReadinessCheck, ReadinessEnv, CheckOutcome } from './readiness-types.ts';

const ALL: ReadinessCheck[] = [
  codeCheck, marketDataCheck, brokerCheck, rateLimitsCheck, keysCheck, paperRecordCheck, replayCheck, restartCheck,
  partitionsCheck, backupRestoreCheck, prometheusCheck, headroomCheck, positionLimitsCheck, stopLossesCheck, breakersCheck,
];
export const READINESS_CHECKS: ReadonlyMap<TReadinessCheckId, ReadinessCheck> = new Map(ALL.map((c) => [c.id, c]));
if (READINESS_CHECKS.size !== READINESS_CHECK_IDS.length) throw new Error('readiness: a check id of the contract has no check');

/**
 * Where the checks find the built console and the alert rules: the checkout found upwards from `from` (the working
 * directory — the CLI, the workers and the console all run inside it; a bundle's own path says nothing).
 */
export function defaultReadinessEnv(from = process.cwd()): ReadinessEnv {
  // turbopackIgnore: found at run time, not bundled (else the console's build traces the whole checkout).
  let dir = path.resolve(/*turbopackIgnore: true*/ from);
  while (!existsSync(path.join(/*turbopackIgnore: true*/ dir, 'ops/alerts.yml')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return { repoDir: dir, consoleBuildDir: path.join(/*turbopackIgnore: true*/ dir, 'apps/console/.next'), alertsFile: path.join(/*turbopackIgnore: true*/ dir, 'ops/alerts.yml') };
}

/** Each check's window in seconds: its default, or READINESS_WINDOWS. */
export function readinessWindows(deps: Pick<Deps, 'config'>): Record<TReadinessCheckId, number> {
  const parsed = deps.config.READINESS_WINDOWS ? parseReadinessWindows(deps.config.READINESS_WINDOWS) : { windows: {} };
  const over = 'windows' in parsed ? parsed.windows : {};
  return Object.fromEntries(ALL.map((c) => [c.id, over[c.id] ?? c.windowSeconds])) as Record<TReadinessCheckId, number>;
}

export interface RunBy {
  /** The operator's e-mail, or job:<name> for a scheduled run. */
  ranBy: string;
  trigger: TReadinessTrigger;
  env?: ReadinessEnv;
}

export interface StoredResult { id: TReadinessCheckId; status: 'pass' | 'fail'; summary: string; remedy: string | null; durationMs: number }

/** Runs one check and stores its result; a check that throws is a fail with its message. */
export async function runReadinessCheck(deps: Deps, id: TReadinessCheckId, by: RunBy): Promise<StoredResult> {
  const check = READINESS_CHECKS.get(id)!;
  const startedAt = new Date();
  let out: CheckOutcome;
  try {
    out = await check.run(deps, by.env ?? defaultReadinessEnv());
  } catch (e) {
    out = { ok: false, summary: `the check could not run: ${(e as Error).message}`, evidence: { error: (e as Error).message } };
  }
  const finishedAt = new Date();
  const durationMs = finishedAt.getTime() - startedAt.getTime();
  const status = out.ok ? 'pass' : 'fail';
  const remedy = out.ok ? null : (out.remedy ?? check.remedy);
  // Stored at the deps clock (what freshness is judged against); the duration is wall time. A check's results are
  // ordered by finishedAt alone, so a result never ties with the one before it (a clock that stands still, in tests).
  const prev = await deps.prisma.readinessResult.findFirst({ where: { check: id }, orderBy: { finishedAt: 'desc' }, select: { finishedAt: true } });
  const now = deps.clock.now();
  const at = prev && prev.finishedAt >= now ? new Date(prev.finishedAt.getTime() + 1) : now;
  await deps.prisma.readinessResult.create({
    data: { check: id, status, summary: out.summary, remedy, evidence: out.evidence as object, ranBy: by.ranBy, trigger: by.trigger, startedAt: new Date(at.getTime() - durationMs), finishedAt: at, durationMs },
  });
  deps.logger.info({ category: 'readiness', check: id, status, ranBy: by.ranBy, durationMs }, `readiness ${id}: ${status}: ${out.summary}`);
  return { id, status, summary: out.summary, remedy, durationMs };
}

/**
 * Runs the named checks (default: every check not left to the scheduler), one after another — the expensive ones
 * (a restore, a bundle scan) must not compete with each other. Unknown names were refused by the schema already.
 */
export async function runReadiness(deps: Deps, input: { checks?: TReadinessCheckId[] } & RunBy, onResult?: (r: StoredResult) => void): Promise<StoredResult[]> {
  const ids = input.checks ?? ALL.filter((c) => !c.scheduled).map((c) => c.id);
  const out: StoredResult[] = [];
  for (const id of ids) {
    const r = await runReadinessCheck(deps, id, input);
    onResult?.(r);
    out.push(r);
  }
  return out;
}

/** The scheduled job's checks: the expensive ones. */
export const SCHEDULED_READINESS_CHECKS: TReadinessCheckId[] = ALL.filter((c) => c.scheduled).map((c) => c.id);

/** The report: the latest result per check, judged for freshness at the deps clock. */
export async function readinessReport(deps: Pick<Deps, 'prisma' | 'pool' | 'config' | 'clock'>): Promise<TReadinessReport> {
  const now = deps.clock.now();
  const windows = readinessWindows(deps);
  const latest = await deps.prisma.$queryRaw<{ check: string; status: string; summary: string; remedy: string | null; evidence: unknown; ranBy: string; trigger: string; finishedAt: Date; durationMs: number }[]>`
    SELECT DISTINCT ON ("check") "check", status, summary, remedy, evidence, "ranBy", "trigger", "finishedAt", "durationMs"
      FROM readiness_results ORDER BY "check", "finishedAt" DESC, id`;
  const byId = new Map(latest.map((r) => [r.check, r]));
  const items: TReadinessItem[] = ALL.map((c) => {
    const r = byId.get(c.id);
    const windowSeconds = windows[c.id];
    const base = { id: c.id, group: c.group, title: c.title, windowSeconds, scheduled: c.scheduled };
    if (!r) return { ...base, status: 'not-run', summary: 'never run', remedy: `run it: ai-trader readiness run ${c.id}`, evidence: {}, ranBy: null, trigger: null, finishedAt: null, durationMs: null, ageSeconds: null };
    const ageSeconds = Math.max(0, Math.floor((now.getTime() - r.finishedAt.getTime()) / 1000));
    const stale = ageSeconds > windowSeconds;
    const status: TReadinessStatus = stale ? 'stale' : (r.status as 'pass' | 'fail');
    return {
      ...base, status,
      summary: stale ? `last result (${r.status}) is ${formatAge(ageSeconds)} old, older than its ${formatAge(windowSeconds)} window: ${r.summary}` : r.summary,
      remedy: stale ? `run it again: ai-trader readiness run ${c.id}${c.scheduled ? ' (or check the readiness_expensive job: ai-trader scheduler status)' : ''}` : r.remedy,
      evidence: r.evidence as TReadinessItem['evidence'], ranBy: r.ranBy, trigger: r.trigger as TReadinessTrigger, finishedAt: r.finishedAt.toISOString(), durationMs: r.durationMs, ageSeconds,
    };
  });
  const counts = { pass: 0, fail: 0, stale: 0, 'not-run': 0 } as Record<TReadinessStatus, number>;
  for (const i of items) counts[i.status]++;
  return { ready: counts.pass === items.length, at: now.toISOString(), counts, items, account: await brokerAccountMode(deps) };
}

export function formatAge(s: number): string {
  if (s < 120) return `${s} s`;
  if (s < 2 * 3600) return `${Math.round(s / 60)} min`;
  if (s < 2 * 86_400) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86_400)} d`;
}
