'use client';
// Provider API keys (stored encrypted, shown masked): add a key, test it against the provider, rotate to it, roll
// back to the previous one, disable one not in use. Every action asks for the admin's password and says what the
// provider answered; the secrets typed here go to the server once and are never shown again.
import type { TApiKeyRow, TApiProvider } from '@ai-trader/contracts';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useSubscription } from '@trpc/tanstack-react-query';
import { useState, type FormEvent } from 'react';
import { age, time } from '@/lib/format';
import { useTRPC } from '@/lib/trpc';
import { ConfirmWithPassword, type PasswordConfirm } from './confirm-with-password';

const NAME: Record<TApiProvider, string> = { alpaca: 'Alpaca', polygon: 'Polygon' };
const STATUS_CLASS: Record<TApiKeyRow['status'], string> = { active: 'status-filled', pending: 'status-queued', failed: 'status-failed', disabled: 'muted' };
const EMPTY = { provider: 'alpaca' as TApiProvider, label: '', keyId: '', secretKey: '', apiKey: '' };

function lastTest(k: TApiKeyRow) {
  if (k.testOk === null || !k.testedAt) return <span className="muted">not tested</span>;
  return (
    <>
      <span className={k.testOk ? 'pos' : 'neg'}>{k.testOk ? 'passed' : 'failed'}</span>{' '}
      <span className="muted">{age((Date.now() - Date.parse(k.testedAt)) / 1000)} ago</span>
      {k.testResult && <span className="sub-num muted">{k.testResult}</span>}
    </>
  );
}

