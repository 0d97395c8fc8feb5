// Reconciliation under a steady flow of orders (found by the full stores-restart chaos run, which went REDUCING):
// two passes that each catch our books one fill behind the broker — different quantities each time — are not the
// same drift and must not stop entries; the same difference seen twice still is.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlpacaRest } from '@ai-trader/adapters';
import { createTestRuntime, type TestRuntime } from '@ai-trader/adapters/testing';
import { startFakeAlpaca, type FakeAlpaca } from '@ai-trader/adapters/testing/fake-alpaca';
import { getTradingState, reconcile } from '@ai-trader/core';

const KEY = `PK${randomBytes(8).toString('hex').toUpperCase()}`;
const SECRET = `sk-${randomBytes(16).toString('hex')}`;

describe('reconciliation while orders keep filling', () => {
  let rt: TestRuntime;
  let fake: FakeAlpaca;
  beforeAll(async () => {
    fake = await startFakeAlpaca({ keyId: KEY, secretKey: SECRET, prices: { IWM: '100' }, cash: '1000000', rateLimit: null });
    rt = await createTestRuntime('chaosrecflow', { BROKER: 'alpaca', ALPACA_KEY_ID: KEY, ALPACA_SECRET_KEY: SECRET, ALPACA_BASE_URL: fake.restUrl, ALPACA_STREAM_URL: fake.wsUrl });
  });
  afterAll(async () => {
    await rt?.cleanup();
    await fake?.close();
  });

  it('a fill in flight at two passes is not drift; the same difference twice is', async () => {
    const p = rt.deps.prisma;
    const rest = new AlpacaRest({ baseUrl: fake.restUrl, keyId: KEY, secretKey: SECRET, redis: rt.deps.redis, prefix: rt.config.REDIS_PREFIX, logger: rt.deps.logger });
    let n = 0;
    const fillAtBroker = () => rest.submitOrder({ symbol: 'IWM', qty: '10', side: 'buy', type: 'market', time_in_force: 'day', client_order_id: `flow-${n++}` });
    const ours = (qty: string) => p.position.upsert({ where: { symbol: 'IWM' }, create: { symbol: 'IWM', qty, avgCost: '100', realizedPnl: '0' }, update: { qty } });

    await fillAtBroker(); // the broker has filled 10; our books have not heard yet
    expect((await reconcile(rt.deps)).suspect).toEqual([{ kind: 'position_mismatch', subject: 'IWM', ours: '0', broker: '10' }]);
    await ours('10'); // that fill arrives …
    await fillAtBroker(); // … and the next one is in flight at the next pass
    const second = await reconcile(rt.deps);
    expect(second).toMatchObject({ clean: true, drift: [], suspect: [{ kind: 'position_mismatch', subject: 'IWM', ours: '10', broker: '20' }] });
    expect((await getTradingState(p)).state).toBe('ACTIVE');

    // Nothing moves any more: the same difference at the next pass is drift (entries stopped, the position repaired).
    const third = await reconcile(rt.deps);
    expect(third).toMatchObject({ clean: false, stateChanged: true, drift: [{ kind: 'position_mismatch', subject: 'IWM', ours: '10', broker: '20', repaired: true }] });
    expect((await getTradingState(p)).state).toBe('REDUCING');
  });
});
