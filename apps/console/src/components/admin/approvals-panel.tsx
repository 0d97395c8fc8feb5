'use client';
// Requests waiting for a second admin (two-person approval), and the recent history. The requester cannot approve
// their own request; approving runs the action at once and shows its result.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useSubscription } from '@trpc/tanstack-react-query';
import { useState } from 'react';
import { time } from '@/lib/format';
import { useTRPC } from '@/lib/trpc';
import { ConfirmWithPassword, type PasswordConfirm } from './confirm-with-password';

const LABEL: Record<string, string> = { 'trading.resume': 'Resume trading', 'keys.rotate': 'Rotate API keys' };

export function ApprovalsPanel({ me }: { me: string }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const list = useQuery(trpc.approvals.list.queryOptions());
  useSubscription(trpc.audit.changes.subscriptionOptions(undefined, { onData: () => void qc.invalidateQueries({ queryKey: trpc.approvals.list.queryKey() }) }));
  const decide = useMutation(trpc.approvals.decide.mutationOptions());
  const [confirm, setConfirm] = useState<PasswordConfirm | null>(null);
  const [outcome, setOutcome] = useState<string | null>(null);
  const rows = list.data ?? [];
  const ask = (id: string, label: string, approve: boolean) =>
    setConfirm({
      title: approve ? 'Approve request' : 'Reject request',
      explain: <p>{approve ? 'Approving runs it now:' : 'Rejecting drops it:'} <strong>{label}</strong>.</p>,
      confirmLabel: approve ? 'Approve and run' : 'Reject',
      danger: !approve,
      run: async ({ password }) => {
        const r = await decide.mutateAsync({ id, approve, password });
        setOutcome(r.status === 'failed' ? `${label} approved but failed: ${r.error}` : r.status === 'executed' ? `${label}: approved and done.` : `${label}: rejected.`);
      },
    });
  return (
    <section aria-labelledby="approvals-h">
      <h2 id="approvals-h">Approvals</h2>
      {outcome && <p role="status" className="result">{outcome}</p>}
      {list.error && <p role="alert" className="error">Cannot load approvals: {list.error.message}</p>}
      <table aria-label="Approval requests" aria-busy={list.isPending}>
        <thead><tr><th>Requested (New York)</th><th>By</th><th>Action</th><th>Reason</th><th>Status</th><th>Decided by</th><th /></tr></thead>
        <tbody>
          {!list.isPending && rows.length === 0 && <tr><td colSpan={7} className="empty">No requests. With two-person approval on, resume and key rotation requests wait here.</td></tr>}
          {rows.map((a) => {
            const label = LABEL[a.action] ?? a.action;
            return (
              <tr key={a.id} data-status={a.status}>
                <td className="nowrap">{time(a.requestedAt.toISOString())}</td><td>{a.requestedByEmail}</td><td>{label}</td><td>{a.reason}</td>
                <td><span className={`status status-${a.status}`}>{a.status}</span>{a.status === 'pending' && <span className="muted"> until {time(a.expiresAt.toISOString())}</span>}</td>
                <td>{a.decidedByEmail ?? '—'}</td>
                <td className="nowrap">
                  {a.status === 'pending' && a.requestedByEmail !== me && (
                    <>
                      <button className="small" onClick={() => ask(a.id, label, true)}>Approve…</button>{' '}
                      <button className="small danger-outline" onClick={() => ask(a.id, label, false)}>Reject…</button>
                    </>
                  )}
                  {a.status === 'pending' && a.requestedByEmail === me && <span className="muted">waiting for another admin</span>}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <ConfirmWithPassword confirm={confirm} onClose={(ok) => { setConfirm(null); if (ok) void qc.invalidateQueries({ queryKey: trpc.approvals.list.queryKey() }); }} />
    </section>
  );
}
