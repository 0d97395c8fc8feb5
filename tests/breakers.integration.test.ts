// Circuit breakers on a scripted price path: a position bought at 100, the price falls; the daily loss limit
// stops entries (REDUCING), the drawdown limit halts trading; each trip is audited and a critical alert.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRuntime, type TestRuntime } from '@ai-trader/adapters/testing';
import { checkBreakers, getTradingState, ingestBar, listAlerts, type Clock } from '@ai-trader/core';

const bar = (ts: string, px: string) => ({ symbol: 'SPY', timeframe: '5m' as const, ts, open: px, high: px, low: px, close: px, volume: '1000', source: 'test' });

describe('circuit breakers', () => {
  let rt: TestRuntime;
  let now = new Date('2025-06-04T14:00:00Z');
  const clock: Clock = { now: () => now };
  beforeAll(async () => {
    rt = await createTestRuntime('breakers', { RISK_DAILY_LOSS_LIMIT: '2000', RISK_MAX_DRAWDOWN_PCT: '10' });
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
