'use client';
// Backfill runs with live progress (one SSE subscription, pushed on every chunk; no polling), a form to
// start a run and Resume for failed runs. The server enforces roles; the page only hides what it would refuse.
import type { TRole } from '@ai-trader/contracts';
import type { BackfillProgress } from '@ai-trader/core';
import { useMutation } from '@tanstack/react-query';
import { useSubscription } from '@trpc/tanstack-react-query';
import { useState, type FormEvent } from 'react';
import { time } from '@/lib/format';
import { useTRPC } from '@/lib/trpc';

const STAGES = ['market_data', 'news', 'all'] as const;
const TIMEFRAMES = ['1m', '5m', '1h', '1d'] as const;
const short = (id: string) => id.slice(0, 8);

/** What the server said was wrong: each invalid field when the input failed validation, else the message. */
function problems(e: { message: string; data?: { validation?: string[] | null } | null } | null): string[] {
  if (!e) return [];
  return e.data?.validation?.length ? e.data.validation : [e.message];
}

export function Backfills({ role }: { role: TRole }) {
  const trpc = useTRPC();
  const sub = useSubscription(trpc.backfill.live.subscriptionOptions());
  const runs: BackfillProgress[] | undefined = sub.data;
  const canAct = role !== 'viewer';
  return (
    <section aria-label="Backfills">
      <h1>Backfills</h1>
      {canAct ? <StartForm /> : <p className="muted">Starting or resuming a backfill needs the trader role.</p>}
      <h2>Runs</h2>
      <p className="live" data-testid="live-status">
        {sub.status === 'pending' ? '● live' : sub.status === 'connecting' ? '○ reconnecting…' : `○ ${sub.status}`}
      </p>
      {runs ? <RunTable runs={runs} canAct={canAct} /> : <p aria-busy="true">{sub.error ? `Cannot load backfills: ${sub.error.message}` : 'Connecting…'}</p>}
    </section>
  );
}

function StartForm() {
  const trpc = useTRPC();
  const [symbols, setSymbols] = useState('');
  const [days, setDays] = useState('30');
  const [to, setTo] = useState('');
  const [stage, setStage] = useState<(typeof STAGES)[number]>('market_data');
  const [timeframe, setTimeframe] = useState<(typeof TIMEFRAMES)[number]>('5m');
  const start = useMutation(trpc.backfill.start.mutationOptions());
  const errors = problems(start.error);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    // Tickers are upper-case by convention; anything else odd is left for the server to name.
    const list = symbols.split(',').map((s) => s.trim().toUpperCase()).filter(Boolean);
    start.mutate({ symbols: list, days: Number(days), to: to || undefined, stage, timeframe });
  };

  return (
    <form className="backfill-form" aria-label="Start a backfill" onSubmit={submit} noValidate>
      <label className="wide">
        Symbols (comma-separated)
        <input name="symbols" value={symbols} onChange={(e) => setSymbols(e.target.value)} placeholder="SPY, QQQ" autoComplete="off" />
      </label>
      <label>
        Trading days
        <input name="days" type="number" min={1} max={3650} step={1} value={days} onChange={(e) => setDays(e.target.value)} />
      </label>
      <label>
        Ending (New York date)
        <input name="to" type="date" value={to} onChange={(e) => setTo(e.target.value)} title="empty: today" />
      </label>
      <label>
        Stage
        <select name="stage" value={stage} onChange={(e) => setStage(e.target.value as typeof stage)}>
          {STAGES.map((s) => <option key={s} value={s}>{s}</option>)}
        </select>
      </label>
      <label>
        Timeframe
        <select name="timeframe" value={timeframe} onChange={(e) => setTimeframe(e.target.value as typeof timeframe)}>
          {TIMEFRAMES.map((t) => <option key={t} value={t}>{t}</option>)}
        </select>
      </label>
      <button type="submit" disabled={start.isPending}>{start.isPending ? 'Starting…' : 'Start backfill'}</button>
      <div className="form-feedback">
        {errors.length > 0 && (
          <ul role="alert" className="error" aria-label="Backfill not started">
            {errors.map((m) => <li key={m}>{m}</li>)}
          </ul>
        )}
        {start.data && !start.error && (
          <p role="status" className="result" data-run-id={start.data.runId}>
            Started run <code>{short(start.data.runId)}</code>: {start.data.chunks} chunk(s) queued.
          </p>
        )}
      </div>
    </form>
  );
}

