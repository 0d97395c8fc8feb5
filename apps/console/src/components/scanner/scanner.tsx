'use client';
// The Scanner page: the latest layer0/layer1 runs and one run's results and alerts, pushed live whenever a
// scan runs (console or `ai-trader scan`). Traders may run a scan now; the page says while it runs and when
// it is done.
import type { TRole, TScannerLayer, TScannerPage, TScannerResultView, TScannerRunDetail } from '@ai-trader/contracts';
import { useMutation } from '@tanstack/react-query';
import { useSubscription } from '@trpc/tanstack-react-query';
import { useState, type FormEvent } from 'react';
import { money, time } from '@/lib/format';
import { useTRPC } from '@/lib/trpc';

const short = (id: string) => id.slice(0, 8);
const num = (x: unknown, digits = 2) => (typeof x === 'number' ? x.toFixed(digits) : typeof x === 'string' ? x : '—');
const dollars = (x: unknown) => (typeof x === 'string' ? money(x) : '—');
const percent = (x: unknown) => (typeof x === 'number' ? `${(x * 100).toFixed(2)} %` : '—');

function problems(e: { message: string; data?: { validation?: string[] | null } | null } | null): string[] {
  if (!e) return [];
  return e.data?.validation?.length ? e.data.validation : [e.message];
}

