// The Jobs page's use-cases over real BullMQ queues: depth and throughput, schedules, failed jobs retried or
// removed by an admin only (audited), a scheduled job run now; bad input says what is wrong.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRuntime, type TestRuntime } from '@ai-trader/adapters/testing';
import { actOnFailedJob, createRedis, ForbiddenError, JobsInputError, listFailedJobs, listQueues, runScheduledJob, runScheduledNow, triggerQueue } from '@ai-trader/core';
import { parseJobDefinitions } from '@ai-trader/adapters';
import { UnrecoverableError, Worker } from 'bullmq';
import { until } from './helpers/processes.ts';

describe('jobs view', () => {
  let rt: TestRuntime;
  const admin = { id: 'a', email: 'admin@example.com', role: 'admin' as const };
  const trader = { id: 't', email: 'trader@example.com', role: 'trader' as const };
  beforeAll(async () => {
    rt = await createTestRuntime('jobsview');
  });
  afterAll(async () => rt?.cleanup());

  it('shows depth, failures and schedules; retries and removes failed jobs (admin, audited); runs a schedule now', async () => {
    const q = rt.queues.queues.get('monitor.freshness')!;
    await q.upsertJobScheduler('feed-freshness', { every: 60_000 }, { name: 'monitor.freshness', data: {} });
    // Two jobs fail for good on a worker that refuses everything.
    const conn = createRedis(rt.config.REDIS_URL, { forBullWorker: true, name: 'test-failer' });
    const w = new Worker('execution.submit', async () => { throw new UnrecoverableError('broker said no'); }, { connection: conn, prefix: rt.config.REDIS_PREFIX });
    const ids = [crypto.randomUUID(), crypto.randomUUID()];
    for (const intentId of ids) await rt.deps.jobs.add('execution.submit', { intentId });
    await until('both jobs to fail', async () => (await listFailedJobs(rt.deps, { queue: 'execution.submit', limit: 10 })).length === 2);
    await w.close();
    await conn.quit();

    const { queues, schedulers } = await listQueues(rt.deps);
    expect(queues.find((x) => x.name === 'execution.submit')).toMatchObject({ failed: 2, waiting: 0, active: 0 });
    expect(schedulers.find((s) => s.queue === 'monitor.freshness')).toMatchObject({ key: 'feed-freshness', every: 60_000, next: expect.any(String) });
    const failed = await listFailedJobs(rt.deps, { limit: 10 });
    expect(failed.map((f) => [f.queue, f.reason])).toEqual([['execution.submit', 'broker said no'], ['execution.submit', 'broker said no']]);

    const [a, b] = failed;
    await expect(actOnFailedJob(rt.deps, { queue: a!.queue, id: a!.id, action: 'retry', actor: trader, reason: 'try again' })).rejects.toThrow('only an admin');
    await actOnFailedJob(rt.deps, { queue: a!.queue, id: a!.id, action: 'retry', actor: admin, reason: 'broker is back' });
    await actOnFailedJob(rt.deps, { queue: b!.queue, id: b!.id, action: 'remove', actor: admin, reason: 'intent was cancelled' });
    const sq = rt.queues.queues.get('execution.submit')!;
    expect(await (await sq.getJob(a!.id))!.getState()).toBe('waiting');
    expect(await sq.getJob(b!.id)).toBeUndefined();
    await expect(actOnFailedJob(rt.deps, { queue: a!.queue, id: a!.id, action: 'remove', actor: admin, reason: 'x x x' })).rejects.toThrow(`job ${a!.id} on execution.submit is not failed (it is waiting)`);
    await expect(actOnFailedJob(rt.deps, { queue: 'nope', id: '1', action: 'retry', actor: admin, reason: 'x x x' })).rejects.toThrow(JobsInputError);

    const run = await runScheduledNow(rt.deps, { queue: 'monitor.freshness', actor: trader, reason: 'check the feed now' });
    expect(await (await q.getJob(run.jobId))!.getState()).toBe('waiting');
    await expect(runScheduledNow(rt.deps, { queue: 'execution.submit', actor: trader, reason: 'x x x' })).rejects.toThrow('has no schedule');
    const audit = await rt.deps.prisma.auditLog.findMany({ orderBy: { id: 'asc' } });
    expect(audit.map((r) => [r.action, r.actorEmail, r.reason])).toEqual([
      ['jobs.retry', 'admin@example.com', 'broker is back'],
      ['jobs.remove', 'admin@example.com', 'intent was cancelled'],
      ['jobs.run-now', 'trader@example.com', 'check the feed now'],
    ]);
  });

  it('runs a scheduled job now with its dependencies (trader+, audited); unknown names and viewers are refused', async () => {
    const defs = parseJobDefinitions(`jobs:
  first:
    description: partitions
    queue: maintenance.partitions
  second:
    description: after first
    cron: "0 3 * * *"
    queue: maintenance.partitions
    depends_on: [first]
`, 'jobs.yaml');
    const viewer = { id: 'v', email: 'viewer@example.com', role: 'viewer' as const };
    await expect(runScheduledJob(rt.deps, defs, { name: 'second', actor: viewer, reason: 'look at it' })).rejects.toThrow(ForbiddenError);
    await expect(runScheduledJob(rt.deps, defs, { name: 'third', actor: trader, reason: 'x x x' })).rejects.toThrow(new JobsInputError('no scheduled job named third; jobs: first, second'));
    const r = await runScheduledJob(rt.deps, defs, { name: 'second', actor: trader, reason: 'partitions before the open' });
    expect(r).toMatchObject({ status: 'queued', runs: [{ job: 'first' }, { job: 'second' }] });
    const runs = await rt.deps.prisma.jobRun.findMany({ orderBy: { job: 'asc' } });
    expect(runs.map((x) => [x.job, x.trigger, x.status, x.requestedBy])).toEqual([['first', 'dependency', 'queued', 'trader@example.com'], ['second', 'manual', 'queued', 'trader@example.com']]);
    const audit = await rt.deps.prisma.auditLog.findFirst({ where: { action: 'jobs.run-job' } });
    expect(audit).toMatchObject({ actorEmail: 'trader@example.com', reason: 'partitions before the open', after: { job: 'second', runId: r.runId, status: 'queued' } });
    // A trigger's schedule is not "run now" on its queue: it needs its job.
    await triggerQueue(rt.deps).upsertJobScheduler('second', { pattern: '0 3 * * *' }, { name: 'scheduler.trigger', data: { job: 'second' } });
    await expect(runScheduledNow(rt.deps, { queue: 'scheduler.trigger', actor: trader, reason: 'x x x' })).rejects.toThrow('use "Run now" on the job');
  });
});
