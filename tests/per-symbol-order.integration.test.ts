// Per-symbol order at the broker: an intent is not sent while an older intent of the same symbol is unsent, so
// the broker sees a symbol's orders in the order risk decided them — whatever order their jobs run in. Other
// symbols are not held up.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRuntime, type TestRuntime } from '@ai-trader/adapters/testing';
import { submitIntent } from '@ai-trader/core';
import { startPipeline } from '@ai-trader/workers';
import { until } from './helpers/processes.ts';

describe('per-symbol order of submissions', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    // The sweep far away (10 min), the hold's own recheck soon: the last test shows the hold repairs itself.
    rt = await createTestRuntime('symorder', { OUTBOX_SWEEP_AFTER_SECONDS: '600', OUTBOX_HOLD_RECHECK_SECONDS: '1' });
    for (const symbol of ['SPY', 'QQQ'])
      await rt.deps.pool.query(`INSERT INTO market_data_5m (symbol, ts, open, high, low, close, volume, source) VALUES ($1, '2025-06-04T14:00:00Z', 100, 100, 100, 100, 1000, 'test')`, [symbol]);
  });
  afterAll(async () => rt?.cleanup());

  let n = 0;
  const intent = async (symbol: string, createdAt: Date) => {
    const s = await rt.deps.prisma.signal.create({ data: { strategy: `o-${++n}`, symbol, barTs: new Date('2025-06-04T14:00:00Z'), side: 'BUY', price: '100', detail: {} } });
    const d = await rt.deps.prisma.riskDecision.create({
      data: { signalId: s.id, outcome: 'APPROVED', message: 'test', intent: { create: { symbol, side: 'BUY', qty: '1', refPrice: '100', isEntry: true, createdAt } } },
      include: { intent: true },
    });
    return d.intent!.id;
  };

  it('waits for an older unsent intent of the same symbol, not for other symbols', async () => {
    const t0 = Date.now() - 10_000;
    const older = await intent('SPY', new Date(t0));
    const newer = await intent('SPY', new Date(t0 + 1000));
    const other = await intent('QQQ', new Date(t0 + 2000));
    expect(await submitIntent(rt.deps, { intentId: newer })).toBe('waiting');
    expect(await submitIntent(rt.deps, { intentId: other })).toBe('submitted');
    expect(await submitIntent(rt.deps, { intentId: older })).toBe('submitted');
    expect(await submitIntent(rt.deps, { intentId: newer })).toBe('submitted');
  });

  it('through the workers: jobs queued newest first still reach the broker oldest first', async () => {
    const t0 = Date.now() - 5000;
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push(await intent('SPY', new Date(t0 + i * 100)));
    const pipeline = await startPipeline(rt, ['execution'], { feed: false });
    try {
      for (const intentId of [...ids].reverse()) await rt.deps.jobs.add('execution.submit', { intentId });
      await until('all six to be sent', async () => (await rt.deps.prisma.orderIntent.count({ where: { id: { in: ids }, status: 'SUBMITTED' } })) === 6, 20_000);
    } finally {
      await pipeline.close();
    }
    const sim = await rt.deps.prisma.simOrder.findMany({ where: { symbol: 'SPY' }, orderBy: { createdAt: 'asc' } });
    const orders = await rt.deps.prisma.order.findMany({ where: { intentId: { in: ids } } });
    const byClient = new Map(orders.map((o) => [o.clientOrderId, o.intentId]));
    const sent = sim.map((o) => byClient.get(o.clientOrderId)).filter(Boolean);
    expect(sent).toEqual(ids);
  });

  it('a held submission repairs the hold: the older intent whose job was lost (a store outage) gets it back', async () => {
    const t0 = Date.now() - 3000;
    const lost = await intent('SPY', new Date(t0)); // its job never made it to Redis
    const failed = await intent('SPY', new Date(t0 + 100)); // its job failed for good
    const held = await intent('SPY', new Date(t0 + 200));
    const q = rt.queues.queues.get('execution.submit')!;
    await rt.deps.jobs.add('execution.submit', { intentId: failed });
    const job = (await q.getJob(`submit-${failed}`))!;
    await job.moveToFailed(new Error('connection lost during the outage'), '0', false).catch(() => undefined);
    if (!(await job.isFailed())) {
      // Not taken by a worker yet, so it has no lock to fail it with: remove it instead (equally lost).
      await job.remove();
    }
    const pipeline = await startPipeline(rt, ['execution'], { feed: false });
    const started = Date.now();
    try {
      await rt.deps.jobs.add('execution.submit', { intentId: held });
      await until('all three to be sent', async () => (await rt.deps.prisma.orderIntent.count({ where: { id: { in: [lost, failed, held] }, status: 'SUBMITTED' } })) === 3, 20_000);
    } finally {
      await pipeline.close();
    }
    // Seconds (the recheck interval, once per lost intent), not the sweep's ten minutes.
    expect(Date.now() - started).toBeLessThan(15_000);
    const sim = await rt.deps.prisma.simOrder.findMany({ where: { symbol: 'SPY' }, orderBy: { createdAt: 'asc' } });
    const orders = await rt.deps.prisma.order.findMany({ where: { intentId: { in: [lost, failed, held] } } });
    const byClient = new Map(orders.map((o) => [o.clientOrderId, o.intentId]));
    expect(sim.map((o) => byClient.get(o.clientOrderId)).filter(Boolean)).toEqual([lost, failed, held]);
  });
});
