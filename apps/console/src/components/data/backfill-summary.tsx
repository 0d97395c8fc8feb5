'use client';
// The latest backfill runs on the Data page, live from the Backfills router (the same SSE subscription the
// Backfills page uses), with Resume for failed runs; starting a run and the full list are on /backfills.
import type { BackfillProgress } from '@ai-trader/core';
import { useMutation } from '@tanstack/react-query';
import { useSubscription } from '@trpc/tanstack-react-query';
import Link from 'next/link';
import { time } from '@/lib/format';
import { useTRPC } from '@/lib/trpc';

const SHOWN = 5;
const short = (id: string) => id.slice(0, 8);

export function BackfillSummary({ canAct }: { canAct: boolean }) {
  const trpc = useTRPC();
  const sub = useSubscription(trpc.backfill.live.subscriptionOptions());
  const runs = (sub.data as BackfillProgress[] | undefined)?.slice(0, SHOWN);
  const resume = useMutation(trpc.backfill.resume.mutationOptions());
  return (
    <section aria-labelledby="data-backfills-h">
      <h2 id="data-backfills-h">Backfills</h2>
      <p className="muted">
        The latest {SHOWN} runs. <Link href="/backfills" className="text-link">Open Backfills</Link> to start a run{canAct ? '' : ' (needs the trader role)'} or see them all.
      </p>
      {resume.error && <p role="alert" className="error">Resume failed: {resume.error.message}</p>}
      {resume.data && !resume.error && <p role="status" className="result">Resumed run <code>{short(resume.data.runId)}</code>: {resume.data.chunks} chunk(s) queued again.</p>}
      {!runs ? (
        <p aria-busy={!sub.error} className={sub.error ? 'error' : 'muted'}>{sub.error ? `Cannot load backfills: ${sub.error.message}` : 'Loading backfills…'}</p>
      ) : (
        <table data-testid="data-backfills">
          <thead><tr><th>Run</th><th>Status</th><th>Stage / TF</th><th>Days (New York)</th><th>Created (New York)</th><th className="gauge-col">Progress (chunks)</th>{canAct && <th><span className="visually-hidden">Actions</span></th>}</tr></thead>
          <tbody>
            {runs.length === 0 && <tr><td colSpan={canAct ? 7 : 6} className="empty">No backfill runs yet</td></tr>}
            {runs.map((r) => (
              <tr key={r.id} data-run={r.id} data-status={r.status}>
                <td><code title={r.id}>{short(r.id)}</code></td>
                <td><span className={`status status-${r.status}`}>{r.status}</span></td>
                <td>{r.stage} / {r.timeframe}</td>
                <td>{r.from === r.to ? r.from : `${r.from} → ${r.to}`}</td>
                <td>{time(r.createdAt)}</td>
                <td>
                  <div className="progress-line">
                    <div
                      className="progress" role="progressbar" aria-label={`Run ${short(r.id)} progress`}
                      aria-valuemin={0} aria-valuemax={r.total} aria-valuenow={r.done} aria-valuetext={`${r.done} of ${r.total} done${r.failed ? `, ${r.failed} failed` : ''}`}
                    >
                      <span className="progress-done" style={{ width: `${r.total ? (100 * r.done) / r.total : 0}%` }} />
                      <span className="progress-failed" style={{ width: `${r.total ? (100 * r.failed) / r.total : 0}%` }} />
                    </div>
                    <span className="progress-count">{r.done}/{r.total}</span>
                    {r.failed > 0 && <span className="error">{r.failed} failed</span>}
                  </div>
                  {r.error && <div className="error">{r.error}</div>}
                </td>
                {canAct && (
                  <td>
                    {r.status === 'failed' && (
                      <button type="button" disabled={resume.isPending && resume.variables?.runId === r.id} onClick={() => resume.mutate({ runId: r.id })}>Resume</button>
                    )}
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
