import { actorFromHeaders, getConsoleServer } from '@ai-trader/api';
import { headers } from 'next/headers';
import { Readiness } from '@/components/readiness/readiness';

export const dynamic = 'force-dynamic';

export default async function ReadinessPage() {
  const actor = await actorFromHeaders(getConsoleServer().auth, await headers());
  return <Readiness role={actor?.role ?? 'viewer'} />;
}
