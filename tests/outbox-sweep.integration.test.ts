// The outbox sweep: an approved intent whose execution.submit job is gone (or failed for good) gets it back;
// one whose job is waiting is left alone; a fresh intent is not touched.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRuntime, type TestRuntime } from '@ai-trader/adapters/testing';
import { createRedis, sweepOutbox } from '@ai-trader/core';
import { UnrecoverableError, Worker } from 'bullmq';
import { until } from './helpers/processes.ts';

describe('outbox sweep', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await createTestRuntime('outbox', { OUTBOX_SWEEP_AFTER_SECONDS: '30' });
  });
  afterAll(async () => rt?.cleanup());

  it('re-queues lost and failed submission jobs of stale PENDING intents, and nothing else', async () => {
    const p = rt.deps.prisma;
    const q = rt.queues.queues.get('execution.submit')!;
    let n = 0;
    const intent = async (ageSeconds: number) => {
      const s = await p.signal.create({ data: { strategy: `t-${++n}`, symbol: 'SPY', barTs: new Date('2025-06-04T14:00:00Z'), side: 'BUY', price: '600', detail: {} } });
      const d = await p.riskDecision.create({
        data: { signalId: s.id, outcome: 'APPROVED', message: 'test', intent: { create: { symbol: 'SPY', side: 'BUY', qty: '1', refPrice: '600', isEntry: true, createdAt: new Date(Date.now() - ageSeconds * 1000) } } },
        include: { intent: true },
      });
      return d.intent!.id;
    };
    // A job failed for good (its worker died more often than maxStalledCount allows, say): failed by a worker here.
    const failed = await intent(120);
    await rt.deps.jobs.add('execution.submit', { intentId: failed });
    const conn = createRedis(rt.config.REDIS_URL, { forBullWorker: true, name: 'test-failer' });
    const failer = new Worker('execution.submit', async () => {
      throw new UnrecoverableError('worker died twice');
    }, { connection: conn, prefix: rt.config.REDIS_PREFIX });
    await until('the job to fail', async () => (await q.getJob(`submit-${failed}`))?.isFailed() ?? false);
    await failer.close();
    await conn.quit();
    const lost = await intent(120); // no job at all
    const waiting = await intent(120);
    await rt.deps.jobs.add('execution.submit', { intentId: waiting });
    const fresh = await intent(1); // within the window: its job may simply not have run yet
    const submitted = await intent(120);
    await p.orderIntent.update({ where: { id: submitted }, data: { status: 'SUBMITTED' } });

    const r = await sweepOutbox(rt.deps);
    expect(r.pending).toBe(3); // lost, waiting, failed
    const state = async (id: string) => (await q.getJob(`submit-${id}`))?.getState();
    expect(await state(lost)).toBe('waiting');
    expect(await state(waiting)).toBe('waiting');
    expect(await state(failed)).toBe('waiting'); // retried
    expect(await state(fresh)).toBeUndefined();
    expect(await state(submitted)).toBeUndefined();
    // Swept again: every stale intent now has a live job; nothing is queued twice.
    expect((await sweepOutbox(rt.deps)).requeued).toBe(0);
    expect(await q.getJobCountByTypes('waiting')).toBe(3);
  });
});
