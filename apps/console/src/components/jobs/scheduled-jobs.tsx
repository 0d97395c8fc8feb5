'use client';
// The scheduled jobs of ops/job-definitions.yaml (what `ai-trader scheduler status` shows): schedule, market-hours
// rule, dependencies, next run, last result with its duration, failures in 24 h, paused while HALTED; "Run now"
// (trader+) runs a job after its dependencies, with a reason, audited.
import type { TRole } from '@ai-trader/contracts';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { time } from '@/lib/format';
import { useTRPC } from '@/lib/trpc';

const duration = (ms: number | null) => (ms === null ? '—' : ms < 1000 ? `${ms} ms` : ms < 120_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 60_000)} min`);

export function ScheduledJobs({ role, reason, onMessage }: { role: TRole; reason: string; onMessage: (m: string) => void }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const jobs = useQuery({ ...trpc.jobs.scheduled.queryOptions(), refetchInterval: 5000 });
  const runJob = useMutation(trpc.jobs.runJob.mutationOptions({
    onSuccess: (r, v) => {
      onMessage(r.status === 'queued' ? `${v.name} queued: ${r.runs.map((x) => x.job).join(' → ')}` : `${v.name} not run: ${r.reason}`);
      void qc.invalidateQueries({ queryKey: trpc.jobs.scheduled.queryKey() });
    },
  }));
  const needReason = reason.trim().length < 3;

  return (
    <section aria-label="Scheduled jobs">
      <h2>Scheduled jobs</h2>
      {runJob.error && <p role="alert" className="error">{runJob.error.message}</p>}
      {jobs.error && <p role="alert" className="error">Cannot read the job definitions: {jobs.error.message}</p>}
      <table data-testid="scheduled-jobs">
        <thead>
          <tr><th>Job</th><th>Schedule</th><th>Market hours</th><th>After</th><th>Next run (New York)</th><th>Last result</th><th className="num">Duration</th><th className="num">Failures 24 h</th><th /></tr>
        </thead>
        <tbody>
          {jobs.isPending && <tr><td colSpan={9} aria-busy="true">Loading…</td></tr>}
          {jobs.data?.length === 0 && <tr><td colSpan={9} className="empty">No job definitions (ops/job-definitions.yaml)</td></tr>}
          {jobs.data?.map((j) => (
            <tr key={j.name} data-job={j.name}>
              <td title={`${j.description} (queue ${j.queue})`}>
                {j.name}
                {!j.enabled && <span className="status status-queued"> disabled</span>}
                {j.paused && <span className="status status-failed" title={j.paused}> paused</span>}
                {j.trading && <span className="muted"> trades</span>}
              </td>
              <td>{j.schedule}</td>
              <td>{j.marketHours}</td>
              <td>{j.dependsOn.join(', ') || '—'}</td>
              <td>{time(j.nextRun)}</td>
              <td>
                {j.last ? (
                  <span title={j.last.error ?? j.last.reason ?? undefined}>
                    <span className={`status status-${j.last.status === 'skipped' ? 'queued' : j.last.status}`}>{j.last.status}</span> {time(j.last.finishedAt ?? j.last.queuedAt)}
                    {(j.last.reason ?? j.last.error) && <div className="muted">{j.last.reason ?? j.last.error}</div>}
                  </span>
                ) : 'never run'}
              </td>
              <td className="num">{duration(j.last?.durationMs ?? null)}</td>
              <td className={`num ${j.failures24h ? 'neg' : ''}`}>{j.failures24h}</td>
              <td>
                {role !== 'viewer' && (
                  <button disabled={needReason || runJob.isPending} title={needReason ? 'give a reason first' : 'runs its dependencies first'} onClick={() => runJob.mutate({ name: j.name, reason })}>
                    Run now
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
