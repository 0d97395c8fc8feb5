// The scheduler over real Redis, BullMQ and Postgres, with the scheduler role's workers running in this process:
// dependency order, a failed dependency stopping its job, retries with backoff, market-hours gating on a fake
// clock (a holiday too), HALT pausing the jobs that trade only, one run each for a manual run, schedules synced.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRuntime, type TestRuntime } from '@ai-trader/adapters/testing';
import { loadJobDefinitions } from '@ai-trader/adapters';
import { haltTrading, runsOf, schedulerStatus, syncSchedules, triggerJob, triggerQueue } from '@ai-trader/core';
import type { TJobDefinitions } from '@ai-trader/contracts';
import { startPipeline, type Pipeline } from './pipeline.ts';

const DEFS = `jobs:
  partitions:
    description: partitions a day ahead
    queue: maintenance.partitions
    payload: { daysAhead: 1 }
  analyze:
    description: ANALYZE after the partitions
    cron: "0 3 1 1 *"
    queue: maintenance.vacuum
    payload: { analyzeOnly: true }
    depends_on: [partitions]
  broken_backup:
    description: a backup into a directory that cannot exist
    queue: maintenance.backup
    retries: { attempts: 3, backoff: { type: fixed, delay: 50ms } }
  after_broken:
    description: waits for the broken backup
    queue: maintenance.partitions
    depends_on: [broken_backup]
  in_session:
    description: only while the market is open
    cron: "0 3 1 1 *"
    market_hours: open
    queue: maintenance.partitions
  before_open:
    description: only in the 30 min before the open
    cron: "0 3 1 1 *"
    market_hours: pre_open
    pre_open_offset: 30m
    queue: maintenance.partitions
  slow_backfill:
    description: 40 chunks (4 symbols x 10 days) worked here, checked every 2 s; it cannot end within its timeout
    queue: backfill.scheduled
    payload: { days: 10 }
    timeout: 1s
  features_only:
    description: features of the last trading day
    queue: maintenance.features
  scan_layer0:
    description: scanner layer0 with ops/scanner.yaml
    queue: scanner.run
    payload: { layer: layer0 }
  eod:
    description: equity snapshot and breakers
    queue: monitor.breakers
    depends_on: [reconcile_now]
  reconcile_now:
    description: reconciliation with the sim broker
    queue: monitor.reconcile
  validate_day:
    description: the daily data chores
    queue: maintenance.daily-data
  archive_old:
    description: nothing is that old
    queue: maintenance.archive
    payload: { days: 3650 }
  trades:
    description: a job that trades
    every: 1d
    queue: maintenance.partitions
    trading: true
`;

const RUN_DONE = ['succeeded', 'failed', 'skipped'];

