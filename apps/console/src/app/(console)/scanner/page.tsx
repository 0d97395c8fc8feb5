// /scanner: layer0/layer1 runs with their results and alerts; traders may run a scan now.
// The role is read on the server so the page hides the button the API would refuse anyway.
import { actorFromHeaders, getConsoleServer } from '@ai-trader/api';
import { headers } from 'next/headers';
import { Scanner } from '@/components/scanner/scanner';

export const dynamic = 'force-dynamic';

export default async function ScannerPage() {
  const actor = await actorFromHeaders(getConsoleServer().auth, await headers());
  return <Scanner role={actor?.role ?? 'viewer'} />;
}
