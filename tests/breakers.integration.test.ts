// Circuit breakers on a scripted price path: a position bought at 100, the price falls; the daily loss limit
// stops entries (REDUCING), the drawdown limit halts trading; each trip is audited and a critical alert.
// Then the error rate of broker submissions and a silent feed, each at and past its limit.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensurePartitions } from '@ai-trader/db';
import { createTestRuntime, type TestRuntime } from '@ai-trader/adapters/testing';
import { checkBreakers, getTradingState, ingestBar, listAlerts, markFeedActive, markFeedStopped, resumeTrading, type Clock } from '@ai-trader/core';

const bar = (ts: string, px: string) => ({ symbol: 'SPY', timeframe: '5m' as const, ts, open: px, high: px, low: px, close: px, volume: '1000', source: 'test' });

describe('circuit breakers', () => {
  let rt: TestRuntime;
  let now = new Date('2025-06-04T14:00:00Z');
  const clock: Clock = { now: () => now };
  beforeAll(async () => {
    rt = await createTestRuntime('breakers', { RISK_DAILY_LOSS_LIMIT: '2000', RISK_MAX_DRAWDOWN_PCT: '10' });
    await ensurePartitions(rt.deps.pool, 'market_data_5m', new Date('2025-06-01T00:00:00Z'), new Date('2025-06-01T00:00:00Z')); // as the daily job would have (a bar without one alerts)
    rt.deps.clock = clock;
    // 500 SPY at 100: 50 000 of the 100 000 in the stock, 50 000 cash.
    await rt.deps.prisma.position.create({ data: { symbol: 'SPY', qty: '500', avgCost: '100', realizedPnl: '0' } });
    await rt.deps.prisma.portfolioAccount.update({ where: { id: 1 }, data: { cash: '50000' } });
  });
  afterAll(async () => rt?.cleanup());

  it('stops entries at the daily loss limit and halts at the drawdown limit, as the system, with alerts', async () => {
    const path: [string, string, string][] = [
      // ts, price, expected state after the check
      ['2025-06-04T13:55:00Z', '104', 'ACTIVE'], // equity 102 000: the day starts here, and the peak
      ['2025-06-04T14:55:00Z', '101', 'ACTIVE'], // 100 500: −1 500 on the day
      ['2025-06-04T15:55:00Z', '99.9', 'REDUCING'], // 99 950: −2 050 ≥ 2 000 → entries stopped
      ['2025-06-04T16:55:00Z', '90', 'REDUCING'], // 95 000: drawdown 6.9 %
      ['2025-06-04T17:55:00Z', '83', 'HALTED'], // 91 500: drawdown 10.3 % ≥ 10 % → halted
    ];
    for (const [ts, px, state] of path) {
      now = new Date(Date.parse(ts) + 60_000);
      await ingestBar(rt.deps, bar(ts, px));
      const r = await checkBreakers(rt.deps);
      expect(r.state, `${ts} at ${px}: ${JSON.stringify(r)}`).toBe(state);
    }
    const s = await getTradingState(rt.deps.prisma);
    expect(s).toMatchObject({ state: 'HALTED', changedBy: 'system:breakers' });
    expect(s.reason).toBe('drawdown breaker: equity 91500.00 is 10.29 % below its peak 102000.00 (limit 10 %)');
    const alerts = (await listAlerts(rt.deps, { open: true, limit: 10 })).map((a) => `${a.level} ${a.key}`);
    expect(alerts.sort()).toEqual(['critical breaker.daily_loss:2025-06-04', 'critical breaker.drawdown:2025-06-04']);
    const audit = await rt.deps.prisma.auditLog.findMany({ orderBy: { id: 'asc' } });
    expect(audit.map((a) => `${a.action} ${a.actorEmail}`)).toEqual(['breaker.daily_loss system:breakers', 'trading.halt system:breakers', 'orders.cancel-all system:breakers']);
    expect(await rt.deps.prisma.equitySnapshot.count()).toBe(5);
  });
});