describe('scheduler', () => {
  let rt: TestRuntime;
  let pipeline: Pipeline;
  let defs: TJobDefinitions;
  let fakeNow: Date | null = null;
  const admin = { id: 'a', email: 'admin@example.com', role: 'admin' as const };

  beforeAll(async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sched-'));
    const file = path.join(dir, 'job-definitions.yaml');
    writeFileSync(file, DEFS);
    // BACKUP_DIR under a regular file: mkdir fails every time (ENOTDIR), a real and lasting failure.
    writeFileSync(path.join(dir, 'not-a-dir'), '');
    rt = await createTestRuntime('scheduler', { JOB_DEFINITIONS_FILE: file, BACKUP_DIR: path.join(dir, 'not-a-dir', 'backups') });
    defs = loadJobDefinitions(file).definitions;
    // The scheduler's gates read deps.clock: a test sets the instant, else it is the real time.
    rt.deps.clock = { now: () => fakeNow ?? new Date() };
    pipeline = await startPipeline(rt, ['scheduler']);
  });
  afterAll(async () => {
    await pipeline?.close();
    await rt?.cleanup();
  });

  async function settle(rootRunId: string) {
    const end = Date.now() + 60_000;
    for (;;) {
      const runs = await runsOf(rt.deps, rootRunId);
      if (runs.every((r) => RUN_DONE.includes(r.status))) return runs;
      if (Date.now() > end) throw new Error(`runs of ${rootRunId} still ${runs.map((r) => `${r.job}:${r.status}`).join(', ')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it('syncs one Job Scheduler per scheduled job and shows its next run', async () => {
    const tq = triggerQueue(rt.deps);
    expect((await tq.getJobSchedulers(0, -1)).map((s) => s.key).sort()).toEqual(['analyze', 'before_open', 'in_session', 'trades']);
    await tq.upsertJobScheduler('gone', { every: 60_000 }, { name: 'scheduler.trigger', data: { job: 'gone' } });
    const r = await syncSchedules(rt.deps, defs);
    expect(r.removed).toEqual(['gone']);
    const status = await schedulerStatus(rt.deps, defs);
    expect(status.find((s) => s.name === 'analyze')).toMatchObject({ schedule: 'cron 0 3 1 1 * (America/New_York)', nextRun: expect.any(String), dependsOn: ['partitions'] });
    expect(status.find((s) => s.name === 'trades')).toMatchObject({ schedule: 'every 24h', trading: true });
    expect(status.find((s) => s.name === 'partitions')).toMatchObject({ schedule: 'by hand or as a dependency', nextRun: null });
  });

  it('runs the dependencies first, each once, then the job (a manual run)', async () => {
    const t = await triggerJob(rt.deps, defs, 'analyze', { trigger: 'manual', requestedBy: 'test' });
    expect(t.status).toBe('queued');
    const runs = await settle(t.runId);
    expect(runs.map((r) => [r.job, r.trigger, r.status, r.attempts])).toEqual([
      ['partitions', 'dependency', 'succeeded', 1],
      ['analyze', 'manual', 'succeeded', 1],
    ]);
    expect(Date.parse(runs[0]!.finishedAt!)).toBeLessThanOrEqual(Date.parse(runs[1]!.startedAt!));
    // Exactly one run of each, in job_runs and in BullMQ.
    const ids = runs.map((r) => r.id);
    expect(await rt.deps.prisma.jobRun.count({ where: { OR: [{ id: t.runId }, { rootRunId: t.runId }] } })).toBe(2);
    for (const queue of ['maintenance.vacuum', 'maintenance.partitions'] as const) {
      const done = await rt.queues.queues.get(queue)!.getJobs(['completed', 'failed', 'waiting', 'active', 'delayed', 'waiting-children']);
      expect(done.filter((j) => ids.includes((j.data as { _run?: { id: string } })._run?.id ?? '')).length).toBe(1);
    }
    const stored = await rt.deps.prisma.jobRun.findUnique({ where: { id: t.runId } });
    expect(stored!.result).toMatchObject({ command: 'ANALYZE' });
  });

  it('retries with the backoff, then fails the job and the one waiting on it (which never starts)', async () => {
    const t = await triggerJob(rt.deps, defs, 'after_broken', { trigger: 'manual' });
    const runs = await settle(t.runId);
    const broken = runs.find((r) => r.job === 'broken_backup')!;
    const after = runs.find((r) => r.job === 'after_broken')!;
    expect(broken).toMatchObject({ status: 'failed', attempts: 3, error: expect.stringMatching(/ENOTDIR|not a directory/i) });
    expect(after).toMatchObject({ status: 'failed', startedAt: null, reason: expect.stringMatching(/^dependency broken_backup failed: /) });
    // BullMQ: the parent failed with its child, and the child used its three attempts.
    const child = await rt.queues.queues.get('maintenance.backup')!.getJob(`run-${broken.id}`);
    expect(child!.attemptsMade).toBe(3);
    expect(child!.opts.backoff).toEqual({ type: 'fixed', delay: 50 });
    expect(await (await rt.queues.queues.get('maintenance.partitions')!.getJob(`run-${after.id}`))!.getState()).toBe('failed');
  });

  it('the default jobs\' tasks call their use-cases (features, scanner, reconciliation then snapshot, validation, archive)', async () => {
    for (const job of ['features_only', 'scan_layer0', 'eod', 'validate_day', 'archive_old']) {
      const t = await triggerJob(rt.deps, defs, job, { trigger: 'manual' });
      const runs = await settle(t.runId);
      expect(runs.map((r) => [r.job, r.status, r.error])).toEqual(runs.map((r) => [r.job, 'succeeded', null]));
    }
    expect(await rt.deps.prisma.equitySnapshot.count()).toBeGreaterThan(0);
    expect(await rt.deps.prisma.scannerRun.count({ where: { layer: 'layer0' } })).toBe(1);
  });

  it('fails a run that passes its timeout', async () => {
    const t = await triggerJob(rt.deps, defs, 'slow_backfill', { trigger: 'manual' });
    const [run] = await settle(t.runId);
    expect(run).toMatchObject({ status: 'failed', attempts: 1, error: 'timed out after 1 s' });
    expect(run!.durationMs).toBeGreaterThanOrEqual(1000);
  });

  it('gates scheduled runs on market hours at the clock instant (NYSE calendar, holidays included)', async () => {
    const fire = async (job: string, at: string) => {
      fakeNow = new Date(at);
      try {
        // What the Job Scheduler fires: a trigger job, processed by the scheduler role's worker.
        const before = (await rt.deps.prisma.jobRun.findMany({ where: { job }, select: { id: true } })).map((r) => r.id);
        await triggerQueue(rt.deps).add('scheduler.trigger', { job });
        const end = Date.now() + 30_000;
        for (;;) {
          const fresh = await rt.deps.prisma.jobRun.findFirst({ where: { job, id: { notIn: before } } });
          if (fresh) return fresh;
          if (Date.now() > end) throw new Error(`no run of ${job}`);
          await new Promise((r) => setTimeout(r, 50));
        }
      } finally {
        fakeNow = null;
      }
    };
    expect(await fire('in_session', '2025-06-04T18:00:00Z')).toMatchObject({ status: expect.stringMatching(/queued|running|succeeded/), trigger: 'schedule' });
    expect(await fire('in_session', '2025-06-04T22:00:00Z')).toMatchObject({ status: 'skipped', reason: expect.stringMatching(/^market closed/) });
    expect(await fire('in_session', '2025-07-04T15:00:00Z')).toMatchObject({ status: 'skipped', reason: expect.stringMatching(/2025-07-04 is not a trading day/) });
    expect(await fire('before_open', '2025-06-04T13:10:00Z')).toMatchObject({ status: expect.stringMatching(/queued|running|succeeded/) });
    expect(await fire('before_open', '2025-06-04T12:00:00Z')).toMatchObject({ status: 'skipped', reason: expect.stringMatching(/^too early/) });
    expect(await fire('before_open', '2025-07-04T13:10:00Z')).toMatchObject({ status: 'skipped', reason: expect.stringMatching(/not a trading day/) });
    // An operator's run ignores market hours.
    fakeNow = new Date('2025-07-04T15:00:00Z');
    const manual = await triggerJob(rt.deps, defs, 'in_session', { trigger: 'manual' });
    fakeNow = null;
    expect(manual.status).toBe('queued');
  });

  it('while HALTED, pauses the jobs that trade and not the others', async () => {
    await haltTrading(rt.deps, { actor: admin, reason: 'scheduler test' });
    const paused = await triggerJob(rt.deps, defs, 'trades', { trigger: 'schedule' });
    expect(paused).toMatchObject({ status: 'skipped', reason: 'paused: trading HALTED (scheduler test)' });
    const manual = await triggerJob(rt.deps, defs, 'trades', { trigger: 'manual' });
    expect(manual.status).toBe('skipped');
    const other = await triggerJob(rt.deps, defs, 'analyze', { trigger: 'schedule' });
    expect(other.status).toBe('queued');
    expect((await settle(other.runId)).map((r) => r.status)).toEqual(['succeeded', 'succeeded']);
    const status = await schedulerStatus(rt.deps, defs);
    expect(status.find((s) => s.name === 'trades')).toMatchObject({ paused: 'trading HALTED (scheduler test)', last: { status: 'skipped' } });
    expect(status.find((s) => s.name === 'analyze')!.paused).toBeNull();
    expect(status.find((s) => s.name === 'broken_backup')!.failures24h).toBe(1);
  });
});
