'use client';
// Readiness: the go-live checklist as checks the system runs — status (word, symbol and colour), age, evidence and
// what to do per check, grouped as the checklist is; "Run now" and the live switch for admins.
import type { TReadinessGroup, TReadinessItem, TRole } from '@ai-trader/contracts';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { time } from '@/lib/format';
import { useTRPC } from '@/lib/trpc';
import { CheckRow } from './check-row';
import { LiveSwitch } from './live-switch';

const GROUPS: Array<[TReadinessGroup, string]> = [
  ['code', '1. Code'], ['apis', '2. APIs'], ['paper', '3. Paper record'], ['integration', '4. Integration'], ['database', '5. Database and infrastructure'], ['risk', '6. Risk'],
];

export function Readiness({ role }: { role: TRole }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const report = useQuery({ ...trpc.readiness.report.queryOptions(), refetchInterval: 30_000 });
  const [message, setMessage] = useState<string | null>(null);
  const [running, setRunning] = useState<string | null>(null);
  const refresh = () => qc.invalidateQueries({ queryKey: trpc.readiness.report.queryKey() });
  const run = useMutation(trpc.readiness.run.mutationOptions({
    onSuccess: (r) => {
      qc.setQueryData(trpc.readiness.report.queryKey(), r.report);
      const ran = r.results.map((x) => `${x.id} ${x.status}`).join(', ');
      setMessage([ran && `ran: ${ran}`, r.queued.length && `queued for the scheduler: ${r.queued.join(', ')}`].filter(Boolean).join('; '));
    },
    onSettled: () => setRunning(null),
  }));
  const start = (key: string, checks?: TReadinessItem['id'][]) => {
    setRunning(key);
    setMessage(null);
    run.mutate(checks ? { checks } : {});
  };
  const r = report.data;
  const isAdmin = role === 'admin';

  return (
    <>
      <h1>Readiness</h1>
      {report.isPending && <p aria-busy="true">Reading the checks…</p>}
      {report.error && <p role="alert" className="error">Cannot read readiness: {report.error.message}</p>}
      {r && (
        <>
          <p role="status" data-testid="readiness-verdict">
            <strong className={r.ready ? 'pos' : 'neg'}>{r.ready ? '✓ Ready to go live' : '✗ Not ready to go live'}</strong>{' '}
            — {r.counts.pass} pass, {r.counts.fail} fail, {r.counts.stale} stale, {r.counts['not-run']} not run (as of {time(r.at)})
          </p>
          {isAdmin && (
            <p>
              <button type="button" disabled={run.isPending} onClick={() => start('all')}>{running === 'all' ? 'Running…' : 'Run all checks now'}</button>{' '}
              <span className="muted">Restore test and code scan are queued for the scheduler's worker.</span>
            </p>
          )}
          {message && <p role="status">{message}</p>}
          {run.error && <p role="alert" className="error">{run.error.message}</p>}
          {GROUPS.map(([g, label]) => (
            <section key={g} aria-labelledby={`readiness-${g}`}>
              <h2 id={`readiness-${g}`}>{label}</h2>
              <table data-testid={`readiness-${g}`}>
                <thead><tr><th>Status</th><th>Check</th><th>Last run</th><th /></tr></thead>
                <tbody>
                  {r.items.filter((i) => i.group === g).map((i) => (
                    <CheckRow key={i.id} item={i} canRun={isAdmin} running={run.isPending} onRun={() => start(i.id, [i.id])} />
                  ))}
                </tbody>
              </table>
            </section>
          ))}
          {isAdmin && <LiveSwitch report={r} onDone={(m) => { setMessage(m); void refresh(); }} />}
        </>
      )}
    </>
  );
}