function RunTable({ runs, canAct }: { runs: BackfillProgress[]; canAct: boolean }) {
  const trpc = useTRPC();
  const resume = useMutation(trpc.backfill.resume.mutationOptions());
  // Which runs show their symbols; until the user chooses, small runs and runs with failures are open.
  const [open, setOpen] = useState<Record<string, boolean>>({});
  const cols = canAct ? 8 : 7;
  return (
    <>
      {problems(resume.error).map((m) => <p key={m} role="alert" className="error">Resume failed: {m}</p>)}
      {resume.data && !resume.error && (
        <p role="status" className="result">Resumed run <code>{short(resume.data.runId)}</code>: {resume.data.chunks} chunk(s) queued again.</p>
      )}
      <table data-testid="backfills" className="backfills">
        <thead>
          <tr>
            <th>Run</th><th>Status</th><th>Stage / TF</th><th>Days (New York)</th><th>Requested by</th><th>Created (New York)</th><th className="progress-col">Progress (chunks)</th>
            {canAct && <th />}
          </tr>
        </thead>
        {runs.length === 0 && <tbody><tr><td colSpan={cols} className="empty">No backfill runs yet</td></tr></tbody>}
        {runs.map((r) => {
          const expanded = open[r.id] ?? (r.failed > 0 || r.bySymbol.length <= 5);
          return (
            <tbody key={r.id} data-run={r.id} data-status={r.status}>
              <tr>
                <td><code title={r.id}>{short(r.id)}</code></td>
                <td><span className={`status status-${r.status}`} data-testid="run-status">{r.status}</span></td>
                <td>{r.stage} / {r.timeframe}</td>
                <td>{r.from === r.to ? r.from : `${r.from} → ${r.to}`}</td>
                <td>{r.requestedBy}</td>
                <td>{time(r.createdAt)}</td>
                <td>
                  <Progress label={`Run ${short(r.id)} progress`} done={r.done} failed={r.failed} total={r.total} />
                  <div className="sub">
                    {r.rowsStored} rows stored{r.rowsRejected ? `, ${r.rowsRejected} quarantined` : ''}
                    <button
                      type="button" className="link" aria-expanded={expanded} aria-controls={`symbols-${r.id}`}
                      onClick={() => setOpen((o) => ({ ...o, [r.id]: !expanded }))}
                    >
                      {expanded ? '▾' : '▸'} {r.bySymbol.length} symbol{r.bySymbol.length === 1 ? '' : 's'}
                    </button>
                  </div>
                  {r.error && <div className="error">{r.error}</div>}
                </td>
                {canAct && (
                  <td>
                    {r.status === 'failed' && (
                      <button type="button" disabled={resume.isPending && resume.variables?.runId === r.id} onClick={() => resume.mutate({ runId: r.id })}>
                        Resume
                      </button>
                    )}
                  </td>
                )}
              </tr>
              {expanded && (
                <tr className="symbols" id={`symbols-${r.id}`}>
                  <td colSpan={cols}>
                    <ul className="symbol-progress" aria-label={`Run ${short(r.id)} per symbol`}>
                      {r.bySymbol.map((s) => (
                        <li key={s.symbol} data-symbol={s.symbol}>
                          <span className="symbol">{s.symbol}</span>
                          <Progress label={`${s.symbol} progress`} done={s.done} failed={s.failed} total={s.total} />
                          <span className="sub">{s.rowsStored} rows</span>
                          {s.lastError && <span className="error">{s.lastError}</span>}
                        </li>
                      ))}
                    </ul>
                  </td>
                </tr>
              )}
            </tbody>
          );
        })}
      </table>
    </>
  );
}

/** A bar of done (green) and failed (red) chunks, exposed to assistive tech as a labelled progressbar. */
function Progress({ label, done, failed, total }: { label: string; done: number; failed: number; total: number }) {
  const pct = (n: number) => `${total ? (100 * n) / total : 0}%`;
  return (
    <div className="progress-line">
      <div
        className="progress" role="progressbar" aria-label={label}
        aria-valuemin={0} aria-valuemax={total} aria-valuenow={done}
        aria-valuetext={`${done} of ${total} done${failed ? `, ${failed} failed` : ''}`}
      >
        <span className="progress-done" style={{ width: pct(done) }} />
        <span className="progress-failed" style={{ width: pct(failed) }} />
      </div>
      <span className="progress-count">{done}/{total}</span>
      {failed > 0 && <span className="error">{failed} failed</span>}
    </div>
  );
}
