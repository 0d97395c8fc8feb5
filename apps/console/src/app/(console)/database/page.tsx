import { actorFromHeaders, getConsoleServer } from '@ai-trader/api';
import { headers } from 'next/headers';
import { Database } from '@/components/database';

export const dynamic = 'force-dynamic';

export default async function DatabasePage() {
  const actor = await actorFromHeaders(getConsoleServer().auth, await headers());
  return <Database role={actor?.role ?? 'viewer'} />;
}
