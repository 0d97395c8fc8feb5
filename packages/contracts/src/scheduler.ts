// The scheduled jobs of ops/job-definitions.yaml: what runs when, on which catalog queue, with which payload,
// after which other jobs, how it retries, how long it may take and in which market hours. Checked whole on load.
import { z } from 'zod';
import { JOB_NAMES, JOBS, type TJobName } from './jobs.ts';

const DURATION = /^(\d+)(ms|s|m|h|d)$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** "30s", "15m", "1h", "2d", "500ms" → milliseconds; null when the text is not such a duration. */
export function durationMs(text: string): number | null {
  const m = DURATION.exec(text.trim());
  return m ? Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS] : null;
}

const ZDuration = (min: number, max: number, what: string) =>
  z.union([z.string(), z.number()]).transform((v, ctx) => {
    const ms = typeof v === 'number' ? v : durationMs(v);
    if (ms === null || !Number.isFinite(ms)) {
      ctx.addIssue({ code: 'custom', message: `${what}: "${v}" is not a duration like 30s, 15m, 1h or 2d` });
      return z.NEVER;
    }
    if (ms < min || ms > max) {
      ctx.addIssue({ code: 'custom', message: `${what}: ${v} is out of range (${min / 1000} s to ${max / 3_600_000} h)` });
      return z.NEVER;
    }
    return ms;
  });

export const ZMarketHours = z.enum(['any', 'open', 'closed', 'pre_open']);
export type TMarketHours = z.infer<typeof ZMarketHours>;
export const ZJobTrigger = z.enum(['schedule', 'manual', 'dependency']);
export type TJobTrigger = z.infer<typeof ZJobTrigger>;
export const ZJobRunStatus = z.enum(['queued', 'running', 'succeeded', 'failed', 'skipped']);
export type TJobRunStatus = z.infer<typeof ZJobRunStatus>;

const JOB_NAME = /^[a-z][a-z0-9_]{0,62}$/;

export const ZJobDefinition = z
  .strictObject({
    description: z.string().min(1).max(300),
    cron: z.string().trim().refine((s) => s.split(/\s+/).length === 5, 'must have 5 fields: minute hour day-of-month month day-of-week').optional(),
    tz: z.string().refine(validTimeZone, 'is not a time zone (e.g. America/New_York)').default('America/New_York'),
    every: ZDuration(1000, 7 * 86_400_000, 'every').optional(),
    queue: z.enum(JOB_NAMES as [TJobName, ...TJobName[]], { message: `must be a queue of the job catalog: ${JOB_NAMES.join(', ')}` }),
    payload: z.record(z.string(), z.unknown()).default({}),
    depends_on: z.array(z.string()).default([]),
    retries: z
      .strictObject({
        attempts: z.number().int().min(1).max(20).default(1),
        backoff: z.strictObject({ type: z.enum(['fixed', 'exponential']).default('exponential'), delay: ZDuration(0, 3_600_000, 'delay').default(60_000) }).prefault({}),
      })
      .prefault({}),
    timeout: ZDuration(1000, 24 * 3_600_000, 'timeout').default(30 * 60_000),
    market_hours: ZMarketHours.default('any'),
    pre_open_offset: ZDuration(60_000, 24 * 3_600_000, 'pre_open_offset').optional(),
    concurrency: z.number().int().min(1).max(64).default(1),
    memory_mb: z.number().int().min(64).max(65_536).optional(),
    trading: z.boolean().default(false),
    enabled: z.boolean().default(true),
  })
  .superRefine((d, ctx) => {
    // Neither: the job runs only by hand or as another's dependency.
    if (d.cron && d.every !== undefined) ctx.addIssue({ code: 'custom', path: ['every'], message: 'give cron or every, not both' });
    if (d.market_hours === 'pre_open' && d.pre_open_offset === undefined) ctx.addIssue({ code: 'custom', path: ['pre_open_offset'], message: 'market_hours pre_open needs pre_open_offset (e.g. 30m)' });
    if (d.market_hours !== 'pre_open' && d.pre_open_offset !== undefined) ctx.addIssue({ code: 'custom', path: ['pre_open_offset'], message: 'only means something with market_hours: pre_open' });
    const payload = JOBS[d.queue].payload.safeParse(d.payload);
    if (!payload.success)
      for (const i of payload.error.issues) ctx.addIssue({ code: 'custom', path: ['payload', ...i.path.map((k) => (typeof k === 'symbol' ? String(k) : k))], message: `${i.message} (payload of ${d.queue})` });
  });
