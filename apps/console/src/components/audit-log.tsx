'use client';
// Who did what, when, with the state before and after: filters (actor, action, New York dates), older rows on
// demand, CSV export of the filtered rows, and the hash chain's status (admins can verify now). New rows and new
// verifications arrive by push.
import type { TAuditChainStatus, TAuditFilter, TRole } from '@ai-trader/contracts';
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useSubscription } from '@trpc/tanstack-react-query';
import { useState, type FormEvent } from 'react';
import { time } from '@/lib/format';
import { useTRPC } from '@/lib/trpc';

const PAGE = 100;
const ACTION_PREFIXES = ['trading.', 'orders.', 'order.', 'position.', 'strategy.', 'model.', 'jobs.', 'auth.', 'user.', 'reconcile.'];
const summary = (v: unknown) => (v == null ? '—' : JSON.stringify(v));

/** What the server said was wrong: each invalid field when the input failed validation, else the message. */
function problems(e: { message: string; data?: { validation?: string[] | null } | null } | null): string[] {
  if (!e) return [];
  return e.data?.validation?.length ? e.data.validation : [e.message];
}

export function AuditLog({ role }: { role: TRole }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [filter, setFilter] = useState<TAuditFilter>({});
  const list = useInfiniteQuery(trpc.audit.page.infiniteQueryOptions({ filter, limit: PAGE }, { getNextPageParam: (p) => p.nextCursor }));
  useSubscription(trpc.audit.changes.subscriptionOptions(undefined, {
    onData: () => {
      void qc.invalidateQueries({ queryKey: trpc.audit.page.infiniteQueryKey() });
      void qc.invalidateQueries({ queryKey: trpc.audit.status.queryKey() });
    },
  }));
  const rows = list.data?.pages.flatMap((p) => p.rows);
  const filtered = Object.values(filter).some(Boolean);
  return (
    <section aria-label="Audit log" className="audit">
      <div className="audit-head">
        <h1>Audit log</h1>
        <ChainStatus canVerify={role === 'admin'} />
      </div>
      <Filters onApply={setFilter} filter={filter} />
      {problems(list.error).map((m) => <p key={m} role="alert" className="error">Cannot load the audit log: {m}</p>)}
      <table data-testid="audit" aria-busy={list.isPending} aria-label="Audit rows, newest first">
        <thead>
          <tr><th className="num">Seq</th><th>When (New York)</th><th>Who</th><th>Action</th><th>Reason</th><th>Before</th><th>After</th></tr>
        </thead>
        <tbody>
          {list.isPending && [0, 1, 2].map((i) => <tr key={i} className="skeleton"><td colSpan={7}>Loading…</td></tr>)}
          {rows?.length === 0 && (
            <tr><td colSpan={7} className="empty">{filtered ? 'No audit rows match these filters: widen the dates or clear the filters' : 'Nothing has been done yet'}</td></tr>
          )}
          {rows?.map((a) => (
            <tr key={a.seq} data-action={a.action} data-seq={a.seq}>
              <td className="num"><span title={`hash ${a.hash}`}>{a.seq}</span></td>
              <td className="nowrap">{time(a.at)}</td><td>{a.actorEmail}</td><td><code>{a.action}</code></td><td>{a.reason ?? '—'}</td>
              <td><code className="json">{summary(a.before)}</code></td><td><code className="json">{summary(a.after)}</code></td>
            </tr>
          ))}
        </tbody>
      </table>
      {list.hasNextPage && (
        <button type="button" onClick={() => void list.fetchNextPage()} disabled={list.isFetchingNextPage}>
          {list.isFetchingNextPage ? 'Loading older rows…' : 'Load older rows'}
        </button>
      )}
    </section>
  );
}

