// HALT under full load across processes: two real execution worker processes drain a queue of approved intents
// against the local Alpaca-compatible server (answers held back a little, so submissions are in flight) while more
// intents keep arriving; the HALT is pressed from this process. Once it is acknowledged the broker accepts not one
// more order — the workers' submissions and the HALT meet at the trading-state row in Postgres, not in memory —
// every later intent is BLOCKED, and everything that did reach the broker is cancelled there and in our books.
// (tests/emergency-alpaca.integration.test.ts proves the same in one process with six submitters.)
import { randomBytes } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestRuntime, type TestRuntime } from '@ai-trader/adapters/testing';
import { startFakeAlpaca, type FakeAlpaca } from '@ai-trader/adapters/testing/fake-alpaca';
import { haltTrading } from '@ai-trader/core';
import { killAll, startWorkersProcess, until } from '../helpers/processes.ts';
import { priceOf, symbolOf } from '../helpers/emergency-books.ts';

const FULL = process.env.CHAOS_FULL === '1';
const QUEUED = FULL ? 1000 : 120;
const KEY = `PK${randomBytes(8).toString('hex').toUpperCase()}`;
const SECRET = `sk-${randomBytes(16).toString('hex')}`;
const admin = { id: 'a1', email: 'admin@example.com', role: 'admin' as const };

describe('HALT under full load from two worker processes', () => {
  let rt: TestRuntime;
  let fake: FakeAlpaca;
  const running = new Set<ChildProcess>();
  beforeEach(async () => {
    // A closed market: orders wait at the broker ("accepted"), so the HALT has something to cancel.
    fake = await startFakeAlpaca({
      keyId: KEY, secretKey: SECRET, cash: '100000000', rateLimit: null, clock: { isOpen: false }, closedMarket: 'queue', orderAnswerDelayMs: [10, 40],
      prices: Object.fromEntries(Array.from({ length: 100 }, (_, i) => [symbolOf(i), priceOf(i)])),
    });
    rt = await createTestRuntime('chaoshalt', { BROKER: 'alpaca', ALPACA_KEY_ID: KEY, ALPACA_SECRET_KEY: SECRET, ALPACA_BASE_URL: fake.restUrl, ALPACA_STREAM_URL: fake.wsUrl });
  });
  afterEach(async () => {
    await killAll(running);
    await rt?.cleanup();
    await fake?.close();
  });

  let made = 0;
  /** An approved intent as risk writes it, and its submission job. */
  async function intent() {
    const p = rt.deps.prisma;
    const i = made++;
    const s = await p.signal.create({ data: { strategy: `halt-${i}`, symbol: symbolOf(i % 100), barTs: new Date('2025-06-04T14:00:00Z'), side: 'BUY', price: priceOf(i % 100), detail: {} } });
    const d = await p.riskDecision.create({ data: { signalId: s.id, outcome: 'APPROVED', message: 'load' } });
    const x = await p.orderIntent.create({ data: { riskDecisionId: d.id, symbol: symbolOf(i % 100), side: 'BUY', qty: '1', refPrice: priceOf(i % 100), isEntry: true } });
    await rt.deps.jobs.add('execution.submit', { intentId: x.id });
  }

  it('no order reaches the broker once the HALT is acknowledged', async () => {
    const p = rt.deps.prisma;
    for (let i = 0; i < QUEUED; i++) await intent();
    const c = rt.config;
    const env = {
      DATABASE_URL: c.DATABASE_URL, REDIS_URL: c.REDIS_URL, REDIS_PREFIX: c.REDIS_PREFIX, WORKER_ROLES: 'execution', LOG_LEVEL: 'warn',
      BROKER: 'alpaca', ALPACA_KEY_ID: KEY, ALPACA_SECRET_KEY: SECRET, ALPACA_BASE_URL: fake.restUrl, ALPACA_STREAM_URL: fake.wsUrl,
    };
    const workers = [startWorkersProcess(env, running), startWorkersProcess(env, running)];
    const posts = () => fake.requests.filter((q) => q.method === 'POST' && q.path === '/v2/orders');
    await until('both workers to submit', async () => posts().length >= 30, 60_000).catch((e: Error) => {
      throw new Error(`${e.message}\n${workers.map((w) => w.output().slice(-2000)).join('\n---\n')}`);
    });
    // More intents keep arriving while the HALT is pressed and after.
    let feeding = true;
    const feeder = (async () => {
      while (feeding) await intent();
    })();
    let acknowledged = 0;
    const halt = await haltTrading(rt.deps, { actor: admin, reason: 'halt under full load', onStep: (s) => { if (s.step === 'halted') acknowledged = performance.timeOrigin + performance.now(); } });
    const atHalt = posts().length;
    await new Promise((r) => setTimeout(r, FULL ? 5000 : 2000));
    feeding = false;
    await feeder;
    await until('every intent to be decided (SUBMITTED or BLOCKED)', async () => (await p.orderIntent.count({ where: { status: { in: ['SUBMITTED', 'BLOCKED'] } } })) === made, 60_000);
    for (const w of workers) w.child.kill('SIGTERM');
    for (const w of workers) expect((await w.exited).code).toBe(0);

    const all = posts();
    console.log(`[chaos] HALT under load: ${made} intents, ${all.length} orders sent before the HALT was acknowledged (${atHalt} when haltTrading returned), ${made - all.length} blocked; ${halt.canceledOrders.length} cancelled`);
    expect(acknowledged).toBeGreaterThan(0);
    expect(all.filter((q) => q.at >= acknowledged)).toEqual([]);
    const byStatus = Object.fromEntries((await p.orderIntent.groupBy({ by: ['status'], _count: true })).map((g) => [g.status, g._count]));
    expect(byStatus.SUBMITTED).toBe(all.length);
    expect(byStatus.BLOCKED).toBe(made - all.length);
    expect(byStatus.BLOCKED).toBeGreaterThan(0);
    // Everything that did reach the broker was cancelled by the HALT, there and in our books.
    expect(fake.orders()).toHaveLength(all.length);
    expect(fake.orders().every((o) => o.status === 'canceled')).toBe(true);
    expect(halt.stillOpen).toEqual([]);
    expect(await p.order.count({ where: { status: { not: 'canceled' } } })).toBe(0);
  }, FULL ? 600_000 : 120_000);
});
