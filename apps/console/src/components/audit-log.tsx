'use client';
// Who did what, when, with the state before and after. New rows arrive by push.
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useSubscription } from '@trpc/tanstack-react-query';
import { time } from '@/lib/format';
import { useTRPC } from '@/lib/trpc';

const summary = (v: unknown) => (v == null ? '—' : JSON.stringify(v));

export function AuditLog() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const list = useQuery(trpc.audit.list.queryOptions({ limit: 100 }));
  useSubscription(trpc.audit.changes.subscriptionOptions(undefined, { onData: () => void qc.invalidateQueries({ queryKey: trpc.audit.list.queryKey() }) }));
  return (
    <section aria-label="Audit log">
      <h1>Audit log</h1>
      {list.error && <p role="alert" className="error">{list.error.message}</p>}
      <table data-testid="audit">
        <thead><tr><th>When (New York)</th><th>Who</th><th>Action</th><th>Reason</th><th>Before</th><th>After</th></tr></thead>
        <tbody>
          {list.data?.length === 0 && <tr><td colSpan={6} className="empty">Nothing has been done yet</td></tr>}
          {list.data?.map((a) => (
            <tr key={a.id} data-action={a.action}>
              <td>{time(a.at)}</td><td>{a.actorEmail}</td><td><code>{a.action}</code></td><td>{a.reason ?? '—'}</td>
              <td><code className="json">{summary(a.before)}</code></td><td><code className="json">{summary(a.after)}</code></td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
