// Every console page needs a signed-in user; the server checks before anything renders.
import { actorFromHeaders, getConsoleServer } from '@ai-trader/api';
import { headers } from 'next/headers';
import { redirect } from 'next/navigation';
import type { ReactNode } from 'react';
import { EmergencyPanel } from '@/components/emergency-panel';
import { Nav } from '@/components/nav';

export const dynamic = 'force-dynamic';

export default async function ConsoleLayout({ children }: { children: ReactNode }) {
  const actor = await actorFromHeaders(getConsoleServer().auth, await headers());
  if (!actor) redirect('/login');
  return (
    <>
      <Nav email={actor.email} role={actor.role} />
      <EmergencyPanel role={actor.role} />
      <main className="page">{children}</main>
    </>
  );
}
