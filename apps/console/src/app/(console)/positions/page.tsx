// /positions: every position with P&L and exit levels (live), a symbol's chart with its fills (?symbol=SPY), and
// the manual close for traders.
import { actorFromHeaders, getConsoleServer } from '@ai-trader/api';
import { ZSymbol } from '@ai-trader/contracts';
import { headers } from 'next/headers';
import { Positions } from '@/components/positions/positions';

export const dynamic = 'force-dynamic';

export default async function PositionsPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const actor = await actorFromHeaders(getConsoleServer().auth, await headers());
  const symbol = ZSymbol.safeParse((await searchParams).symbol);
  return <Positions role={actor?.role ?? 'viewer'} initialSymbol={symbol.success ? symbol.data : null} />;
}