export function KeysPanel() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const keys = useQuery(trpc.keys.list.queryOptions());
  const refresh = () => void qc.invalidateQueries({ queryKey: trpc.keys.list.queryKey() });
  // Key changes write audit rows: another admin's rotation shows up here too.
  useSubscription(trpc.audit.changes.subscriptionOptions(undefined, { onData: refresh }));
  const add = useMutation(trpc.keys.add.mutationOptions());
  const test = useMutation(trpc.keys.test.mutationOptions());
  const rotate = useMutation(trpc.keys.rotate.mutationOptions());
  const rollback = useMutation(trpc.keys.rollback.mutationOptions());
  const disable = useMutation(trpc.keys.disable.mutationOptions());
  const [confirm, setConfirm] = useState<PasswordConfirm | null>(null);
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string } | null>(null);
  const [form, setForm] = useState(EMPTY);
  const rows = keys.data ?? [];
  const canRollBack = (p: TApiProvider) => rows.some((k) => k.provider === p && k.status === 'disabled' && k.activatedAt);

  const onAdd = (e: FormEvent) => {
    e.preventDefault();
    const f = { ...form };
    const key = f.provider === 'alpaca'
      ? { provider: 'alpaca' as const, label: f.label || undefined, keyId: f.keyId, secretKey: f.secretKey }
      : { provider: 'polygon' as const, label: f.label || undefined, apiKey: f.apiKey };
    setConfirm({
      title: `Add ${NAME[f.provider]} key`,
      explain: <p>The key is stored encrypted as <strong>pending</strong>: nothing uses it until you test it and rotate to it.</p>,
      confirmLabel: 'Add key',
      run: async ({ password }) => {
        const row = await add.mutateAsync({ key, password });
        setForm({ ...EMPTY, provider: f.provider });
        setOutcome({ ok: true, text: `Added ${NAME[row.provider]} key ${row.masked} (pending). Test it, then rotate to it.` });
      },
    });
  };
  const askTest = (k: TApiKeyRow) => setConfirm({
    title: 'Test key',
    explain: <p>Ask {NAME[k.provider]} whether it takes <code>{k.masked}</code> ({k.provider === 'alpaca' ? 'account and clock' : 'market status'}).</p>,
    confirmLabel: 'Test',
    run: async ({ password }) => {
      const r = await test.mutateAsync({ id: k.id, password });
      setOutcome({ ok: r.test.ok, text: `${k.masked}: ${r.test.ok ? 'test passed' : 'test FAILED'} — ${r.test.detail}` });
    },
  });
  const askRotate = (k: TApiKeyRow) => setConfirm({
    title: `Rotate ${NAME[k.provider]} key`,
    explain: <p>Make <code>{k.masked}</code> the active {NAME[k.provider]} key. It is tested first (again if its last pass is older than 5 minutes); if the test fails nothing changes. The current key is kept disabled for rollback.</p>,
    reason: true,
    danger: true,
    confirmLabel: 'Rotate',
    run: async ({ reason, password }) => {
      const r = await rotate.mutateAsync({ provider: k.provider, id: k.id, reason, password });
      setOutcome({ ok: r.outcome !== 'refused', text: r.message });
    },
  });
  const askRollback = (p: TApiProvider) => setConfirm({
    title: `Roll back ${NAME[p]} key`,
    explain: <p>Re-activate the most recently disabled {NAME[p]} key, after testing it; the current key is disabled.</p>,
    reason: true,
    danger: true,
    confirmLabel: 'Roll back',
    run: async ({ reason, password }) => {
      const r = await rollback.mutateAsync({ provider: p, reason, password });
      setOutcome({ ok: r.outcome === 'swapped', text: r.message });
    },
  });
  const askDisable = (k: TApiKeyRow) => setConfirm({
    title: 'Disable key',
    explain: <p>Disable <code>{k.masked}</code> ({k.status}). It can no longer be rotated to.</p>,
    reason: true,
    danger: true,
    confirmLabel: 'Disable',
    run: async ({ reason, password }) => {
      const r = await disable.mutateAsync({ id: k.id, reason, password });
      setOutcome({ ok: true, text: `${r.masked} disabled.` });
    },
  });

  return (
    <section aria-labelledby="keys-h">
      <h2 id="keys-h">API keys</h2>
      {outcome && <p role="status" className={outcome.ok ? 'result' : 'error'} data-testid="keys-outcome">{outcome.text}</p>}
      {keys.error && <p role="alert" className="error">Cannot load API keys: {keys.error.message}</p>}
      <table aria-label="API keys" aria-busy={keys.isPending}>
        <thead>
          <tr><th>Provider</th><th>Label</th><th>Key</th><th>Status</th><th>Added (New York)</th><th>Last test</th><th>Actions</th></tr>
        </thead>
        <tbody>
          {keys.isPending && <tr className="skeleton"><td colSpan={7}>Loading…</td></tr>}
          {!keys.isPending && rows.length === 0 && (
            <tr><td colSpan={7} className="empty">No stored keys: the environment&apos;s keys (if any) are in use. Add one below.</td></tr>
          )}
          {rows.map((k) => (
            <tr key={k.id} data-key={k.masked}>
              <td>{NAME[k.provider]}</td>
              <td>{k.label ?? <span className="muted">—</span>}</td>
              <td><code>{k.masked}</code></td>
              <td>
                <span className={`status ${STATUS_CLASS[k.status]}`}>{k.status}</span>
                {k.activatedAt && k.status === 'active' && <span className="sub-num muted">since {time(k.activatedAt)}</span>}
              </td>
              <td className="nowrap">{time(k.createdAt)}<span className="sub-num muted">by {k.createdByEmail}</span></td>
              <td>{lastTest(k)}</td>
              <td className="nowrap">
                {k.status !== 'disabled' && <button className="small" onClick={() => askTest(k)} aria-label={`Test ${k.masked}`}>Test…</button>}{' '}
                {(k.status === 'pending' || k.status === 'failed') && <button className="small" onClick={() => askRotate(k)} aria-label={`Rotate to ${k.masked}`}>Rotate to…</button>}{' '}
                {(k.status === 'pending' || k.status === 'failed') && <button className="small danger-outline" onClick={() => askDisable(k)} aria-label={`Disable ${k.masked}`}>Disable…</button>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="controls">
        {(['alpaca', 'polygon'] as const).filter(canRollBack).map((p) => (
          <button key={p} className="warn" onClick={() => askRollback(p)}>Roll back {NAME[p]} key…</button>
        ))}
      </div>

      <form className="inline-form scan-form" aria-label="Add an API key" onSubmit={onAdd} autoComplete="off">
        <label>Provider
          <select name="key-provider" value={form.provider} onChange={(e) => setForm({ ...EMPTY, label: form.label, provider: e.target.value as TApiProvider })}>
            <option value="alpaca">Alpaca</option>
            <option value="polygon">Polygon</option>
          </select>
        </label>
        <label>Label (optional)<input name="key-label" autoComplete="off" maxLength={80} value={form.label} onChange={(e) => setForm({ ...form, label: e.target.value })} /></label>
        {form.provider === 'alpaca' ? (
          <>
            <label>Key id
              <input type="password" name="alpaca-key-id" autoComplete="off" spellCheck={false} minLength={8} required value={form.keyId} onChange={(e) => setForm({ ...form, keyId: e.target.value })} />
            </label>
            <label>Secret key
              <input type="password" name="alpaca-secret-key" autoComplete="off" spellCheck={false} minLength={8} required value={form.secretKey} onChange={(e) => setForm({ ...form, secretKey: e.target.value })} />
            </label>
          </>
        ) : (
          <label>API key
            <input type="password" name="polygon-api-key" autoComplete="off" spellCheck={false} minLength={8} required value={form.apiKey} onChange={(e) => setForm({ ...form, apiKey: e.target.value })} />
          </label>
        )}
        <button type="submit">Add key…</button>
      </form>
      <ConfirmWithPassword confirm={confirm} onClose={(ok) => { setConfirm(null); if (ok) refresh(); }} />
    </section>
  );
}
