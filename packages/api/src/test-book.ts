// For the API's integration tests: a small real book built through the pipeline's own use-cases — one SPY position
// bought at the bar after a 600 signal (filled at 601 by the simulated broker).
import { applyTradeUpdate, checkRisk, ingestBar, submitIntent, type Deps } from '@ai-trader/core';

export const spyBar = (ts: string, px: string) => ({ symbol: 'SPY', timeframe: '5m' as const, ts, open: px, high: px, low: px, close: px, volume: '100000', source: 'test' });

export async function seedSpyPosition(deps: Deps): Promise<void> {
  await ingestBar(deps, spyBar('2025-06-04T13:30:00Z', '600'));
  const s = await deps.prisma.signal.create({ data: { strategy: 'test', symbol: 'SPY', barTs: new Date('2025-06-04T13:30:00Z'), side: 'BUY', price: '600', detail: {} } });
  const d = await checkRisk(deps, { signalId: s.id });
  await submitIntent(deps, { intentId: d.intent!.id });
  await ingestBar(deps, spyBar('2025-06-04T13:35:00Z', '601'));
  for (const u of await deps.broker.onMarketBar!(spyBar('2025-06-04T13:35:00Z', '601'))) await applyTradeUpdate(deps, u);
}
