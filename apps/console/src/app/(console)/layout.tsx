// Every console page needs a signed-in user; the server checks before anything renders. The page gets the
// session's CSRF token here, and signs itself out after AUTH_SESSION_IDLE_MINUTES without keyboard or pointer use.
import { getConsoleServer, sessionFromHeaders } from '@ai-trader/api';
import { headers } from 'next/headers';
import { redirect } from 'next/navigation';
import type { ReactNode } from 'react';
import { EmergencyPanel } from '@/components/emergency-panel';
import { Nav } from '@/components/nav';

export const dynamic = 'force-dynamic';

export default async function ConsoleLayout({ children }: { children: ReactNode }) {
  const signedIn = await sessionFromHeaders(getConsoleServer().auth, await headers());
  if (!signedIn) redirect('/login');
  const { actor } = signedIn;
  return (
    <>
      {/* Read by the tRPC client for the x-csrf-token header of every mutation (React hoists it into <head>). */}
      <meta name="csrf-token" content={signedIn.csrfToken} />
      <Nav email={actor.email} role={actor.role} idleMinutes={getConsoleServer().config.AUTH_SESSION_IDLE_MINUTES} />
      <EmergencyPanel role={actor.role} />
      <main className="page">{children}</main>
    </>
  );
}
