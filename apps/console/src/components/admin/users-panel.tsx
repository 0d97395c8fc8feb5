'use client';
// Users and roles: who can sign in, with which role, locked or disabled, open sessions and last sign-in; add a
// user, change a role, disable/enable, unlock, set a new password. Every change asks for the admin's password.
import type { TRole } from '@ai-trader/contracts';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { time } from '@/lib/format';
import { useTRPC } from '@/lib/trpc';
import { ConfirmWithPassword, type PasswordConfirm } from './confirm-with-password';

const ROLES: TRole[] = ['viewer', 'trader', 'admin'];
const iso = (d: Date | null) => (d ? time(d.toISOString()) : '—');

/** A password to hand over once: 18 random bytes, base64url (24 characters). */
function generated(): string {
  const b = crypto.getRandomValues(new Uint8Array(18));
  return btoa(String.fromCharCode(...b)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function UsersPanel({ me }: { me: string }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const users = useQuery(trpc.users.list.queryOptions());
  const [confirm, setConfirm] = useState<PasswordConfirm | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const refresh = () => void qc.invalidateQueries({ queryKey: trpc.users.list.queryKey() });
  const add = useMutation(trpc.users.add.mutationOptions());
  const setRole = useMutation(trpc.users.setRole.mutationOptions());
  const disable = useMutation(trpc.users.disable.mutationOptions());
  const enable = useMutation(trpc.users.enable.mutationOptions());
  const unlock = useMutation(trpc.users.unlock.mutationOptions());
  const [form, setForm] = useState({ email: '', name: '', role: 'viewer' as TRole, password: '' });

  const onAdd = (e: FormEvent) => {
    e.preventDefault();
    const u = { ...form };
    setConfirm({
      title: 'Add user',
      explain: <p>Add <strong>{u.email}</strong> as <strong>{u.role}</strong>. Hand the password over privately.</p>,
      confirmLabel: 'Add user',
      run: async ({ password }) => {
        await add.mutateAsync({ ...u, adminPassword: password });
        setDone(`Added ${u.email.toLowerCase()} as ${u.role}.`);
        setForm({ email: '', name: '', role: 'viewer', password: '' });
      },
    });
  };

  return (
    <section aria-labelledby="users-h">
      <h2 id="users-h">Users and roles</h2>
      {done && <p role="status" className="result">{done}</p>}
      {users.error && <p role="alert" className="error">Cannot load users: {users.error.message}</p>}
      <table aria-label="Users" aria-busy={users.isPending}>
        <thead>
          <tr><th>Email</th><th>Name</th><th>Role</th><th>Status</th><th className="num">Sessions</th><th>Last sign-in (New York)</th><th>Actions</th></tr>
        </thead>
        <tbody>
          {users.isPending && <tr className="skeleton"><td colSpan={7}>Loading…</td></tr>}
          {users.data?.map((u) => {
            const self = u.email === me;
            const status = u.disabledAt ? `disabled ${iso(u.disabledAt)}` : u.lockedUntil ? `locked until ${iso(u.lockedUntil)}` : 'active';
            return (
              <tr key={u.id} data-email={u.email}>
                <td>{u.email}{self && <span className="muted"> (you)</span>}</td>
                <td>{u.name}</td>
                <td>
                  <label className="visually-hidden" htmlFor={`role-${u.id}`}>Role of {u.email}</label>
                  <select
                    id={`role-${u.id}`}
                    value={u.role}
                    disabled={self}
                    onChange={(e) => {
                      const role = e.target.value as TRole;
                      setConfirm({
                        title: 'Change role',
                        explain: <p>{u.email}: <strong>{u.role}</strong> → <strong>{role}</strong>.</p>,
                        reason: true,
                        confirmLabel: 'Change role',
                        run: async ({ reason, password }) => {
                          await setRole.mutateAsync({ email: u.email, role, reason, password });
                          setDone(`${u.email} is now ${role}.`);
                        },
                      });
                    }}
                  >
                    {ROLES.map((r) => <option key={r} value={r}>{r}</option>)}
                  </select>
                </td>
                <td className={u.disabledAt || u.lockedUntil ? 'neg' : ''}>{status}</td>
                <td className="num">{u.activeSessions}</td>
                <td className="nowrap">{iso(u.lastSignInAt)}</td>
                <td className="nowrap">
                  {u.lockedUntil && (
                    <button className="small" onClick={() => setConfirm({
                      title: 'Unlock account', explain: <p>Lift the lockout of {u.email} now.</p>, reason: true, confirmLabel: 'Unlock',
                      run: async ({ reason, password }) => { await unlock.mutateAsync({ email: u.email, reason, password }); setDone(`${u.email} unlocked.`); },
                    })}>Unlock</button>
                  )}
                  {!self && !u.disabledAt && (
                    <button className="small danger-outline" onClick={() => setConfirm({
                      title: 'Disable account', explain: <p>{u.email} can no longer sign in; their {u.activeSessions} open session(s) end now.</p>, reason: true, danger: true, confirmLabel: 'Disable',
                      run: async ({ reason, password }) => { await disable.mutateAsync({ email: u.email, reason, password }); setDone(`${u.email} disabled.`); },
                    })}>Disable</button>
                  )}
                  {u.disabledAt && (
                    <button className="small" onClick={() => setConfirm({
                      title: 'Enable account', explain: <p>{u.email} may sign in again.</p>, reason: true, confirmLabel: 'Enable',
                      run: async ({ reason, password }) => { await enable.mutateAsync({ email: u.email, reason, password }); setDone(`${u.email} enabled.`); },
                    })}>Enable</button>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>

      <form className="inline-form scan-form" aria-label="Add a user" onSubmit={onAdd}>
        <label>Email<input type="email" name="new-email" autoComplete="off" required value={form.email} onChange={(e) => setForm({ ...form, email: e.target.value })} /></label>
        <label>Name<input name="new-name" autoComplete="off" required value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} /></label>
        <label>Role
          <select name="new-role" value={form.role} onChange={(e) => setForm({ ...form, role: e.target.value as TRole })}>
            {ROLES.map((r) => <option key={r} value={r}>{r}</option>)}
          </select>
        </label>
        <label>Initial password (≥ 12 characters)
          <input type="text" name="new-password" autoComplete="new-password" spellCheck={false} minLength={12} required value={form.password} onChange={(e) => setForm({ ...form, password: e.target.value })} />
        </label>
        <button type="button" onClick={() => setForm({ ...form, password: generated() })}>Generate</button>
        <button type="submit">Add user…</button>
      </form>
      <ConfirmWithPassword confirm={confirm} onClose={(ok) => { setConfirm(null); if (ok) refresh(); }} />
    </section>
  );
}