function Filters({ filter, onApply }: { filter: TAuditFilter; onApply: (f: TAuditFilter) => void }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [actor, setActor] = useState(filter.actor ?? '');
  const [action, setAction] = useState(filter.actionPrefix ?? '');
  const [from, setFrom] = useState(filter.from ?? '');
  const [to, setTo] = useState(filter.to ?? '');
  const [exporting, setExporting] = useState(false);
  const [exported, setExported] = useState<{ rows: number; truncated: boolean } | null>(null);
  const [exportError, setExportError] = useState<string[]>([]);
  const current = (): TAuditFilter => ({ actor: actor.trim() || undefined, actionPrefix: action.trim() || undefined, from: from || undefined, to: to || undefined });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setExported(null);
    onApply(current());
  };
  const clear = () => {
    setActor(''); setAction(''); setFrom(''); setTo(''); setExported(null);
    onApply({});
  };
  const exportCsv = async () => {
    setExporting(true);
    setExportError([]);
    try {
      const f = current();
      const r = await qc.fetchQuery({ ...trpc.audit.exportCsv.queryOptions({ filter: f }), staleTime: 0 });
      const url = URL.createObjectURL(new Blob([r.csv], { type: 'text/csv;charset=utf-8' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = `audit${f.from ? `-${f.from}` : ''}${f.to ? `-to-${f.to}` : ''}.csv`;
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      setExported({ rows: r.rows, truncated: r.truncated });
    } catch (e) {
      setExportError(problems(e as Parameters<typeof problems>[0]));
    } finally {
      setExporting(false);
    }
  };

  return (
    <form className="audit-filters" aria-label="Filter the audit log" onSubmit={submit} noValidate>
      <label>
        Actor (email starts with)
        <input name="actor" value={actor} onChange={(e) => setActor(e.target.value)} placeholder="ops@" autoComplete="off" />
      </label>
      <label>
        Action starts with
        <input name="action" value={action} onChange={(e) => setAction(e.target.value)} placeholder="trading." list="audit-actions" autoComplete="off" />
        <datalist id="audit-actions">{ACTION_PREFIXES.map((p) => <option key={p} value={p} />)}</datalist>
      </label>
      <label>
        From (New York date)
        <input name="from" type="date" value={from} onChange={(e) => setFrom(e.target.value)} />
      </label>
      <label>
        To (New York date)
        <input name="to" type="date" value={to} onChange={(e) => setTo(e.target.value)} />
      </label>
      <div className="audit-actions">
        <button type="submit" className="primary">Apply filters</button>
        <button type="button" onClick={clear}>Clear</button>
        <button type="button" onClick={() => void exportCsv()} disabled={exporting}>{exporting ? 'Exporting…' : 'Export CSV'}</button>
      </div>
      <div className="form-feedback">
        {exportError.length > 0 && <p role="alert" className="error">Export failed: {exportError.join('; ')}</p>}
        {exported && (
          <p role="status" className="result" data-testid="export-result">
            Exported {exported.rows.toLocaleString('en-US')} row{exported.rows === 1 ? '' : 's'}
            {exported.truncated ? ' (the newest 10,000 only: narrow the dates to export the rest)' : ''}.
          </p>
        )}
      </div>
    </form>
  );
}

/** The chain's last verification as a badge; admins can run one now (it walks every row). */
function ChainStatus({ canVerify }: { canVerify: boolean }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const status = useQuery(trpc.audit.status.queryOptions());
  const verify = useMutation(trpc.audit.verify.mutationOptions({ onSuccess: () => void qc.invalidateQueries({ queryKey: trpc.audit.status.queryKey() }) }));
  return (
    <div className="chain" aria-live="polite">
      {status.isPending ? <span className="chain-badge" aria-busy="true">Checking the chain status…</span> : status.error ? (
        <span role="alert" className="error">Chain status unavailable: {status.error.message}</span>
      ) : <Badge s={status.data!} />}
      {canVerify && (
        <button type="button" onClick={() => verify.mutate()} disabled={verify.isPending} title="Recompute every hash of the audit chain now">
          {verify.isPending ? 'Verifying…' : 'Verify chain now'}
        </button>
      )}
      {problems(verify.error).map((m) => <span key={m} role="alert" className="error">Verification failed: {m}</span>)}
    </div>
  );
}

function Badge({ s }: { s: TAuditChainStatus }) {
  const v = s.last;
  if (!v)
    return (
      <span className="chain-badge chain-unknown" data-testid="chain-status" data-state="unknown">
        Chain not verified yet{s.headSeq ? ` (${s.headSeq} rows)` : ''}: an admin can verify it here, or run <code>ai-trader audit verify</code>
      </span>
    );
  const when = `verified ${time(v.verifiedAt)} by ${v.verifiedBy}`;
  const since = s.rowsSinceVerified ? `; ${s.rowsSinceVerified} row${s.rowsSinceVerified === 1 ? '' : 's'} written since` : '';
  if (v.intact)
    return (
      <span className="chain-badge chain-intact" data-testid="chain-status" data-state="intact" title={v.head ? `head seq ${v.head.seq} hash ${v.head.hash}` : undefined}>
        ✓ Chain intact: {v.rows.toLocaleString('en-US')} rows{v.head ? ` up to seq ${v.head.seq}` : ''}, {when} (took {v.durationMs < 1000 ? `${v.durationMs} ms` : `${(v.durationMs / 1000).toFixed(1)} s`}){since}
      </span>
    );
  const b = v.firstBreak!;
  return (
    <span className="chain-badge chain-broken" data-testid="chain-status" data-state="broken" data-seq={b.seq}>
      ✗ Chain broken at seq {b.seq} ({b.kind.replace('_', ' ')}{v.breakCount > 1 ? `, ${v.breakCount} breaks in all` : ''}): {b.detail} — {when}{since}
    </span>
  );
}
