// /strategies: latest signals (why, and what risk did), strategy configs (enable/disable, audited), the
// model registry and backtest results with their equity curves.
import { actorFromHeaders, getConsoleServer } from '@ai-trader/api';
import { headers } from 'next/headers';
import { Strategies } from '@/components/strategies';

export const dynamic = 'force-dynamic';

export default async function StrategiesPage() {
  const actor = await actorFromHeaders(getConsoleServer().auth, await headers());
  return <Strategies role={actor?.role ?? 'viewer'} />;
}