export function Scanner({ role }: { role: TRole }) {
  const trpc = useTRPC();
  const [layer, setLayer] = useState<'' | TScannerLayer>('');
  const [runId, setRunId] = useState<string | undefined>(undefined);
  const sub = useSubscription(trpc.scanner.live.subscriptionOptions({ ...(layer ? { layer } : {}), ...(runId ? { runId } : {}), limit: 20 }));
  const page = sub.data as TScannerPage | undefined;
  return (
    <>
      <h1>Scanner</h1>
      {role !== 'viewer' ? <RunNow onDone={(id) => setRunId(id)} /> : <p className="muted">Running a scan needs the trader role; the CLI runs one with ai-trader scan --layer layer0.</p>}
      <section aria-labelledby="runs-h">
        <h2 id="runs-h">Runs</h2>
        <div className="inline-form">
          <label>
            Layer
            <select value={layer} onChange={(e) => { setLayer(e.target.value as '' | TScannerLayer); setRunId(undefined); }}>
              <option value="">both</option><option value="layer0">layer0 (universe)</option><option value="layer1">layer1 (liquidity)</option>
            </select>
          </label>
          <p className="live" data-testid="live-status">{sub.status === 'pending' ? '● live' : sub.status === 'connecting' ? '○ reconnecting…' : `○ ${sub.status}`}</p>
        </div>
        {!page ? (
          <p aria-busy={!sub.error} className={sub.error ? 'error' : 'muted'}>{sub.error ? `Cannot load scanner runs: ${sub.error.message}. Reload the page; if it persists, check the console server's log.` : 'Loading runs…'}</p>
        ) : (
          <table data-testid="scanner-runs">
            <thead><tr><th>Run</th><th>Layer</th><th>Status</th><th title="the newest daily bar the run judged">Market as of</th><th>Started (New York)</th><th className="num">Passed</th><th className="num">Alerts</th><th><span className="visually-hidden">Show</span></th></tr></thead>
            <tbody>
              {page.runs.length === 0 && <tr><td colSpan={8} className="empty">No scans yet. {role !== 'viewer' ? 'Run one above' : 'A trader can run one here'}, or run ai-trader scan --layer layer0.</td></tr>}
              {page.runs.map((r) => {
                const shown = page.selected?.id === r.id;
                return (
                  <tr key={r.id} data-run={r.id} data-status={r.status} className={shown ? 'selected' : ''}>
                    <td><code title={r.id}>{short(r.id)}</code></td><td>{r.layer}</td>
                    <td><span className={`status status-${r.status}`}>{r.status}</span>{r.error && <div className="error">{r.error}</div>}</td>
                    <td>{r.asOf.slice(0, 10)}</td><td>{time(r.startedAt)}</td>
                    <td className="num">{r.symbolsOut} of {r.symbolsIn}</td><td className="num">{r.alertCount}</td>
                    <td>{shown ? <span className="muted">shown below</span> : <button type="button" className="link" onClick={() => setRunId(r.id)} aria-label={`Show run ${short(r.id)}`}>Show</button>}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </section>
      {page?.selected && <RunDetail r={page.selected} />}
    </>
  );
}

function RunNow({ onDone }: { onDone: (runId: string) => void }) {
  const trpc = useTRPC();
  const [layer, setLayer] = useState<TScannerLayer>('layer0');
  const [asOf, setAsOf] = useState('');
  const run = useMutation(trpc.scanner.runNow.mutationOptions({ onSuccess: (r) => onDone(r.run.id) }));
  const errors = problems(run.error);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    run.mutate({ layer, ...(asOf ? { asOf } : {}) });
  };
  const d = run.data;
  return (
    <form className="inline-form scan-form" aria-label="Run a scan now" onSubmit={submit} noValidate>
      <label>
        Layer
        <select name="layer" value={layer} onChange={(e) => setLayer(e.target.value as TScannerLayer)}>
          <option value="layer0">layer0 (universe)</option><option value="layer1">layer1 (liquidity)</option>
        </select>
      </label>
      <label>As of (New York date, optional)<input name="asOf" type="date" value={asOf} onChange={(e) => setAsOf(e.target.value)} /></label>
      <button type="submit" disabled={run.isPending}>{run.isPending ? 'Scanning…' : 'Run scan now'}</button>
      <div className="form-feedback" aria-live="polite">
        {run.isPending && <p role="status" aria-busy="true" data-testid="scan-status" data-state="pending">Running the {layer} scan…</p>}
        {errors.length > 0 && <ul role="alert" className="error" aria-label="Scan not run">{errors.map((m) => <li key={m}>{m}</li>)}</ul>}
        {d && !run.isPending && !run.error && (
          <p role="status" data-testid="scan-status" data-state={d.run.status} data-run-id={d.run.id}>
            {d.layer0 && <>layer0 first (run <code>{short(d.layer0.id)}</code>, {d.layer0.symbolsOut} of {d.layer0.symbolsIn} passed); </>}
            {d.run.layer} scan <code>{short(d.run.id)}</code> {d.run.status}{d.run.status === 'succeeded' ? `: ${d.run.symbolsOut} of ${d.run.symbolsIn} passed, ${d.run.alertCount} alert(s)` : `: ${d.run.error ?? ''}`}
            <span className="muted"> · configuration: {d.configSource}</span>
          </p>
        )}
      </div>
    </form>
  );
}

function RunDetail({ r }: { r: TScannerRunDetail }) {
  const passed = r.results.filter((x) => x.passed).length;
  return (
    <section aria-labelledby="run-h" data-testid="scanner-run" data-run={r.id}>
      <h2 id="run-h">{r.layer} run <code>{short(r.id)}</code>, as of {r.asOf.slice(0, 10)}</h2>
      <p className="muted">
        {r.status} · started {time(r.startedAt)}{r.finishedAt ? `, finished ${time(r.finishedAt)}` : ''} · {passed} of {r.results.length} passed
        {r.inputRunId ? ` · judged the symbols layer0 run ${short(r.inputRunId)} passed` : ''}
      </p>
      <table data-testid="scanner-results">
        <thead>
          <tr>
            <th className="num">Rank</th><th>Symbol</th><th>Result</th>
            {r.layer === 'layer0'
              ? <><th className="num">Last close</th><th className="num">Last $ volume</th><th className="num">History days</th></>
              : <><th className="num">Avg $ volume</th><th className="num">Spread proxy</th><th className="num">Bars</th></>}
            <th>Why not</th>
          </tr>
        </thead>
        <tbody>
          {r.results.length === 0 && <tr><td colSpan={7} className="empty">{r.status === 'running' ? 'Still running…' : 'No symbols to judge (layer1 judges what the latest layer0 run passed)'}</td></tr>}
          {r.results.map((x) => <ResultRow key={x.symbol} x={x} layer={r.layer} />)}
        </tbody>
      </table>
      <h3>Alerts</h3>
      <table data-testid="scanner-alerts">
        <thead><tr><th>Symbol</th><th>Kind</th><th>Day</th><th>Detail</th></tr></thead>
        <tbody>
          {r.alerts.length === 0 && <tr><td colSpan={4} className="empty">No alerts in this run (unusual volume, gaps up or down)</td></tr>}
          {r.alerts.map((a) => (
            <tr key={a.id} data-symbol={a.symbol} data-kind={a.kind}>
              <td>{a.symbol}</td><td className={a.kind === 'gap_down' ? 'neg' : a.kind === 'gap_up' ? 'pos' : ''}>{a.kind}</td><td>{a.ts.slice(0, 10)}</td><td>{a.detail}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <details className="config">
        <summary>Configuration this run used</summary>
        <pre className="json">{JSON.stringify(r.config, null, 2)}</pre>
      </details>
    </section>
  );
}

function ResultRow({ x, layer }: { x: TScannerResultView; layer: TScannerLayer }) {
  const m = x.metrics;
  return (
    <tr data-symbol={x.symbol} data-passed={String(x.passed)}>
      <td className="num">{x.rank ?? '—'}</td><td>{x.symbol}</td>
      <td><span className={x.passed ? 'pos' : 'neg'}>{x.passed ? 'pass' : 'fail'}</span></td>
      {layer === 'layer0'
        ? <><td className="num">{typeof m.lastClose === 'string' ? money(m.lastClose) : '—'}</td><td className="num">{dollars(m.lastDollarVolume)}</td><td className="num">{num(m.historyDays, 0)}</td></>
        : <><td className="num">{dollars(m.avgDollarVolume)}</td><td className="num">{percent(m.spreadProxy)}</td><td className="num">{num(m.bars, 0)}</td></>}
      <td>{x.reasons.length ? x.reasons.join('; ') : '—'}</td>
    </tr>
  );
}
