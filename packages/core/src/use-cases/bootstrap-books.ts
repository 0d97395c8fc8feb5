// Creates the singleton rows our books (and the broker, if it keeps books here) need on a fresh
// database. Idempotent; never overwrites.
import type { Deps } from '../ports.ts';

export async function bootstrapBooks(deps: Pick<Deps, 'prisma' | 'config' | 'broker'>): Promise<void> {
  const cash = deps.config.SIM_STARTING_CASH;
  await deps.prisma.portfolioAccount.upsert({ where: { id: 1 }, create: { id: 1, cash, startingCash: cash }, update: {} });
  await deps.prisma.tradingStateRow.upsert({ where: { id: 1 }, create: { id: 1 }, update: {} });
  await deps.broker.init?.();
}
