// /data: freshness per symbol and timeframe, quarantined bars, gaps in stored bars and the latest backfills.
// The role is read on the server so the page hides the backfill actions the API would refuse anyway.
import { actorFromHeaders, getConsoleServer } from '@ai-trader/api';
import { headers } from 'next/headers';
import { Data } from '@/components/data/data';

export const dynamic = 'force-dynamic';

export default async function DataPage() {
  const actor = await actorFromHeaders(getConsoleServer().auth, await headers());
  return <Data role={actor?.role ?? 'viewer'} />;
}