export type TJobDefinition = z.output<typeof ZJobDefinition>;

/** The file's schema; `checkCron` (core's cron parser: contracts has no dependency for it) adds its verdict on each cron. */
export function jobDefinitionsSchema(checkCron?: (expr: string, tz: string) => string | null) {
  return z
    .strictObject({ jobs: z.record(z.string(), ZJobDefinition) })
    .superRefine((f, ctx) => {
      for (const [name, d] of Object.entries(f.jobs)) {
        if (!JOB_NAME.test(name)) ctx.addIssue({ code: 'custom', path: ['jobs', name], message: 'a job name is lower case letters, digits and _, starting with a letter (e.g. data_backfill)' });
        for (const [i, dep] of d.depends_on.entries()) {
          if (!f.jobs[dep]) ctx.addIssue({ code: 'custom', path: ['jobs', name, 'depends_on', i], message: `no job named ${dep} in this file` });
          else if (dep === name) ctx.addIssue({ code: 'custom', path: ['jobs', name, 'depends_on', i], message: 'a job cannot depend on itself' });
        }
        if (d.cron && checkCron) {
          const problem = checkCron(d.cron, d.tz);
          if (problem) ctx.addIssue({ code: 'custom', path: ['jobs', name, 'cron'], message: problem });
        }
      }
      const cycle = findCycle(f.jobs);
      if (cycle) ctx.addIssue({ code: 'custom', path: ['jobs', cycle[0]!, 'depends_on'], message: `dependency cycle: ${cycle.join(' → ')}` });
    });
}
export const ZJobDefinitionsFile = jobDefinitionsSchema();
export type TJobDefinitions = Record<string, TJobDefinition>;

function validTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** A cycle among existing dependencies as [a, b, …, a], or null. */
export function findCycle(jobs: Record<string, { depends_on: string[] }>): string[] | null {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (n: string): string[] | null => {
    if (state.get(n) === 'done' || !jobs[n]) return null;
    if (state.get(n) === 'open') return [...stack.slice(stack.indexOf(n)), n];
    state.set(n, 'open');
    stack.push(n);
    for (const d of jobs[n].depends_on) {
      const c = visit(d);
      if (c) return c;
    }
    stack.pop();
    state.set(n, 'done');
    return null;
  };
  for (const n of Object.keys(jobs)) {
    const c = visit(n);
    if (c) return c;
  }
  return null;
}

/** The job and its dependencies in the order they run: every dependency before whatever depends on it, each once. */
export function runOrder(jobs: TJobDefinitions, name: string): string[] {
  const out: string[] = [];
  const visit = (n: string) => {
    if (out.includes(n)) return;
    for (const d of jobs[n]?.depends_on ?? []) visit(d);
    out.push(n);
  };
  visit(name);
  return out;
}

// Views: `scheduler status` and the Jobs page.
export interface TJobRunView {
  id: string;
  job: string;
  queue: string;
  trigger: TJobTrigger;
  status: TJobRunStatus;
  reason: string | null;
  rootRunId: string | null;
  attempts: number;
  error: string | null;
  queuedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
}
export interface TScheduledJobView {
  name: string;
  description: string;
  queue: string;
  schedule: string; // "cron 0 8 * * 1-5 (America/New_York)" or "every 15m"
  marketHours: string; // "any", "open", "closed", "pre_open (30m before the open)"
  dependsOn: string[];
  trading: boolean;
  enabled: boolean;
  paused: string | null; // why it would be skipped now (HALT), else null
  nextRun: string | null;
  last: TJobRunView | null;
  lastSucceededAt: string | null;
  failures24h: number;
}

/** A worker process past its memory ceiling exits with this code; its supervisor starts it again (and only then). */
export const MEMORY_CEILING_EXIT_CODE = 75;
