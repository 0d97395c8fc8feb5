'use client';
// Signals and strategies. Signals are live (SSE, pushed by the pipeline); strategy, model and backtest
// lists load once and refresh after a change made here. Roles are enforced by the server; the page only
// hides buttons a viewer could not use.
import type { TRole } from '@ai-trader/contracts';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useSubscription } from '@trpc/tanstack-react-query';
import { useState } from 'react';
import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { marketTime, money, pnl, pnlClass } from '@/lib/format';
import { useTRPC } from '@/lib/trpc';

export function Strategies({ role }: { role: TRole }) {
  return (
    <>
      <h1>Signals and strategies</h1>
      <StrategyTable canAct={role !== 'viewer'} />
      <Signals />
      <Models />
      <Backtests />
    </>
  );
}

function StrategyTable({ canAct }: { canAct: boolean }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const list = useQuery(trpc.strategies.list.queryOptions());
  const [reason, setReason] = useState('');
  const toggle = useMutation(trpc.strategies.setEnabled.mutationOptions({ onSuccess: () => qc.invalidateQueries({ queryKey: trpc.strategies.list.queryKey() }) }));
  return (
    <section aria-label="Strategies">
      <h2>Strategies</h2>
      {canAct && (
        <label className="reason">
          Reason for a change (audited) <input value={reason} onChange={(e) => setReason(e.target.value)} placeholder="e.g. paused during earnings" />
        </label>
      )}
      {toggle.error && <p role="alert" className="neg" data-testid="strategy-error">{toggle.error.data?.validation?.join('; ') ?? toggle.error.message}</p>}
      <table data-testid="strategies">
        <thead><tr><th>Name</th><th>Kind</th><th>Trades</th><th>Timeframe</th><th>Sizing</th><th>Exits</th><th>Parameters</th><th>Version</th><th>State</th></tr></thead>
        <tbody>
          {list.data?.length === 0 && <tr><td colSpan={9} className="empty">No strategies (seeded from ops/strategies.yaml on start)</td></tr>}
          {list.data?.map((s) => (
            <tr key={s.name} data-strategy={s.name}>
              <td>{s.name}</td>
              <td>{s.kind}{s.modelName ? ` (${s.modelName})` : ''}</td>
              <td>{s.symbols.length ? s.symbols.join(', ') : `scanner ${s.layer}`}</td>
              <td>{s.timeframe}</td>
              <td><code>{JSON.stringify(s.sizing)}</code></td>
              <td>{exitsText(s.exits)}</td>
              <td><code>{JSON.stringify(s.params)}</code></td>
              <td title={`by ${s.updatedBy} at ${s.updatedAt}`}>v{s.version}</td>
              <td>
                <span className={s.enabled ? 'pos' : 'muted'}>{s.enabled ? 'enabled' : 'disabled'}</span>
                {canAct && (
                  <button className="link" disabled={toggle.isPending} onClick={() => toggle.mutate({ name: s.name, enabled: !s.enabled, reason })}>
                    {s.enabled ? 'Disable' : 'Enable'}
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

function Signals() {
  const trpc = useTRPC();
  const sub = useSubscription(trpc.strategies.liveSignals.subscriptionOptions({ limit: 50 }));
  return (
    <section aria-label="Latest signals">
      <h2>Latest signals</h2>
      <table data-testid="signals">
        <thead><tr><th>Bar (New York)</th><th>Strategy</th><th>Symbol</th><th>Side</th><th className="num">Score</th><th>Why</th><th>Top features</th><th>Risk</th></tr></thead>
        <tbody>
          {sub.data?.length === 0 && <tr><td colSpan={9} className="empty">No signals yet</td></tr>}
          {sub.data?.map((s) => (
            <tr key={s.id}>
              <td>{marketTime(s.barTs)}</td><td>{s.strategy}{s.modelVersion ? ` · ${s.modelVersion}` : ''}</td><td>{s.symbol}</td>
              <td className={s.side === 'BUY' ? 'pos' : 'neg'}>{s.side}</td>
              <td className="num">{s.score === null ? '—' : s.score.toFixed(2)}</td>
              <td>{s.reason ?? '—'}{s.targetNotional ? ` · size ${money(s.targetNotional)}` : ''}</td>
              <td className="features">{s.topFeatures.slice(0, 3).map((f) => `${f.name} ${f.value.toPrecision(3)} (${f.contribution >= 0 ? '+' : ''}${f.contribution.toFixed(2)})`).join(', ') || '—'}</td>
              <td title={s.riskMessage ?? ''}>{s.outcome ?? 'pending'}{s.riskCode ? ` — ${s.riskCode}` : ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {!sub.data && <p aria-busy="true">{sub.error ? `Cannot load signals: ${sub.error.message}` : 'Connecting…'}</p>}
    </section>
  );
}

function Models() {
  const trpc = useTRPC();
  const models = useQuery(trpc.strategies.models.queryOptions());
  return (
    <section aria-label="Models">
      <h2>Models</h2>
      <table data-testid="models">
        <thead><tr><th>Model</th><th>Window</th><th>Symbols</th><th className="num">Accuracy</th><th className="num">AUC</th><th className="num">Test rows</th><th>Trained by</th></tr></thead>
        <tbody>
          {models.data?.length === 0 && <tr><td colSpan={7} className="empty">No models yet (ai-trader models train)</td></tr>}
          {models.data?.map((m) => (
            <tr key={m.id}>
              <td>{m.name}@{m.version}{m.active ? <span className="pos"> active</span> : ''}</td>
              <td>{m.trainFrom} … {m.trainTo}</td><td>{m.symbols.join(', ')}</td>
              <td className="num">{(m.metrics.accuracy * 100).toFixed(1)} %</td><td className="num">{m.metrics.auc.toFixed(3)}</td>
              <td className="num">{m.metrics.testRows}</td><td>{m.createdBy}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function Backtests() {
  const trpc = useTRPC();
  const runs = useQuery(trpc.strategies.backtests.queryOptions({ limit: 10 }));
  const [open, setOpen] = useState<string | null>(null);
  const shown = runs.data?.find((r) => r.id === open) ?? runs.data?.find((r) => r.status === 'succeeded');
  return (
    <section aria-label="Backtests">
      <h2>Backtests</h2>
      <table data-testid="backtests">
        <thead><tr><th>Strategy</th><th>Range</th><th>Status</th><th className="num">Return</th><th className="num">Max DD</th><th className="num">Sharpe</th><th className="num">Trades</th><th className="num">Hit rate</th></tr></thead>
        <tbody>
          {runs.data?.length === 0 && <tr><td colSpan={9} className="empty">No backtests yet (ai-trader backtest --strategy NAME --from … --to …)</td></tr>}
          {runs.data?.map((r) => (
            <tr key={r.id} onClick={() => setOpen(r.id)} className={shown?.id === r.id ? 'selected' : ''}>
              <td>{r.strategy}</td><td>{r.from} … {r.to}</td><td title={r.error ?? ''}>{r.status}</td>
              <td className={`num ${r.metrics ? pnlClass(String(r.metrics.totalReturnPct)) : ''}`}>{r.metrics ? `${r.metrics.totalReturnPct.toFixed(2)} %` : '—'}</td>
              <td className="num">{r.metrics ? `${r.metrics.maxDrawdownPct.toFixed(2)} %` : '—'}</td>
              <td className="num">{r.metrics?.sharpe?.toFixed(2) ?? '—'}</td><td className="num">{r.metrics?.trades ?? '—'}</td>
              <td className="num">{r.metrics?.hitRate == null ? '—' : `${(r.metrics.hitRate * 100).toFixed(0)} %`}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {shown && shown.equityCurve.length > 0 && (
        <figure className="chart" aria-label={`Equity curve of ${shown.strategy}`}>
          <figcaption>{shown.strategy}: equity {money(shown.metrics?.startingCash)} → {money(shown.metrics?.endingEquity)}</figcaption>
          <ResponsiveContainer width="100%" height={260}>
            <LineChart data={shown.equityCurve.map((p) => ({ ts: p.ts, equity: Number(p.equity) }))}>
              <CartesianGrid stroke="#30363d" strokeDasharray="3 3" />
              <XAxis dataKey="ts" tickFormatter={(v: string) => v.slice(5, 10)} minTickGap={40} stroke="#8b949e" />
              <YAxis domain={['auto', 'auto']} stroke="#8b949e" width={80} />
              <Tooltip formatter={(v) => money(String(v))} labelFormatter={(l) => marketTime(String(l))} />
              <Line type="monotone" dataKey="equity" stroke="#58a6ff" dot={false} isAnimationActive={false} />
            </LineChart>
          </ResponsiveContainer>
          <table>
            <thead><tr><th>Symbol</th><th className="num">Qty</th><th>Entry</th><th>Exit</th><th className="num">P&L</th></tr></thead>
            <tbody>
              {shown.trades.slice(0, 50).map((t, i) => (
                <tr key={i}><td>{t.symbol}</td><td className="num">{t.qty}</td><td>{marketTime(t.entryTs)} @ {t.entryPrice}</td><td>{t.exitTs ? `${marketTime(t.exitTs)} @ ${t.exitPrice}` : 'open'}</td><td className={`num ${pnlClass(t.pnl)}`}>{pnl(t.pnl)}</td></tr>
              ))}
            </tbody>
          </table>
        </figure>
      )}
    </section>
  );
}

/** "stop 1 % · target 2 % · trail 1.5 %", or "none". */
function exitsText(e: { stopLossPct?: number | undefined; takeProfitPct?: number | undefined; trailingStopPct?: number | undefined }): string {
  const parts = [e.stopLossPct && `stop ${e.stopLossPct} %`, e.takeProfitPct && `target ${e.takeProfitPct} %`, e.trailingStopPct && `trail ${e.trailingStopPct} %`].filter(Boolean);
  return parts.length ? parts.join(' · ') : 'none';
}
