// /admin: users and roles, API keys (masked), approvals and settings — admins only (the server refuses the
// procedures to anyone else; this page says so instead of showing empty tables).
import { actorFromHeaders, getConsoleServer } from '@ai-trader/api';
import { headers } from 'next/headers';
import { ApprovalsPanel } from '@/components/admin/approvals-panel';
import { KeysPanel } from '@/components/admin/keys-panel';
import { SettingsPanel } from '@/components/admin/settings-panel';
import { UsersPanel } from '@/components/admin/users-panel';

export const dynamic = 'force-dynamic';

export default async function AdminPage() {
  const actor = await actorFromHeaders(getConsoleServer().auth, await headers());
  if (actor?.role !== 'admin')
    return (
      <section aria-label="Admin">
        <h1>Admin</h1>
        <p className="empty-note">This page is for admins (you are {actor?.role ?? 'signed out'}). Ask an admin to change your role.</p>
      </section>
    );
  return (
    <section aria-label="Admin" className="admin">
      <h1>Admin</h1>
      <UsersPanel me={actor.email} />
      <KeysPanel />
      <ApprovalsPanel me={actor.email} />
      <SettingsPanel />
    </section>
  );
}