describe('error-rate and stale-feed breakers', () => {
  let rt: TestRuntime;
  let now = new Date('2025-06-04T15:00:00Z');
  const clock: Clock = { now: () => now };
  const admin = { id: 'u1', email: 'admin@example.com', role: 'admin' as const };
  let n = 0;
  /** One broker submission: an order with this status, or an intent the broker never answered (FAILED). */
  const submission = async (status: 'filled' | 'rejected' | 'FAILED', at: Date) => {
    n++;
    const signal = await rt.deps.prisma.signal.create({ data: { strategy: 't', symbol: 'SPY', barTs: new Date(Date.parse('2025-06-04T13:30:00Z') + n * 300_000), side: 'BUY', price: '600', detail: {} } });
    const decision = await rt.deps.prisma.riskDecision.create({ data: { signalId: signal.id, outcome: 'APPROVED', message: 'ok' } });
    const intent = await rt.deps.prisma.orderIntent.create({
      data: { riskDecisionId: decision.id, symbol: 'SPY', side: 'BUY', qty: '1', refPrice: '600', isEntry: true, ...(status === 'FAILED' ? { status, failCause: 'broker_down', updatedAt: at } : { status: 'SUBMITTED' }) },
    });
    if (status !== 'FAILED')
      await rt.deps.prisma.order.create({ data: { intentId: intent.id, clientOrderId: `ait-test-${n}`, broker: 'sim', symbol: 'SPY', side: 'BUY', qty: '1', status, createdAt: at, submittedAt: at } });
  };
  const minutesAgo = (m: number) => new Date(now.getTime() - m * 60_000);
  const audit = async () => (await rt.deps.prisma.auditLog.findMany({ orderBy: { id: 'asc' } })).map((a) => `${a.action} ${a.actorEmail}`);

  beforeAll(async () => {
    rt = await createTestRuntime('breakers2', { RISK_MAX_ERROR_RATE_PCT: '25', RISK_ERROR_RATE_WINDOW_MIN: '15', RISK_ERROR_RATE_MIN_SUBMISSIONS: '8', RISK_MAX_CONSECUTIVE_REJECTS: '1000', STALE_AFTER_SECONDS: '120' });
    await ensurePartitions(rt.deps.pool, 'market_data_5m', new Date('2025-06-01T00:00:00Z'), new Date('2025-06-01T00:00:00Z')); // as the daily job would have (a bar without one alerts)
    rt.deps.clock = clock;
  });
  afterAll(async () => rt?.cleanup());

  it('stops entries when more than the limit of the window’s submissions were rejected or failed', async () => {
    for (let i = 0; i < 4; i++) await submission('rejected', minutesAgo(20)); // outside the window
    await submission('rejected', minutesAgo(10));
    await submission('rejected', minutesAgo(5));
    let r = await checkBreakers(rt.deps);
    expect(r.errorRate).toEqual({ submissions: 2, failures: 2, pct: 100 }); // too few to judge
    expect(r.state).toBe('ACTIVE');

    for (let i = 0; i < 6; i++) await submission('filled', minutesAgo(3));
    r = await checkBreakers(rt.deps);
    expect(r.errorRate).toEqual({ submissions: 8, failures: 2, pct: 25 }); // at the limit, not above
    expect(r).toMatchObject({ state: 'ACTIVE', tripped: [] });

    await submission('FAILED', minutesAgo(1)); // the broker was unreachable after every attempt
    r = await checkBreakers(rt.deps);
    expect(r.errorRate.submissions).toBe(9);
    expect(r.errorRate.failures).toBe(3);
    expect(r).toMatchObject({ state: 'REDUCING', tripped: [{ breaker: 'error_rate', to: 'REDUCING' }] });
    const s = await getTradingState(rt.deps.prisma);
    expect(s).toMatchObject({ state: 'REDUCING', changedBy: 'system:breakers' });
    expect(s.reason).toBe('error rate breaker: 3 of 9 broker submissions in the last 15 min rejected or failed (33.3 %, limit 25 %); entries stopped');
    const alerts = await listAlerts(rt.deps, { open: true, limit: 10 });
    expect(alerts.map((a) => `${a.level} ${a.key}`)).toEqual(['critical breaker.error_rate:2025-06-04']);
    expect((await rt.deps.prisma.alert.findFirstOrThrow({ where: { id: alerts[0]!.id } })).details).toMatchObject({ windowMinutes: 15, submissions: 9, rejected: 2, failed: 1 });
    expect(await audit()).toEqual(['breaker.error_rate system:breakers']);
  });

  it('stops entries when a running feed delivers no bar of any symbol for longer than STALE_AFTER_SECONDS', async () => {
    await resumeTrading(rt.deps, { actor: admin, reason: 'errors looked at' });
    const start = new Date('2025-06-04T16:00:00Z');
    const at = (s: number) => (now = new Date(start.getTime() + s * 1000));
    at(0);
    let r = await checkBreakers(rt.deps);
    expect(r.feed).toEqual({ expected: false, silentSeconds: null, stale: false }); // no feed is supposed to run
    await markFeedActive(rt.deps, start);
    at(60);
    r = await checkBreakers(rt.deps);
    expect(r.feed).toEqual({ expected: true, silentSeconds: 60, stale: false }); // just started: silence counts from the start
    expect(r.state).toBe('ACTIVE');
    at(100);
    await ingestBar(rt.deps, { symbol: 'SPY', timeframe: '5m', ts: '2025-06-04T15:55:00Z', open: '600', high: '600', low: '600', close: '600', volume: '1000', source: 'test' });
    at(200);
    r = await checkBreakers(rt.deps);
    // QQQ, AAPL, MSFT never delivered (risk refuses them one by one), but SPY did 100 s ago: the feed is alive.
    expect(r.feed).toEqual({ expected: true, silentSeconds: 100, stale: false });
    expect(r.state).toBe('ACTIVE');

    at(230);
    await markFeedStopped(rt.deps); // stopped on purpose: silence is expected
    r = await checkBreakers(rt.deps);
    expect(r).toMatchObject({ feed: { expected: false, stale: false }, state: 'ACTIVE', tripped: [] });

    await markFeedActive(rt.deps, start);
    r = await checkBreakers(rt.deps);
    expect(r.feed).toEqual({ expected: true, silentSeconds: 130, stale: true });
    expect(r).toMatchObject({ state: 'REDUCING', tripped: [{ breaker: 'stale_feed', to: 'REDUCING' }] });
    expect((await getTradingState(rt.deps.prisma)).reason).toBe('stale feed breaker: the replay feed is running but has delivered no bar for 130s (limit 120s); entries stopped');
    const open = (await listAlerts(rt.deps, { open: true, limit: 10 })).map((a) => `${a.level} ${a.key}`);
    // (the operator's resume raised its own warning: every emergency action does)
    expect(open.sort()).toEqual(['critical breaker.error_rate:2025-06-04', 'critical breaker.stale_feed:2025-06-04', 'warning emergency.resume']);

    // Already REDUCING: a breaker never trips twice, nor loosens the state.
    at(400);
    r = await checkBreakers(rt.deps);
    expect(r).toMatchObject({ state: 'REDUCING', tripped: [] });
    expect(await audit()).toEqual(['breaker.error_rate system:breakers', 'trading.resume admin@example.com', 'breaker.stale_feed system:breakers']);
  });
});
