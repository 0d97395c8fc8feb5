// The live switch: refused while any readiness check is failing, stale or not run, allowed (admin only, audited) when
// all pass and are fresh; and the runtime's guard — pointed at a live Alpaca URL, no order leaves unless the stored
// broker.account is live, so a configuration change alone cannot go live.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRuntime, type TestRuntime } from '@ai-trader/adapters/testing';
import { READINESS_CHECK_IDS, type TReadinessCheckId } from '@ai-trader/contracts';
import { brokerAccountMode, goLive, GoLiveRefusedError, goPaper, guardLiveBroker, ingestBar, isLiveBrokerUrl, LiveAccountNotEnabledError, readinessWindows, type Clock } from '@ai-trader/core';

const admin = { id: 'u-admin', email: 'admin@example.com', role: 'admin' as const };

describe('the live switch', () => {
  let rt: TestRuntime;
  const now = new Date('2025-06-13T14:00:00Z');
  const clock: Clock = { now: () => now };
  /** Stores one result per check: pass unless named otherwise, finished `ageS` seconds ago. */
  async function results(over: Partial<Record<TReadinessCheckId, { status?: 'pass' | 'fail'; ageS?: number }>> = {}) {
    await rt.deps.prisma.readinessResult.deleteMany();
    for (const id of READINESS_CHECK_IDS) {
      const o = over[id] ?? {};
      const at = new Date(now.getTime() - (o.ageS ?? 60) * 1000);
      await rt.deps.prisma.readinessResult.create({
        data: { check: id, status: o.status ?? 'pass', summary: `${id} ${o.status ?? 'pass'}`, evidence: {}, ranBy: 'job:readiness_expensive', trigger: 'schedule', startedAt: at, finishedAt: at, durationMs: 5 },
      });
    }
  }
  const switches = () => rt.deps.prisma.auditLog.findMany({ where: { action: { startsWith: 'broker.go-' } }, orderBy: { seq: 'asc' } });

  beforeAll(async () => {
    rt = await createTestRuntime('golive');
    rt.deps.clock = clock;
  });
  afterAll(async () => rt?.cleanup());

  it('is refused when no check has run, naming them; nothing changes', async () => {
    const e = await goLive(rt.deps, { actor: admin, reason: 'try' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(GoLiveRefusedError);
    expect((e as Error).message).toMatch(/^refused: readiness is not all pass and fresh — code\.no-test-code not-run, apis\.market-data not-run, /);
    expect(await brokerAccountMode(rt.deps)).toBe('paper');
    expect(await switches()).toHaveLength(0);
  });

  it('is refused with one check failing, and with one check stale', async () => {
    await results({ 'risk.stop-losses': { status: 'fail' } });
    await expect(goLive(rt.deps, { actor: admin, reason: 'try' })).rejects.toThrow('refused: readiness is not all pass and fresh — risk.stop-losses fail (ai-trader readiness shows why)');
    const window = readinessWindows(rt.deps)['db.backup-restore'];
    await results({ 'db.backup-restore': { ageS: window + 1 } });
    await expect(goLive(rt.deps, { actor: admin, reason: 'try' })).rejects.toThrow('refused: readiness is not all pass and fresh — db.backup-restore stale (ai-trader readiness shows why)');
    expect(await brokerAccountMode(rt.deps)).toBe('paper');
  });

  it('is refused to a non-admin even when all pass', async () => {
    await results();
    await expect(goLive(rt.deps, { actor: { ...admin, role: 'trader' }, reason: 'try' })).rejects.toThrow('refused: only an admin may switch to a live account');
  });

  it('is allowed when all pass and are fresh: the setting is live and the switch audited with the readiness behind it', async () => {
    await results();
    const r = await goLive(rt.deps, { actor: admin, reason: 'readiness all pass', approvedBy: 'second@example.com' });
    expect(r.changed).toBe(true);
    expect(await brokerAccountMode(rt.deps)).toBe('live');
    const [a] = await switches();
    expect(a).toMatchObject({ action: 'broker.go-live', actorEmail: 'admin@example.com', reason: 'readiness all pass', before: { 'broker.account': 'paper' } });
    expect(a!.after).toMatchObject({ 'broker.account': 'live', approvedBy: 'second@example.com', readinessAt: now.toISOString() });
    expect((a!.after as { checks: string[] }).checks).toHaveLength(READINESS_CHECK_IDS.length);
    expect((await goLive(rt.deps, { actor: admin, reason: 'again' })).changed).toBe(false);
  });

  it('goes back to paper at any time, audited', async () => {
    await results({ 'paper.record': { status: 'fail' } });
    expect(await goPaper(rt.deps, { actor: admin, reason: 'breaker tripped live' })).toEqual({ changed: true });
    expect(await brokerAccountMode(rt.deps)).toBe('paper');
    expect((await switches()).map((a) => a.action)).toEqual(['broker.go-live', 'broker.go-paper']);
  });

  it('the runtime refuses an order to a live Alpaca URL unless broker.account is live', async () => {
    expect(isLiveBrokerUrl({ BROKER: 'alpaca', ALPACA_BASE_URL: 'https://paper-api.alpaca.markets' })).toBe(false);
    expect(isLiveBrokerUrl({ BROKER: 'alpaca', ALPACA_BASE_URL: 'http://127.0.0.1:4010' })).toBe(false);
    expect(isLiveBrokerUrl({ BROKER: 'sim', ALPACA_BASE_URL: 'https://api.alpaca.markets' })).toBe(false);
    expect(guardLiveBroker(rt.deps.broker, rt.deps)).toBe(rt.deps.broker); // the sim: nothing to guard

    // The real (sim) broker behind a configuration that names the live Alpaca URL: what reaches it is what would leave.
    const config = { ...rt.config, BROKER: 'alpaca' as const, ALPACA_BASE_URL: 'https://api.alpaca.markets' };
    const guarded = guardLiveBroker(rt.deps.broker, { prisma: rt.deps.prisma, config });
    expect(guarded.name).toBe(rt.deps.broker.name);
    const order = { clientOrderId: 'ait-live-1', symbol: 'SPY', side: 'BUY' as const, qty: '1', type: 'market' as const };
    await expect(guarded.submitOrder(order)).rejects.toThrow(LiveAccountNotEnabledError);
    await expect(guarded.submitOrder(order)).rejects.toThrow('refused: ALPACA_BASE_URL points at a live account (api.alpaca.markets) but broker.account is paper');
    expect(await rt.deps.prisma.simOrder.count()).toBe(0);

    await ingestBar(rt.deps, { symbol: 'SPY', timeframe: '5m', ts: '2025-06-13T13:55:00Z', open: '100', high: '100', low: '100', close: '100', volume: '1000', source: 'test' });
    await results();
    await goLive(rt.deps, { actor: admin, reason: 'all pass' });
    const ack = await guarded.submitOrder(order);
    expect(ack.reason ?? '').toBe('');
    expect(ack.status).toBe('accepted');
    expect(await rt.deps.prisma.simOrder.count()).toBe(1);
    await goPaper(rt.deps, { actor: admin, reason: 'done' });
    await expect(guarded.submitOrder({ ...order, clientOrderId: 'ait-live-2' })).rejects.toThrow(LiveAccountNotEnabledError);
  });
});
