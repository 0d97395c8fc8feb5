// /backfills: history loading runs and their live progress. The role is read on the server (as on the
// overview) so the page hides the actions that the API would refuse anyway.
import { actorFromHeaders, getConsoleServer } from '@ai-trader/api';
import { headers } from 'next/headers';
import { Backfills } from '@/components/backfills';

export const dynamic = 'force-dynamic';

export default async function BackfillsPage() {
  const actor = await actorFromHeaders(getConsoleServer().auth, await headers());
  return <Backfills role={actor?.role ?? 'viewer'} />;
}
