// Reconciliation against the local Alpaca-compatible server: a fill our books missed (no stream running) is
// replayed from the broker and the books are clean again; a position the broker holds that we do not know is
// drift once two passes agree: REDUCING, a critical alert, both sides named, and our position set to the
// broker's (audited); a difference while an order of ours is still working is left alone.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlpacaRest } from '@ai-trader/adapters';
import { ensurePartitions } from '@ai-trader/db';
import { createTestRuntime, type TestRuntime } from '@ai-trader/adapters/testing';
import { startFakeAlpaca, type FakeAlpaca } from '@ai-trader/adapters/testing/fake-alpaca';
import { checkRisk, getTradingState, ingestBar, lastReconciliation, listAlerts, reconcile, resumeTrading, submitIntent } from '@ai-trader/core';

const KEY = `PK${randomBytes(8).toString('hex').toUpperCase()}`;
const SECRET = `sk-${randomBytes(16).toString('hex')}`;

describe('reconciliation with the broker', () => {
  let rt: TestRuntime;
  let fake: FakeAlpaca;
  beforeAll(async () => {
    fake = await startFakeAlpaca({ keyId: KEY, secretKey: SECRET, prices: { SPY: '600', QQQ: '500' }, cash: '100000', clock: { isOpen: false }, closedMarket: 'queue' });
    rt = await createTestRuntime('reconcile', { BROKER: 'alpaca', ALPACA_KEY_ID: KEY, ALPACA_SECRET_KEY: SECRET, ALPACA_BASE_URL: fake.restUrl, ALPACA_STREAM_URL: fake.wsUrl });
    await ensurePartitions(rt.deps.pool, 'market_data_5m', new Date('2025-06-01T00:00:00Z'), new Date('2025-06-01T00:00:00Z')); // as the daily job would have (a bar without one alerts)
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

  it('repairs the confirmed position from the broker, audited, and stays REDUCING after the clean pass', async () => {
    const p = rt.deps.prisma;
    // The second pass of the previous test confirmed QQQ: our books now hold what the broker holds.
    const pos = await p.position.findUniqueOrThrow({ where: { symbol: 'QQQ' } });
    expect({ qty: pos.qty.toFixed(), avgCost: pos.avgCost.toFixed(), realizedPnl: pos.realizedPnl.toFixed() }).toEqual({ qty: '3', avgCost: '500', realizedPnl: '0' });
    const last = await lastReconciliation(rt.deps);
    expect(last).toMatchObject({ clean: false, drift: [{ kind: 'position_mismatch', subject: 'QQQ', ours: '0', broker: '3', repaired: true }] });
    expect(last).not.toHaveProperty('seen');
    const audit = await p.auditLog.findMany({ where: { action: 'position.repair' } });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actorEmail: 'system:reconcile', before: { position: null }, after: { position: { symbol: 'QQQ', qty: '3', avgCost: '500' }, brokerAvgEntryPrice: '500' } });
    expect(audit[0]!.reason).toContain("our QQQ position (0) differed from the broker's (3)");

    // The next pass is clean: the alert is resolved, trading stays REDUCING until an operator resumes.
    const third = await reconcile(rt.deps);
    expect(third).toMatchObject({ clean: true, drift: [], suspect: [], stateChanged: false });
    expect(await listAlerts(rt.deps, { open: true, limit: 5 })).toEqual([]);
    expect((await getTradingState(p)).state).toBe('REDUCING');
    expect(await lastReconciliation(rt.deps)).toMatchObject({ clean: true, drift: [], lastDrift: { drift: [{ subject: 'QQQ', repaired: true }] } });

    // Sold by hand at the broker: ours 3, broker 0 → repaired to flat, the cost kept, exit levels cleared.
    await p.position.update({ where: { symbol: 'QQQ' }, data: { stopPrice: '480' } });
    const rest = new AlpacaRest({ baseUrl: fake.restUrl, keyId: KEY, secretKey: SECRET, redis: rt.deps.redis, prefix: rt.config.REDIS_PREFIX, logger: rt.deps.logger });
    await rest.submitOrder({ symbol: 'QQQ', qty: '3', side: 'sell', type: 'market', time_in_force: 'day', client_order_id: 'manual-2' });
    expect((await reconcile(rt.deps)).suspect).toEqual([{ kind: 'position_mismatch', subject: 'QQQ', ours: '3', broker: '0' }]);
    expect((await p.position.findUniqueOrThrow({ where: { symbol: 'QQQ' } })).qty.toFixed()).toBe('3'); // one pass is not enough
    expect((await reconcile(rt.deps)).drift).toEqual([{ kind: 'position_mismatch', subject: 'QQQ', ours: '3', broker: '0', repaired: true }]);
    const flat = await p.position.findUniqueOrThrow({ where: { symbol: 'QQQ' } });
    expect({ qty: flat.qty.toFixed(), avgCost: flat.avgCost.toFixed(), stopPrice: flat.stopPrice }).toEqual({ qty: '0', avgCost: '500', stopPrice: null });
    expect(await p.auditLog.count({ where: { action: 'position.repair' } })).toBe(2);
    expect((await listAlerts(rt.deps, { open: true, limit: 5 })).map((a) => `${a.level} ${a.key}`)).toEqual(['critical reconcile.drift']);
  });

  it('does not repair a position while an order of ours for it is still working', async () => {
    const p = rt.deps.prisma;
    await resumeTrading(rt.deps, { actor: { id: 'u1', email: 'admin@example.com', role: 'admin' }, reason: 'drift looked at' });
    const before = (await p.position.findUniqueOrThrow({ where: { symbol: 'SPY' } })).qty.toFixed();
    fake.scriptFills('SPY', ['1']); // one share fills, the rest stays open; no stream tells us
    const s = await p.signal.create({ data: { strategy: 't2', symbol: 'SPY', barTs: new Date('2025-06-04T13:55:00Z'), side: 'BUY', price: '600', detail: {} } });
    const d = await checkRisk(rt.deps, { signalId: s.id });
    expect(d.outcome, JSON.stringify(d)).toBe('APPROVED');
    expect(await submitIntent(rt.deps, { intentId: d.intent!.id })).toBe('submitted');

    expect((await reconcile(rt.deps)).suspect).toEqual([{ kind: 'position_mismatch', subject: 'SPY', ours: before, broker: String(Number(before) + 1) }]);
    const second = await reconcile(rt.deps);
    expect(second).toMatchObject({ clean: false, stateChanged: true, drift: [{ kind: 'position_mismatch', subject: 'SPY', repaired: false }] });
    expect(second.drift[0]!.note).toMatch(/still working/);
    expect((await p.position.findUniqueOrThrow({ where: { symbol: 'SPY' } })).qty.toFixed()).toBe(before);
    expect(await p.auditLog.count({ where: { action: 'position.repair' } })).toBe(2);
    expect((await getTradingState(p)).state).toBe('REDUCING');
  });
});
