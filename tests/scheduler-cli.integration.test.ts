// `ai-trader scheduler start|run-job|status` as processes, with their real effect: a bad definitions file refused
// with its line and reason (exit 2); run-job refused while no scheduler runs; start registers the schedules and
// runs jobs; run-job runs a job after its dependency (exit 0) or reports a failure (exit 1); SIGTERM stops cleanly.
// The memory ceiling: a workers process past it exits 75, and `scheduler start` starts it again.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRuntime, type TestRuntime } from '@ai-trader/adapters/testing';
import { killAll, runCli, startCliProcess, startWorkersProcess, until } from './helpers/processes.ts';

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
`;

describe('ai-trader scheduler', () => {
  let rt: TestRuntime;
  let env: Record<string, string>;
  let dir: string;
  const started: Array<{ killGroup(): Promise<void> }> = [];
  const running = new Set<ChildProcess>();

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'sched-cli-'));
    writeFileSync(path.join(dir, 'jobs.yaml'), DEFS);
    writeFileSync(path.join(dir, 'not-a-dir'), '');
    rt = await createTestRuntime('schedcli');
    env = {
      DATABASE_URL: rt.config.DATABASE_URL, REDIS_URL: rt.config.REDIS_URL, REDIS_PREFIX: rt.config.REDIS_PREFIX, REPLAY_DATA_DIR: rt.config.REPLAY_DATA_DIR,
      LOG_LEVEL: 'warn', LOG_STORE: 'false', JOB_DEFINITIONS_FILE: path.join(dir, 'jobs.yaml'), BACKUP_DIR: path.join(dir, 'not-a-dir', 'backups'), NO_COLOR: '1',
    };
  });
  afterAll(async () => {
    await Promise.all(started.map((p) => p.killGroup()));
    await killAll(running);
    await rt?.cleanup();
  });

  it('refuses a bad definitions file with its line and reason (exit 2)', async () => {
    const bad = path.join(dir, 'bad.yaml');
    writeFileSync(bad, DEFS.replace('cron: "0 3 1 1 *"', 'every: soon'));
    const r = await runCli(['scheduler', 'status', '--file', bad], env);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${bad}:8:12: jobs.analyze.every: every: "soon" is not a duration like 30s, 15m, 1h or 2d`);
    const unknown = await runCli(['scheduler', 'run-job', 'nope'], env);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('no scheduled job named nope; jobs: analyze, broken_backup, partitions');
  });

  it('run-job says so when no scheduler runs (exit 1)', async () => {
    const r = await runCli(['scheduler', 'run-job', 'analyze'], env);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('no scheduler is running: start one with `ai-trader scheduler start`');
  });

  it('start runs the scheduler; status shows the schedule; run-job runs dependencies first; SIGTERM stops cleanly', async () => {
    const p = startCliProcess(['scheduler', 'start'], env);
    started.push(p);
    await until('the scheduler to report running', async () => /✓ scheduler running/.test(p.output()), 90_000).catch((e: Error) => {
      throw new Error(`${e.message}\n${p.output()}`);
    });
    expect(p.output()).toContain(`definitions  ${path.join(dir, 'jobs.yaml')}: 3 job(s), 1 on a schedule`);

    const status = await runCli(['scheduler', 'status', '--json'], env);
    expect(status.status).toBe(0);
    const s = JSON.parse(status.stdout) as { schedulerProcesses: number; jobs: Array<{ name: string; nextRun: string | null; last: unknown }> };
    expect(s.schedulerProcesses).toBe(1);
    expect(s.jobs.find((j) => j.name === 'analyze')).toMatchObject({ nextRun: expect.stringMatching(/-01-01T08:00:00.000Z$/), last: null });

    const ok = await runCli(['scheduler', 'run-job', 'analyze', '--json'], env);
    expect(ok.status, ok.stderr).toBe(0);
    const run = JSON.parse(ok.stdout) as { status: string; runs: Array<{ job: string; status: string; trigger: string }> };
    expect(run.status).toBe('succeeded');
    expect(run.runs.map((r) => [r.job, r.trigger, r.status])).toEqual([['partitions', 'dependency', 'succeeded'], ['analyze', 'manual', 'succeeded']]);
    const rows = await rt.deps.prisma.jobRun.findMany({ orderBy: { queuedAt: 'asc' } });
    expect(rows.map((r) => [r.job, r.status])).toEqual([['partitions', 'succeeded'], ['analyze', 'succeeded']]);
    expect(rows[1]!.requestedBy).toMatch(/^cli:/);

    const failed = await runCli(['scheduler', 'run-job', 'broken_backup'], env);
    expect(failed.status).toBe(1);
    expect(failed.stdout).toMatch(/broken_backup: failed/);
    expect(failed.stderr).toMatch(/broken_backup failed: .*(ENOTDIR|not a directory)/i);

    // The example, with the repository's definitions: partitions_ahead, then data_backfill (the replay source
    // here), each once.
    const backfill = await runCli(['scheduler', 'run-job', 'data_backfill', '--file', 'ops/job-definitions.yaml', '--json'], env);
    expect(backfill.status, backfill.stderr).toBe(0);
    expect((JSON.parse(backfill.stdout) as { runs: Array<{ job: string; status: string }> }).runs.map((r) => [r.job, r.status])).toEqual([['partitions_ahead', 'succeeded'], ['data_backfill', 'succeeded']]);
    expect(await rt.deps.prisma.backfillRun.count({ where: { requestedBy: 'system:scheduler', status: 'succeeded' } })).toBe(1);

    const after = await runCli(['scheduler', 'status'], env);
    expect(after.stdout).toMatch(/^analyze {2}ANALYZE after the partitions$/m);
    expect(after.stdout).toMatch(/last succeeded .*; failures 24 h: 0/);
    expect(after.stdout).toMatch(/^ {2}next –; last failed .*failures 24 h: 1$/m);

    p.child.kill('SIGTERM');
    const end = await p.exited;
    expect(end.code, end.out).toBe(0);
    expect(end.out).toContain('✓ scheduler stopped cleanly');
  }, 300_000); // eight CLI processes, each paying for its own start

  it('a workers process past its memory ceiling exits 75 (WORKER_MEMORY_LIMIT_MB, or a job\'s memory_mb)', async () => {
    const w = startWorkersProcess({ ...env, WORKER_ROLES: 'scheduler', WORKER_MEMORY_LIMIT_MB: '40', WORKER_MEMORY_CHECK_MS: '200' }, running);
    const r = await w.exited;
    expect(r.code, r.out).toBe(75);
    expect(r.out).toMatch(/memory ceiling passed: \d+ MB > 40 MB/);
    const small = path.join(dir, 'small.yaml');
    writeFileSync(small, DEFS.replace('queue: maintenance.backup', 'queue: maintenance.backup\n    memory_mb: 64'));
    const w2 = startWorkersProcess({ ...env, WORKER_ROLES: 'scheduler', JOB_DEFINITIONS_FILE: small, WORKER_MEMORY_CHECK_MS: '200' }, running);
    const r2 = await w2.exited;
    expect(r2.code, r2.out).toBe(75);
    expect(r2.out).toMatch(/memory ceiling passed: \d+ MB > 64 MB/);
  });

  it('scheduler start starts the workers again after a memory-ceiling exit', async () => {
    const p = startCliProcess(['scheduler', 'start'], { ...env, WORKER_MEMORY_LIMIT_MB: '40', WORKER_MEMORY_CHECK_MS: '1500' });
    started.push(p);
    await until('two restarts', async () => (p.output().match(/passed their memory ceiling \(exit 75\): starting them again/g) ?? []).length >= 2, 120_000).catch((e: Error) => {
      throw new Error(`${e.message}\n${p.output()}`);
    });
    p.child.kill('SIGTERM');
    const end = await p.exited;
    expect(end.code, end.out).toBe(0);
  });
});
