'use client';
// The Risk page, kept live by one SSE subscription (each push is a complete snapshot): limits and their use,
// the capital ramp (its own query), the what-if check, circuit breakers with their trips, equity against its peak, positions against their
// limits, reconciliation with the broker and the latest order intents. The trading state and its controls
// are in the layout's emergency panel.
import type { TRiskView } from '@ai-trader/contracts';
import { useSubscription } from '@trpc/tanstack-react-query';
import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { money, pct, pnl, pnlClass, time } from '@/lib/format';
import { useTRPC } from '@/lib/trpc';
import { CapitalRamp } from './capital-ramp';
import { LimitGauge } from './gauge';
import { WhatIf } from './what-if';

const short = (id: string) => id.slice(0, 8);

export function Risk() {
  const trpc = useTRPC();
  const sub = useSubscription(trpc.risk.live.subscriptionOptions());
  const v = sub.data as TRiskView | undefined;
  return (
    <>
      <h1>Risk</h1>
      {!v ? (
        <p aria-busy="true" className={sub.error ? 'error' : 'muted'}>
          {sub.error ? `Cannot load the risk view: ${sub.error.message}. Reload the page; if it persists, check the console server's log.` : 'Loading limits…'}
        </p>
      ) : (
        <>
          <p className="live" data-testid="live-status">
            {sub.status === 'pending' ? '● live' : sub.status === 'connecting' ? '○ reconnecting…' : `○ ${sub.status}`} · updated {time(v.asOf)} · trading {v.tradingState.state}
          </p>
          <Limits v={v} />
        </>
      )}
      <CapitalRamp />
      <WhatIf />
      {v && (
        <>
          <Breakers v={v} />
          <Equity v={v} />
          <Positions v={v} />
          <Reconciliation v={v} />
          <Intents v={v} />
        </>
      )}
    </>
  );
}

function Limits({ v }: { v: TRiskView }) {
  return (
    <section aria-labelledby="limits-h">
      <h2 id="limits-h">Limits</h2>
      <div className="gauges" data-testid="limits">
        {v.limits.map((g) => <LimitGauge key={g.key} g={g} />)}
      </div>
      <div className="cards" aria-label="Buying power">
        <div className="card"><div className="label">Buying power</div><div className="value" data-testid="buying-power">{money(v.account.buyingPower)}</div><div className="sub">cash less working BUYs</div></div>
        <div className="card"><div className="label">Cash</div><div className="value">{money(v.account.cash)}</div></div>
        <div className="card"><div className="label">Working BUYs</div><div className="value">{money(v.account.workingBuyNotional)}</div></div>
        <div className="card"><div className="label">Default entry size</div><div className="value">{money(v.account.orderNotional)}</div><div className="sub">ORDER_NOTIONAL</div></div>
      </div>
    </section>
  );
}

