// The Jobs page's scheduled jobs over tRPC: the repository's ops/job-definitions.yaml is found from the working
// directory; a bad JOB_DEFINITIONS_FILE is the request's error with its line; "Run now" is trader+ and queues the
// job after its dependencies; the runs are listed.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRuntime, type TestRuntime } from '@ai-trader/adapters/testing';
import type { TActor } from '@ai-trader/contracts';
import { LiveHub } from './live-hub.ts';
import { appRouter } from './root.ts';

describe('jobs router: scheduled jobs', () => {
  let rt: TestRuntime;
  let live: LiveHub;
  const caller = (actor: TActor) => appRouter.createCaller({ deps: rt.deps, live, actor });
  const trader: TActor = { id: 't1', email: 'trader@example.com', role: 'trader' };
  const viewer: TActor = { id: 'v1', email: 'viewer@example.com', role: 'viewer' };

  beforeAll(async () => {
    rt = await createTestRuntime('jobsrouter');
    live = new LiveHub(rt.config.REDIS_URL, rt.config.REDIS_PREFIX);
  });
  afterAll(async () => {
    await live?.close();
    await rt?.cleanup();
  });

  it('lists the repository\'s jobs, runs one after its dependencies (trader+), lists the runs', async () => {
    const jobs = await caller(viewer).jobs.scheduled();
    expect(jobs.find((j) => j.name === 'data_backfill')).toMatchObject({ queue: 'backfill.scheduled', dependsOn: ['partitions_ahead'], schedule: 'by hand or as a dependency', last: null });
    expect(jobs.find((j) => j.name === 'scanner')).toMatchObject({ schedule: 'cron 30 7 * * 1-5 (America/New_York)', marketHours: 'pre_open (3h before the open)', trading: true });
    await expect(caller(viewer).jobs.runJob({ name: 'partitions_ahead', reason: 'viewer tries' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(caller(trader).jobs.runJob({ name: 'nope', reason: 'a typo' })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('no scheduled job named nope') });
    const r = await caller(trader).jobs.runJob({ name: 'data_backfill', reason: 'history before the open' });
    expect(r).toMatchObject({ status: 'queued', runs: [{ job: 'partitions_ahead' }, { job: 'data_backfill' }] });
    const runs = await caller(viewer).jobs.runs({ limit: 10 });
    expect(runs.map((x) => [x.job, x.trigger, x.status]).sort()).toEqual([['data_backfill', 'manual', 'queued'], ['partitions_ahead', 'dependency', 'queued']]);
  });

  it('a bad definitions file is the request\'s error, with its line and reason', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'jobs-router-')), 'jobs.yaml');
    writeFileSync(file, 'jobs:\n  x:\n    description: x\n    queue: maintenance.backup\n    timeout: forever\n');
    rt.deps.config.JOB_DEFINITIONS_FILE = file;
    try {
      await expect(caller(viewer).jobs.scheduled()).rejects.toMatchObject({ code: 'PRECONDITION_FAILED', message: `${file}:5:14: jobs.x.timeout: timeout: "forever" is not a duration like 30s, 15m, 1h or 2d` });
    } finally {
      delete rt.deps.config.JOB_DEFINITIONS_FILE;
    }
  });
});
