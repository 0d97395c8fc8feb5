// The scheduled readiness job of ops/job-definitions.yaml (readiness_expensive) run by the real scheduler worker:
// its checks' results are stored under the job's name, a check that fails (no backup yet) fails with its reason
// while the run itself succeeds, and an admin's queued run is stored under the admin's name.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadJobDefinitions } from '@ai-trader/adapters';
import { createTestRuntime, type TestRuntime } from '@ai-trader/adapters/testing';
import { runsOf, triggerJob } from '@ai-trader/core';
import { startPipeline, type Pipeline } from '../workers/src/pipeline.ts';

const DEFINITIONS = path.resolve(import.meta.dirname, '../ops/job-definitions.yaml');

describe('the scheduled readiness job', () => {
  let rt: TestRuntime;
  let pipeline: Pipeline;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'readiness-job-'));
    rt = await createTestRuntime('readinessjob', { JOB_DEFINITIONS_FILE: DEFINITIONS, BACKUP_DIR: path.join(dir, 'backups') });
    pipeline = await startPipeline(rt, ['scheduler']);
  });
  afterAll(async () => {
    await pipeline?.close();
    await rt?.cleanup();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const results = () => rt.deps.prisma.readinessResult.findMany({ orderBy: { finishedAt: 'asc' } });
  async function until<T>(what: string, f: () => Promise<T | null | undefined | false>): Promise<T> {
    const end = Date.now() + 60_000;
    for (;;) {
      const v = await f();
      if (v) return v;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it('runs the scheduled checks and stores them under the job', async () => {
    const defs = loadJobDefinitions(DEFINITIONS).definitions;
    expect(defs.readiness_expensive).toMatchObject({ queue: 'readiness.run', cron: '30 5 * * *', market_hours: 'closed' });
    const t = await triggerJob(rt.deps, defs, 'readiness_expensive', { trigger: 'manual', requestedBy: 'test' });
    const runs = await until('the run', async () => {
      const r = await runsOf(rt.deps, t.runId);
      return r.every((x) => ['succeeded', 'failed', 'skipped'].includes(x.status)) && r;
    });
    expect(runs.map((r) => [r.job, r.status])).toEqual([['readiness_expensive', 'succeeded']]);
    const stored = await results();
    expect(stored.map((r) => r.check).sort()).toEqual(['code.no-test-code', 'db.backup-restore']);
    expect(stored.every((r) => r.ranBy === 'job:readiness_expensive' && r.trigger === 'schedule')).toBe(true);
    expect(stored.find((r) => r.check === 'db.backup-restore')).toMatchObject({ status: 'fail', summary: `no backup in ${path.join(dir, 'backups')}: nothing to restore` });
  });

  it('an admin\'s queued run is stored under the admin\'s name', async () => {
    await rt.deps.jobs.add('readiness.run', { checks: ['infra.headroom'], requestedBy: 'admin@example.com' });
    const r = await until('the result', () => rt.deps.prisma.readinessResult.findFirst({ where: { check: 'infra.headroom' } }));
    expect(r).toMatchObject({ ranBy: 'admin@example.com', trigger: 'manual', status: 'pass' });
  });
});
