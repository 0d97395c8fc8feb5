// The risk decision's facts gathered from the real books: market clock, last price (collar), working orders,
// order rate, duplicates — asked as a what-if (nothing written) and decided for real, with the same answer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRuntime, type TestRuntime } from '@ai-trader/adapters/testing';
import { checkRisk, ingestBar, whatIfOrder, type Clock } from '@ai-trader/core';

const bar = (symbol: string, ts: string, px: string) => ({ symbol, timeframe: '5m' as const, ts, open: px, high: px, low: px, close: px, volume: '1000', source: 'test' });

describe('risk facts and the what-if check', () => {
  let rt: TestRuntime;
  let now = new Date('2025-06-04T14:00:00Z'); // Wednesday 10:00 ET: the market is open
  const clock: Clock = { now: () => now };
  beforeAll(async () => {
    rt = await createTestRuntime('whatif', { RISK_MAX_OPEN_ORDERS: '2', RISK_MAX_ORDERS_PER_MINUTE: '3', RISK_PRICE_COLLAR_PCT: '2' });
    rt.deps.clock = clock;
    for (const s of ['SPY', 'QQQ', 'AAPL', 'MSFT']) await ingestBar(rt.deps, bar(s, '2025-06-04T13:55:00Z', '100'));
  });
  afterAll(async () => rt?.cleanup());

  let n = 0; // each signal on its own in-session bar (a signal is unique per strategy, symbol and bar)
  const signal = (symbol: string, strategy: string, price = '100') =>
    rt.deps.prisma.signal.create({ data: { strategy, symbol, barTs: new Date(Date.parse('2025-06-04T13:55:00Z') - n++ * 300_000), side: 'BUY', price, detail: {} } });

  it('answers with the reason and the facts, and writes nothing', async () => {
    const ok = await whatIfOrder(rt.deps, { symbol: 'SPY', side: 'BUY' });
    expect(ok).toMatchObject({ wouldPass: true, qty: '100', facts: { state: 'ACTIVE', marketOpen: true, price: '100', lastPrice: '100', openOrders: 0 } });
    expect(await whatIfOrder(rt.deps, { symbol: 'SPY', side: 'BUY', price: '103' })).toMatchObject({ wouldPass: false, code: 'PRICE_COLLAR' });
    expect(await whatIfOrder(rt.deps, { symbol: 'SPY', side: 'SELL' })).toMatchObject({ wouldPass: false, code: 'NO_POSITION_TO_EXIT' });
    now = new Date('2025-06-04T21:00:00Z'); // 17:00 ET
    expect(await whatIfOrder(rt.deps, { symbol: 'SPY', side: 'BUY' })).toMatchObject({ wouldPass: false, code: 'MARKET_CLOSED' });
    now = new Date('2025-06-04T14:00:00Z');
    await expect(whatIfOrder(rt.deps, { symbol: 'TSLA', side: 'BUY' })).rejects.toThrow('no price for TSLA');
    expect(await rt.deps.prisma.riskDecision.count()).toBe(0);
  });

  it('denies a duplicate of a working order, then too many open orders, then too many orders a minute', async () => {
    expect(await checkRisk(rt.deps, { signalId: (await signal('SPY', 'a')).id })).toMatchObject({ outcome: 'APPROVED' });
    expect(await checkRisk(rt.deps, { signalId: (await signal('SPY', 'a')).id })).toMatchObject({ outcome: 'DENIED', reasonCode: 'DUPLICATE_SIGNAL' });
    expect(await checkRisk(rt.deps, { signalId: (await signal('QQQ', 'a')).id })).toMatchObject({ outcome: 'APPROVED' });
    expect(await checkRisk(rt.deps, { signalId: (await signal('AAPL', 'a')).id })).toMatchObject({ outcome: 'DENIED', reasonCode: 'MAX_OPEN_ORDERS', message: '2 orders already working, limit 2' });
    // Two intents in the last minute so far; a third is allowed by the rate, then the rate stops the fourth.
    await rt.deps.prisma.orderIntent.updateMany({ data: { status: 'BLOCKED' } }); // free the open-order slots
    expect(await checkRisk(rt.deps, { signalId: (await signal('AAPL', 'b')).id })).toMatchObject({ outcome: 'APPROVED' });
    expect(await checkRisk(rt.deps, { signalId: (await signal('MSFT', 'b')).id })).toMatchObject({ outcome: 'DENIED', reasonCode: 'MAX_ORDERS_PER_MINUTE' });
    expect((await whatIfOrder(rt.deps, { symbol: 'MSFT', side: 'BUY' })).code).toBe('MAX_ORDERS_PER_MINUTE'); // the what-if agrees
    now = new Date(now.getTime() + 61_000);
    expect((await whatIfOrder(rt.deps, { symbol: 'MSFT', side: 'BUY' })).wouldPass).toBe(true);
  });
});
