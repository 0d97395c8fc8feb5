// /orders: working orders and history (live), filters kept in the address (?symbol=SPY&view=working…), each
// decision's timeline, cancel for traders, and the CSV export of the filtered rows.
import { actorFromHeaders, getConsoleServer } from '@ai-trader/api';
import { ZOrderRowStatus, ZOrderSide, ZSymbol, ZDay } from '@ai-trader/contracts';
import { headers } from 'next/headers';
import { z } from 'zod';
import { Orders, type OrdersFilterForm } from '@/components/orders/orders';

export const dynamic = 'force-dynamic';

// Anything unreadable in the address is simply not applied.
const pick = <T,>(schema: z.ZodType<T>, v: unknown): T | undefined => {
  const r = schema.safeParse(v);
  return r.success ? r.data : undefined;
};

export default async function OrdersPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const actor = await actorFromHeaders(getConsoleServer().auth, await headers());
  const sp = await searchParams;
  const initial: OrdersFilterForm = {
    view: pick(z.enum(['all', 'working', 'history']), sp.view) ?? 'all',
    symbol: pick(ZSymbol, sp.symbol) ?? '',
    status: pick(ZOrderRowStatus, sp.status) ?? '',
    side: pick(ZOrderSide, sp.side) ?? '',
    from: pick(ZDay, sp.from) ?? '',
    to: pick(ZDay, sp.to) ?? '',
  };
  return <Orders role={actor?.role ?? 'viewer'} initial={initial} />;
}
