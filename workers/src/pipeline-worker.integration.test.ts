// A job whose run fails because Postgres is unreachable waits for it without using up an attempt: with one attempt
// allowed, it survives a 3 s outage (a TCP proxy cuts every connection to the real server and refuses new ones) and
// runs soon after the restore. A job that fails for any other reason — or with a connection-looking error while the
// database answers — still uses its attempt.
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime, type Runtime } from '@ai-trader/adapters';
import { createTestRuntime, type TestRuntime } from '@ai-trader/adapters/testing';
import { createRedis } from '@ai-trader/core';
import { startTcpProxy, type TcpProxy } from '../../tests/helpers/tcp-proxy.ts';
import { until } from '../../tests/helpers/processes.ts';
import { pipelineWorker } from './pipeline-worker.ts';

describe('a job while Postgres is unreachable', () => {
  let rt: TestRuntime;
  let proxy: TcpProxy;
  let cut: Runtime;
  let queue: Queue;
  beforeAll(async () => {
    rt = await createTestRuntime('pworkerdb');
    const pg = new URL(rt.config.DATABASE_URL);
    proxy = await startTcpProxy({ host: pg.hostname, port: Number(pg.port || 5432) });
    cut = createRuntime({ ...rt.config, DATABASE_URL: proxy.url(rt.config.DATABASE_URL) }, { name: 'pworkerdb', logger: rt.deps.logger });
    queue = new Queue('monitor.freshness', { connection: createRedis(rt.config.REDIS_URL), prefix: rt.config.REDIS_PREFIX });
  });
  afterAll(async () => {
    await queue?.close();
    await cut?.close();
    await proxy?.close();
    await rt?.cleanup();
  });

  it('waits for the database without using up its one attempt, and runs soon after the restore', async () => {
    const runs: string[] = [];
    const worker = pipelineWorker(cut, 'monitor.freshness', async (deps) => {
      try {
        await deps.pool.query('SELECT 1');
        runs.push('ok');
      } catch (e) {
        runs.push('failed');
        throw e;
      }
    });
    try {
      await until('the worker to connect through the proxy', async () => (await cut.deps.pool.query('SELECT 1').then(() => true, () => false)));
      proxy.cut();
      const job = await queue.add('monitor.freshness', {}, { attempts: 1 });
      await new Promise((r) => setTimeout(r, 3000));
      expect(runs.filter((r) => r === 'failed').length).toBeGreaterThanOrEqual(3); // it kept looking
      expect(await job.getState()).toBe('delayed');
      const restoredAt = Date.now();
      proxy.restore();
      await until('the job to complete after the restore', async () => (await job.getState()) === 'completed', 10_000);
      const fresh = (await queue.getJob(job.id!))!;
      expect(fresh.attemptsMade).toBe(1); // the run that completed is its one attempt: the outage used up nothing
      expect(fresh.finishedOn! - restoredAt).toBeLessThan(5000); // about DATABASE_WAIT_MS, not a backoff step
      expect(runs.at(-1)).toBe('ok');
    } finally {
      await worker.close();
    }
  });

  it('any other failure, or a connection-looking error while the database answers, uses the attempt', async () => {
    const worker = pipelineWorker(cut, 'monitor.freshness', async (_deps, job) => {
      if (job.data.kind === 'refused') throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
      throw new Error('a real failure');
    });
    try {
      const a = await queue.add('monitor.freshness', { kind: 'plain' }, { attempts: 1 });
      const b = await queue.add('monitor.freshness', { kind: 'refused' }, { attempts: 1 });
      await until('both jobs to fail', async () => (await a.getState()) === 'failed' && (await b.getState()) === 'failed', 10_000);
      expect((await queue.getJob(a.id!))!.failedReason).toBe('a real failure');
      expect((await queue.getJob(b.id!))!.failedReason).toBe('connect ECONNREFUSED 127.0.0.1:1');
    } finally {
      await worker.close();
    }
  });
});
