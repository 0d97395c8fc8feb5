import { actorFromHeaders, getConsoleServer } from '@ai-trader/api';
import { headers } from 'next/headers';
import { Overview } from '@/components/overview';

export const dynamic = 'force-dynamic';

export default async function OverviewPage() {
  const actor = await actorFromHeaders(getConsoleServer().auth, await headers());
  return <Overview role={actor?.role ?? 'viewer'} />;
}
