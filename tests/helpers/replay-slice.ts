// The two-day SPY/QQQ replay slice that the pipeline tests run (in one process: workers/src/pipeline.integration.test.ts;
// spread over several processes: tests/scale-out.integration.test.ts), what it must produce, and the snapshot compared.
import type { TestRuntime } from '@ai-trader/adapters/testing';

export const SLICE = { FEED: 'replay', REPLAY_SYMBOLS: 'SPY,QQQ', REPLAY_START: '2025-06-04', REPLAY_END: '2025-06-05', REPLAY_PACING: 'lockstep' };

// Checked by hand against the CSVs: crosses of SMA(5)/SMA(20) on the 5-minute closes, fills at the
// next bar's open, 10 000 notional per entry (SPY ≈ 597 → 16 shares, QQQ ≈ 529 → 18).
export const EXPECTED = {
  bars: 312,
  signals: [
    'SPY 06-04T15:35 SELL DENIED NO_POSITION_TO_EXIT ',
    'QQQ 06-04T16:00 SELL DENIED NO_POSITION_TO_EXIT ',
    'QQQ 06-04T17:00 BUY APPROVED  BUY 18 filled @529',
    'SPY 06-04T17:00 BUY APPROVED  BUY 16 filled @597.12',
    'SPY 06-04T18:45 SELL APPROVED  SELL 16 filled @597.22',
    'QQQ 06-04T19:15 SELL APPROVED  SELL 18 filled @529.47',
    'QQQ 06-05T14:35 BUY APPROVED  BUY 18 filled @529.73',
    'SPY 06-05T14:40 BUY APPROVED  BUY 16 filled @596.56',
    'QQQ 06-05T16:20 SELL APPROVED  SELL 18 filled @531.08',
    'SPY 06-05T16:25 SELL APPROVED  SELL 16 filled @597.9',
    'SPY 06-05T17:40 BUY APPROVED  BUY 16 filled @596.88',
    'SPY 06-05T18:00 SELL APPROVED  SELL 16 filled @595.18',
  ],
  orders: 10,
  fills: 10,
  simOrders: 10,
  positions: ['QQQ 0 avg 0 realized 32.76', 'SPY 0 avg 0 realized -4.16'],
  cash: '100028.6',
};

export async function snapshot(rt: TestRuntime) {
  const p = rt.deps.prisma;
  const signals = await p.signal.findMany({ orderBy: [{ barTs: 'asc' }, { symbol: 'asc' }], include: { decision: { include: { intent: { include: { order: { include: { fills: true } } } } } } } });
  return {
    bars: await p.bar5m.count(),
    signals: signals.map((s) => {
      const o = s.decision?.intent?.order;
      return [s.symbol, s.barTs.toISOString().slice(5, 16), s.side, s.decision?.outcome, s.decision?.reasonCode ?? '', o ? `${o.side} ${o.qty} ${o.status} @${o.avgFillPrice}` : ''].join(' ');
    }),
    orders: await p.order.count(),
    fills: await p.fill.count(),
    simOrders: await p.simOrder.count(),
    positions: (await p.position.findMany({ orderBy: { symbol: 'asc' } })).map((x) => `${x.symbol} ${x.qty} avg ${x.avgCost} realized ${x.realizedPnl}`),
    cash: (await p.portfolioAccount.findUniqueOrThrow({ where: { id: 1 } })).cash.toFixed(),
  };
}

