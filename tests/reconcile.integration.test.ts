// Reconciliation against the local Alpaca-compatible server: a fill our books missed (no stream running) is
// replayed from the broker and the books are clean again; a position the broker holds that we do not know is
// drift once two passes agree: REDUCING, a critical alert, both sides named.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlpacaRest } from '@ai-trader/adapters';
import { createTestRuntime, type TestRuntime } from '@ai-trader/adapters/testing';
import { startFakeAlpaca, type FakeAlpaca } from '@ai-trader/adapters/testing/fake-alpaca';
import { checkRisk, getTradingState, ingestBar, listAlerts, reconcile, submitIntent } from '@ai-trader/core';

const KEY = `PK${randomBytes(8).toString('hex').toUpperCase()}`;
const SECRET = `sk-${randomBytes(16).toString('hex')}`;

describe('reconciliation with the broker', () => {
  let rt: TestRuntime;
  let fake: FakeAlpaca;
  beforeAll(async () => {
    fake = await startFakeAlpaca({ keyId: KEY, secretKey: SECRET, prices: { SPY: '600', QQQ: '500' }, cash: '100000', clock: { isOpen: false }, closedMarket: 'queue' });
    rt = await createTestRuntime('reconcile', { BROKER: 'alpaca', ALPACA_KEY_ID: KEY, ALPACA_SECRET_KEY: SECRET, ALPACA_BASE_URL: fake.restUrl, ALPACA_STREAM_URL: fake.wsUrl });
    await ingestBar(rt.deps, { symbol: 'SPY', timeframe: '5m', ts: '2025-06-04T13:55:00Z', open: '600', high: '600', low: '600', close: '600', volume: '1000', source: 'test' });
  });
  afterAll(async () => {
    await rt?.cleanup();
    await fake?.close();
  });

  it('replays a fill the books missed, then is clean', async () => {
    const p = rt.deps.prisma;
    fake.setClock({ isOpen: true });
    const s = await p.signal.create({ data: { strategy: 't', symbol: 'SPY', barTs: new Date('2025-06-04T13:55:00Z'), side: 'BUY', price: '600', detail: {} } });
    const d = await checkRisk(rt.deps, { signalId: s.id });
    expect(d.outcome).toBe('APPROVED');
    expect(await submitIntent(rt.deps, { intentId: d.intent!.id })).toBe('submitted');
    expect(fake.orders()[0]!.status).toBe('filled'); // the broker filled it; no stream told us
    expect((await p.order.findFirstOrThrow()).status).not.toBe('filled');

    const r = await reconcile(rt.deps);
    expect(r).toMatchObject({ repaired: 1, drift: [], suspect: [], clean: true });
    expect((await p.order.findFirstOrThrow()).status).toBe('filled');
    expect((await p.position.findUniqueOrThrow({ where: { symbol: 'SPY' } })).qty.toFixed()).toBe(fake.positions().find((x) => x.symbol === 'SPY')!.qty);
    expect((await reconcile(rt.deps)).repaired).toBe(0); // idempotent
  });

  it('holds entries back when the broker holds what we do not, once two passes agree', async () => {
    const rest = new AlpacaRest({ baseUrl: fake.restUrl, keyId: KEY, secretKey: SECRET, redis: rt.deps.redis, prefix: rt.config.REDIS_PREFIX, logger: rt.deps.logger });
    await rest.submitOrder({ symbol: 'QQQ', qty: '3', side: 'buy', type: 'market', time_in_force: 'day', client_order_id: 'manual-1' }); // placed by hand at the broker
    const first = await reconcile(rt.deps);
    expect(first).toMatchObject({ clean: true, suspect: [{ kind: 'position_mismatch', subject: 'QQQ', ours: '0', broker: '3' }] });
    expect((await getTradingState(rt.deps.prisma)).state).toBe('ACTIVE');
    const second = await reconcile(rt.deps);
    expect(second).toMatchObject({ clean: false, stateChanged: true, drift: [{ kind: 'position_mismatch', subject: 'QQQ' }] });
    const state = await getTradingState(rt.deps.prisma);
    expect(state).toMatchObject({ state: 'REDUCING', changedBy: 'system:reconcile' });
    expect(state.reason).toBe('reconciliation found 1 difference(s) with the broker: position_mismatch QQQ (ours 0, broker 3)');
    expect((await listAlerts(rt.deps, { open: true, limit: 5 })).map((a) => `${a.level} ${a.key}`)).toEqual(['critical reconcile.drift']);
  });
});
