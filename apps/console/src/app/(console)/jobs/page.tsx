import { actorFromHeaders, getConsoleServer } from '@ai-trader/api';
import { headers } from 'next/headers';
import { Jobs } from '@/components/jobs/jobs';

export const dynamic = 'force-dynamic';

export default async function JobsPage() {
  const actor = await actorFromHeaders(getConsoleServer().auth, await headers());
  return <Jobs role={actor?.role ?? 'viewer'} />;
}
