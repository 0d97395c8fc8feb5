// The latest signals with what drove them (score, model version, top features) and what risk made of them.
import type { Deps } from '../ports.ts';

export interface SignalView {
  id: string;
  strategy: string;
  symbol: string;
  barTs: string;
  side: 'BUY' | 'SELL';
  price: string;
  score: number | null;
  modelVersion: string | null;
  topFeatures: { name: string; value: number; contribution: number }[];
  targetNotional: string | null;
  reason: string | null;
  outcome: 'APPROVED' | 'DENIED' | null;
  riskCode: string | null;
  riskMessage: string | null;
  createdAt: string;
}

export async function listSignals(deps: Pick<Deps, 'prisma'>, q: { limit: number; strategy?: string | undefined; symbol?: string | undefined }): Promise<SignalView[]> {
  const rows = await deps.prisma.signal.findMany({
    where: { ...(q.strategy ? { strategy: q.strategy } : {}), ...(q.symbol ? { symbol: q.symbol } : {}) },
    orderBy: [{ barTs: 'desc' }, { createdAt: 'desc' }],
    take: q.limit,
    include: { decision: true },
  });
  return rows.map((s) => ({
    id: s.id, strategy: s.strategy, symbol: s.symbol, barTs: s.barTs.toISOString(), side: s.side, price: s.price.toFixed(),
    score: s.score, modelVersion: s.modelVersion, topFeatures: (s.topFeatures ?? []) as SignalView['topFeatures'],
    targetNotional: s.targetNotional?.toFixed() ?? null, reason: (s.detail as { reason?: string } | null)?.reason ?? null,
    outcome: s.decision?.outcome ?? null, riskCode: s.decision?.reasonCode ?? null, riskMessage: s.decision?.message ?? null, createdAt: s.createdAt.toISOString(),
  }));
}
