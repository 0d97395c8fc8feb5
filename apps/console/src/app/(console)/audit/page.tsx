// /audit: the audit log with filters, CSV export and the hash chain's status. The role is read on the server (as on
// the other pages) so the page offers "Verify chain now" only to admins, who alone may run it.
import { actorFromHeaders, getConsoleServer } from '@ai-trader/api';
import { headers } from 'next/headers';
import { AuditLog } from '@/components/audit-log';

export const dynamic = 'force-dynamic';

export default async function AuditPage() {
  const actor = await actorFromHeaders(getConsoleServer().auth, await headers());
  return <AuditLog role={actor?.role ?? 'viewer'} />;
}
