// The pipeline with BROKER=alpaca against the local Alpaca-compatible server: replayed bars → strategy →
// risk (the broker's market clock) → execution (REST, client_order_id from the intent) → fills over the
// trade_updates stream owned by the broker role → positions and cash equal to what the broker holds.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRuntime, maCrossStrategy, type TestRuntime } from '@ai-trader/adapters/testing';
import { startFakeAlpaca, type FakeAlpaca } from '@ai-trader/adapters/testing/fake-alpaca';
import { pipelineIdle, seedStrategies } from '@ai-trader/core';
import { dec } from '@ai-trader/domain';
import { startPipeline } from './pipeline.ts';

const KEY = `PK${randomBytes(8).toString('hex').toUpperCase()}`;
const SECRET = `sk-${randomBytes(16).toString('hex')}`;

describe('pipeline on the Alpaca adapter', () => {
  let rt: TestRuntime;
  let fake: FakeAlpaca;
  beforeAll(async () => {
    fake = await startFakeAlpaca({ keyId: KEY, secretKey: SECRET, prices: { SPY: '597', QQQ: '529' }, cash: '100000' });
    rt = await createTestRuntime('alpacapipe', {
      BROKER: 'alpaca', ALPACA_KEY_ID: KEY, ALPACA_SECRET_KEY: SECRET, ALPACA_BASE_URL: fake.restUrl, ALPACA_STREAM_URL: fake.wsUrl,
      FEED: 'replay', REPLAY_SYMBOLS: 'SPY,QQQ', REPLAY_START: '2025-06-04', REPLAY_END: '2025-06-04', REPLAY_PACING: 'lockstep',
    });
    await seedStrategies(rt.deps, [maCrossStrategy(['SPY', 'QQQ'])]);
  });
  afterAll(async () => {
    await rt?.cleanup();
    await fake?.close();
  });

  it('places each approved intent once at the broker and books its fills from the stream', async () => {
    const pipeline = await startPipeline(rt, ['feed', 'ingest', 'scoring', 'risk', 'execution', 'broker', 'portfolio']);
    expect(await pipeline.feedDone).toBe(78); // one day: 78 regular-session 5m steps
    const p = rt.deps.prisma;
    for (const end = Date.now() + 30_000; ; await new Promise((r) => setTimeout(r, 100))) {
      const working = await p.order.count({ where: { status: { in: ['pending_new', 'new', 'partially_filled'] } } });
      if (working === 0 && (await pipelineIdle(rt.queues.queues))) break;
      if (Date.now() > end) throw new Error(`orders still working: ${working}`);
    }
    await pipeline.close();

    const intents = await p.orderIntent.count({ where: { status: 'SUBMITTED' } });
    expect(intents).toBeGreaterThan(0);
    expect(fake.orders()).toHaveLength(intents); // exactly one broker order per submitted intent
    const orders = await p.order.findMany({ include: { fills: true } });
    expect(orders.map((o) => o.status)).toEqual(orders.map(() => 'filled'));
    expect(new Set(fake.orders().map((o) => o.client_order_id))).toEqual(new Set(orders.map((o) => o.clientOrderId)));
    // Our books equal the broker's: positions and cash.
    const ours = (await p.position.findMany({ where: { qty: { not: 0 } }, orderBy: { symbol: 'asc' } })).map((x) => `${x.symbol} ${x.qty.toFixed()}`);
    expect(ours).toEqual(fake.positions().filter((x) => x.qty !== '0').map((x) => `${x.symbol} ${x.qty}`).sort());
    const cash = (await p.portfolioAccount.findUniqueOrThrow({ where: { id: 1 } })).cash;
    expect(dec(cash.toString()).toFixed(2)).toBe(dec(fake.cash()).toFixed(2));
  });
});
