'use client';
// Jobs: the scheduled jobs of ops/job-definitions.yaml with "run now" (trader+), every queue's depth and throughput
// (pushed every 2 s), the workers' own schedules with "run now", and the failed jobs with retry / remove (admin).
// Every action asks for a reason and is audited.
import type { TRole } from '@ai-trader/contracts';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useSubscription } from '@trpc/tanstack-react-query';
import { useState } from 'react';
import { time } from '@/lib/format';
import { useTRPC } from '@/lib/trpc';
import { ScheduledJobs } from './scheduled-jobs';

type Snapshot = {
  queues: { name: string; waiting: number; active: number; delayed: number; failed: number; completed: number; paused: boolean; completedLastMinute: number }[];
  schedulers: { queue: string; key: string; every: number | null; pattern: string | null; tz: string | null; next: string | null }[];
};

/** The workers' own schedules (the per-role watches); the scheduled jobs' triggers are listed with their jobs above. */
const watches = (snap: Snapshot) => snap.schedulers.filter((s) => s.queue !== 'scheduler.trigger');

export function Jobs({ role }: { role: TRole }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const sub = useSubscription(trpc.jobs.live.subscriptionOptions());
  const snap = sub.data as Snapshot | undefined;
  const [reason, setReason] = useState('');
  const [message, setMessage] = useState<string | null>(null);
  const failed = useQuery(trpc.jobs.failed.queryOptions({ limit: 50 }));
  const refresh = () => qc.invalidateQueries({ queryKey: trpc.jobs.failed.queryKey() });
  const runNow = useMutation(trpc.jobs.runNow.mutationOptions({ onSuccess: (r) => setMessage(`queued ${r.jobId}`) }));
  const retry = useMutation(trpc.jobs.retry.mutationOptions({ onSuccess: () => { setMessage('job queued again'); void refresh(); } }));
  const remove = useMutation(trpc.jobs.remove.mutationOptions({ onSuccess: () => { setMessage('job removed'); void refresh(); } }));
  const error = runNow.error ?? retry.error ?? remove.error;
  const needReason = reason.trim().length < 3;

  return (
    <>
      <h1>Jobs</h1>
      {role !== 'viewer' && (
        <label className="reason">
          Reason for an action (audited) <input value={reason} onChange={(e) => setReason(e.target.value)} placeholder="e.g. re-running reconciliation after the broker outage" />
        </label>
      )}
      {message && <p role="status">{message}</p>}
      {error && <p role="alert" className="error">{error.message}</p>}
      <ScheduledJobs role={role} reason={reason} onMessage={setMessage} />
      <section aria-label="Queues">
        <h2>Queues</h2>
        {!snap ? (
          <p aria-busy="true">{sub.error ? `Cannot read the queues: ${sub.error.message}` : 'Reading the queues…'}</p>
        ) : (
          <table data-testid="queues">
            <thead><tr><th>Queue</th><th className="num">Waiting</th><th className="num">Active</th><th className="num">Delayed</th><th className="num">Failed</th><th className="num">Done / min</th><th className="num">Completed (kept)</th></tr></thead>
            <tbody>
              {snap.queues.map((q) => (
                <tr key={q.name} data-queue={q.name}>
                  <td>{q.name}{q.paused && <span className="status status-queued"> paused</span>}</td>
                  <td className="num">{q.waiting}</td><td className="num">{q.active}</td><td className="num">{q.delayed}</td>
                  <td className={`num ${q.failed ? 'neg' : ''}`}>{q.failed}</td><td className="num">{q.completedLastMinute}</td><td className="num">{q.completed}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section aria-label="Schedules">
        <h2>Watches and schedules</h2>
        <table data-testid="schedules">
          <thead><tr><th>Queue</th><th>Schedule</th><th>Next run (New York)</th><th /></tr></thead>
          <tbody>
            {snap && watches(snap).length === 0 && <tr><td colSpan={4} className="empty">No schedules: the workers create them when their roles start</td></tr>}
            {snap && watches(snap).map((s) => (
              <tr key={`${s.queue}:${s.key}`} data-queue={s.queue}>
                <td>{s.queue}</td>
                <td>{s.every ? `every ${s.every / 1000} s` : `${s.pattern} (${s.tz ?? 'UTC'})`}</td>
                <td>{time(s.next)}</td>
                <td>{role !== 'viewer' && <button disabled={needReason || runNow.isPending} title={needReason ? 'give a reason first' : undefined} onClick={() => runNow.mutate({ queue: s.queue, reason })}>Run now</button>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section aria-label="Failed jobs">
        <h2>Failed jobs</h2>
        <table data-testid="failed-jobs">
          <thead><tr><th>Failed at</th><th>Queue</th><th>Job</th><th>Attempts</th><th>Reason</th><th /></tr></thead>
          <tbody>
            {failed.isPending && <tr><td colSpan={6} aria-busy="true">Loading…</td></tr>}
            {failed.data?.length === 0 && <tr><td colSpan={6} className="empty">No failed jobs</td></tr>}
            {failed.data?.map((j) => (
              <tr key={`${j.queue}:${j.id}`} data-job={j.id}>
                <td>{time(j.failedAt)}</td><td>{j.queue}</td><td title={j.data}>{j.id}</td><td className="num">{j.attempts}</td><td className="neg">{j.reason}</td>
                <td>
                  {role === 'admin' && (
                    <>
                      <button disabled={needReason || retry.isPending} onClick={() => retry.mutate({ queue: j.queue, id: j.id, reason })}>Retry</button>{' '}
                      <button disabled={needReason || remove.isPending} onClick={() => remove.mutate({ queue: j.queue, id: j.id, reason })}>Remove</button>
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </>
  );
}