function Breakers({ v }: { v: TRiskView }) {
  return (
    <section aria-labelledby="breakers-h">
      <h2 id="breakers-h">Circuit breakers</h2>
      <table data-testid="breakers" className="breakers">
        <thead><tr><th>Breaker</th><th className="gauge-col">Now against the limit</th><th>Trips to</th><th>Status</th><th>Last trip (New York)</th></tr></thead>
        <tbody>
          {v.breakers.map((b) => (
            <tr key={b.name} data-breaker={b.name} data-tripped={String(b.trippedToday)}>
              <td>{b.label}</td>
              <td><LimitGauge g={b.gauge} compact disabled={!b.armed} /><div className="sub">{b.gauge.detail}</div></td>
              <td><span className={`status state-text-${b.to}`}>{b.to}</span></td>
              <td>{b.trippedToday ? <span className="neg">tripped today</span> : b.armed ? <span className="pos">armed</span> : <span className="muted">not judging: {b.note}</span>}</td>
              <td>{b.lastTrip ? <span title={b.lastTrip.message}>{time(b.lastTrip.at)}</span> : <span className="muted">never</span>}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>Trips</h3>
      <ul className="alerts" data-testid="breaker-trips">
        {v.trips.length === 0 && <li className="empty">No breaker has tripped. Trips appear here as critical alerts (breaker.&lt;name&gt;:&lt;day&gt;).</li>}
        {v.trips.map((a) => (
          <li key={a.id} className={`alert alert-${a.level}`} data-key={a.key}>
            <span className="alert-level">{a.resolvedAt ? 'resolved' : a.level}</span> {a.message}
            <span className="muted"> · {time(a.firstAt)}{a.count > 1 ? ` · ${a.count}×` : ''}{a.resolvedAt ? ` · resolved ${time(a.resolvedAt)}: ${a.resolution ?? ''}` : ''}</span>
          </li>
        ))}
      </ul>
      <table data-testid="breaker-audit">
        <caption className="muted">State changes made by the breakers (audit log)</caption>
        <thead><tr><th>When (New York)</th><th>Action</th><th>Reason</th></tr></thead>
        <tbody>
          {v.audit.length === 0 && <tr><td colSpan={3} className="empty">No breaker has changed the trading state</td></tr>}
          {v.audit.map((a) => <tr key={a.id} data-action={a.action}><td>{time(a.at)}</td><td><code>{a.action}</code></td><td>{a.reason ?? '—'}</td></tr>)}
        </tbody>
      </table>
    </section>
  );
}

function Equity({ v }: { v: TRiskView }) {
  const e = v.equity;
  return (
    <section aria-labelledby="equity-h">
      <h2 id="equity-h">Equity, daily loss and drawdown</h2>
      {!e.latest ? (
        <p className="muted empty-note">No equity snapshot yet: the risk worker writes one every 15 s (WORKER_ROLES must include risk).</p>
      ) : (
        <>
          <div className="cards">
            <div className="card"><div className="label">Equity</div><div className="value">{money(e.latest.equity)}</div><div className="sub">at {time(e.latest.at)}</div></div>
            <div className="card"><div className="label">Day P&amp;L</div><div className={`value ${e.dayPnl ? pnlClass(e.dayPnl) : ''}`}>{e.dayPnl ? pnl(e.dayPnl) : '—'}</div><div className="sub">since {money(e.latest.dayStart)} ({e.latest.day})</div></div>
            <div className="card"><div className="label">Peak</div><div className="value">{money(e.latest.peak)}</div></div>
            <div className="card"><div className="label">Drawdown</div><div className={`value ${e.drawdownPct ? 'neg' : ''}`}>{e.drawdownPct === null ? '—' : pct(-e.drawdownPct)}</div><div className="sub">below the peak</div></div>
          </div>
          {e.series.length > 1 && (
            <figure className="chart risk-chart" aria-label={`Equity and its peak over the last ${e.series.length} snapshots`}>
              <figcaption>Equity (line) and peak (dashed), the last {e.series.length} snapshots</figcaption>
              <ResponsiveContainer width="100%" height={220}>
                <LineChart data={e.series.map((p) => ({ at: p.at, equity: Number(p.equity), peak: Number(p.peak) }))}>
                  <CartesianGrid className="chart-grid" strokeDasharray="3 3" />
                  <XAxis dataKey="at" tickFormatter={(s: string) => time(s).slice(11, 16)} minTickGap={40} className="chart-axis" />
                  <YAxis domain={['auto', 'auto']} width={90} tickFormatter={(n: number) => money(String(n))} className="chart-axis" />
                  <Tooltip labelFormatter={(s) => time(String(s))} formatter={(n) => money(String(n))} contentStyle={{ background: 'var(--panel)', border: '1px solid var(--line)' }} />
                  <Line type="monotone" dataKey="equity" className="equity-line" dot={false} isAnimationActive={false} />
                  <Line type="stepAfter" dataKey="peak" className="peak-line" strokeDasharray="4 4" dot={false} isAnimationActive={false} />
                </LineChart>
              </ResponsiveContainer>
            </figure>
          )}
        </>
      )}
    </section>
  );
}

function Positions({ v }: { v: TRiskView }) {
  return (
    <section aria-labelledby="pos-limits-h">
      <h2 id="pos-limits-h">Positions against their limits</h2>
      <table data-testid="position-limits">
        <thead><tr><th>Symbol</th><th className="num">Qty</th><th className="num">Working BUY</th><th className="num">Last</th><th className="num">Notional</th><th className="gauge-col">Shares</th><th className="gauge-col">Notional</th></tr></thead>
        <tbody>
          {v.positions.length === 0 && <tr><td colSpan={7} className="empty">No open positions</td></tr>}
          {v.positions.map((p) => (
            <tr key={p.symbol} data-symbol={p.symbol}>
              <td>{p.symbol}</td><td className="num">{p.qty}</td><td className="num">{p.workingBuyQty}</td><td className="num">{money(p.lastPrice)}</td><td className="num">{money(p.notional)}</td>
              <td><LimitGauge g={p.qtyGauge} compact /></td><td><LimitGauge g={p.notionalGauge} compact /></td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function Reconciliation({ v }: { v: TRiskView }) {
  const r = v.reconciliation;
  return (
    <section aria-labelledby="recon-h">
      <h2 id="recon-h">Reconciliation with the broker</h2>
      {!r ? (
        <p className="muted empty-note" data-testid="reconciliation">No reconciliation pass yet: the broker worker runs one at start and every 30 s (WORKER_ROLES must include broker).</p>
      ) : (
        <div data-testid="reconciliation" data-clean={String(r.clean)}>
          <p>
            Last pass {time(r.at)}: {r.clean ? <span className="pos">clean</span> : <span className="neg">{r.drift.length} confirmed difference(s)</span>}
            {r.suspect.length > 0 && <span className="muted"> · {r.suspect.length} seen once (confirmed or gone at the next pass)</span>}
            {r.repaired > 0 && <> · {r.repaired} missed update(s) replayed</>}
          </p>
          {[...r.drift, ...r.suspect].length > 0 && <DriftTable drift={[...r.drift.map((d) => ({ ...d, confirmed: true })), ...r.suspect.map((d) => ({ ...d, confirmed: false }))]} />}
          {r.lastDrift && r.clean && <p className="muted">Last drift found {time(r.lastDrift.at)}: {r.lastDrift.drift.map((d) => `${d.kind} ${d.subject}`).join(', ')}</p>}
        </div>
      )}
    </section>
  );
}

function DriftTable({ drift }: { drift: { kind: string; subject: string; ours: string; broker: string; repaired?: boolean; note?: string; confirmed: boolean }[] }) {
  return (
    <table>
      <thead><tr><th>Kind</th><th>Subject</th><th>Ours</th><th>Broker</th><th>Status</th></tr></thead>
      <tbody>
        {drift.map((d) => (
          <tr key={`${d.kind}:${d.subject}:${d.confirmed}`}>
            <td>{d.kind}</td><td>{d.subject}</td><td>{d.ours}</td><td>{d.broker}</td>
            <td>{d.confirmed ? (d.repaired ? 'repaired from the broker' : d.note ?? 'confirmed') : 'seen once'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Intents({ v }: { v: TRiskView }) {
  return (
    <section aria-labelledby="intents-h">
      <h2 id="intents-h">Latest order intents</h2>
      <table data-testid="intents">
        <thead><tr><th>Created (New York)</th><th>Intent</th><th>Symbol</th><th>Side</th><th className="num">Qty</th><th className="num">Ref. price</th><th>Status</th></tr></thead>
        <tbody>
          {v.recentIntents.length === 0 && <tr><td colSpan={7} className="empty">No orders yet: approved signals appear here (they count toward open orders and orders per minute)</td></tr>}
          {v.recentIntents.map((i) => (
            <tr key={i.id} data-intent={i.id}>
              <td>{time(i.createdAt)}</td><td><code title={i.id}>{short(i.id)}</code></td><td>{i.symbol}</td>
              <td className={i.side === 'BUY' ? 'pos' : 'neg'}>{i.side}{i.isEntry ? '' : ' (exit)'}</td>
              <td className="num">{i.qty}</td><td className="num">{money(i.refPrice)}</td><td>{i.status}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
