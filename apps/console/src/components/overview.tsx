'use client';
// The overview, kept live by one SSE subscription: each push is a complete, consistent snapshot.
import type { TOverview } from '@ai-trader/contracts';
import { useSubscription } from '@trpc/tanstack-react-query';
import { Area, AreaChart, CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { money, marketTime, pnl, pnlClass, time } from '@/lib/format';
import { useTRPC } from '@/lib/trpc';

export function Overview() {
  const trpc = useTRPC();
  const sub = useSubscription(trpc.overview.live.subscriptionOptions());
  const o = sub.data as TOverview | undefined;
  const open = o?.positions.filter((p) => p.qty !== '0') ?? [];
  if (!o) return <p aria-busy="true">{sub.error ? `Cannot load the overview: ${sub.error.message}` : 'Connecting…'}</p>;
  return (
    <>
      <p className="live" data-testid="live-status">
        {sub.status === 'pending' ? '● live' : sub.status === 'connecting' ? '○ reconnecting…' : `○ ${sub.status}`} · updated {time(o.asOf)}
      </p>
      <section className="cards" aria-label="Account">
        <Card label="Equity" value={money(o.equity)} testId="equity" />
        <Card label="Total P&L" value={pnl(o.totalPnl)} className={pnlClass(o.totalPnl)} />
        <Card label="Unrealised" value={pnl(o.unrealizedPnl)} className={pnlClass(o.unrealizedPnl)} />
        <Card label="Realised" value={pnl(o.realizedPnl)} className={pnlClass(o.realizedPnl)} />
        <Card label="Day P&L" value={o.dayPnl === null ? '—' : pnl(o.dayPnl)} className={o.dayPnl ? pnlClass(o.dayPnl) : ''} sub={o.dayPnl === null ? 'no snapshot today yet' : 'since the first equity of the New York day'} testId="day-pnl" />
        <Card label="Cash" value={money(o.cash)} />
        <Card label="Exposure" value={money(o.exposure.gross)} sub={`gross · net ${money(o.exposure.net)}`} testId="exposure" />
        <Card label="Feed" value={marketTime(o.feed.lastBarTs)} sub={`${o.feed.barsStored} bars stored`} />
      </section>
      <section className="two-col">
        <section aria-label="Equity and drawdown">
          <h2>Equity and drawdown</h2>
          <EquityChart points={o.equityCurve} />
        </section>
        <section aria-label="Health">
          <h2>Health <span className={`health health-${o.health.status}`} data-testid="health-status">{o.health.status}</span></h2>
          <ul className="health-list" data-testid="health">
            {Object.entries(o.health.components).map(([name, c]) => (
              <li key={name} data-component={name}>
                <span className={`health health-${c.status}`}>{c.status}</span> <strong>{name}</strong> <span className="muted">{c.detail}</span>
              </li>
            ))}
          </ul>
          <p className="muted" data-testid="freshness">
            Data: {o.freshness.symbols} symbol(s) on 5m bars
            {o.freshness.stale.length ? <span className="neg"> · stale: {o.freshness.stale.join(', ')}</span> : o.freshness.symbols ? <span className="pos"> · all fresh</span> : ' · none received yet'}
            {o.freshness.oldestAgeSeconds !== null && ` · oldest ${o.freshness.oldestAgeSeconds}s ago`}
          </p>
        </section>
      </section>
      <section aria-label="Alerts">
        <h2>Alerts</h2>
        <ul className="alerts" data-testid="alerts">
          {o.alerts.length === 0 && <li className="empty">No open alerts</li>}
          {o.alerts.map((a) => (
            <li key={a.id} className={`alert alert-${a.level}`} data-key={a.key}>
              <span className="alert-level">{a.level}</span> {a.message}
              <span className="muted"> · {a.source} · since {time(a.firstAt)}{a.count > 1 ? ` · ${a.count}×, last ${time(a.lastAt)}` : ''}</span>
            </li>
          ))}
        </ul>
      </section>
      <section aria-label="Open positions">
        <h2>Open positions</h2>
        <table data-testid="positions">
          <thead><tr><th>Symbol</th><th className="num">Qty</th><th className="num">Avg cost</th><th className="num">Last</th><th className="num">Value</th><th className="num">Unrealised</th><th className="num">Realised</th></tr></thead>
          <tbody>
            {open.length === 0 && <tr><td colSpan={7} className="empty">No open positions</td></tr>}
            {open.map((p) => (
              <tr key={p.symbol} data-symbol={p.symbol}>
                <td>{p.symbol}</td><td className="num">{p.qty}</td><td className="num">{money(p.avgCost)}</td><td className="num">{money(p.lastPrice)}</td>
                <td className="num">{money(p.marketValue)}</td><td className={`num ${pnlClass(p.unrealizedPnl)}`}>{pnl(p.unrealizedPnl)}</td>
                <td className={`num ${pnlClass(p.realizedPnl)}`}>{pnl(p.realizedPnl)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section aria-label="Recent orders">
        <h2>Recent orders</h2>
        <table data-testid="orders">
          <thead><tr><th>Created</th><th>Symbol</th><th>Side</th><th className="num">Qty</th><th className="num">Filled</th><th className="num">Avg price</th><th>Status</th></tr></thead>
          <tbody>
            {o.orders.length === 0 && <tr><td colSpan={7} className="empty">No orders yet</td></tr>}
            {o.orders.map((x) => (
              <tr key={x.id} title={x.clientOrderId}>
                <td>{time(x.createdAt)}</td><td>{x.symbol}</td><td className={x.side === 'BUY' ? 'pos' : 'neg'}>{x.side}</td>
                <td className="num">{x.qty}</td><td className="num">{x.filledQty}</td><td className="num">{money(x.avgFillPrice)}</td>
                <td><span className={`status status-${x.status}`}>{x.status}</span>{x.rejectReason ? ` — ${x.rejectReason}` : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </>
  );
}

function EquityChart({ points }: { points: TOverview['equityCurve'] }) {
  if (points.length < 2) return <p className="empty chart-empty">No equity history yet: the risk worker snapshots equity every 15 s while it runs.</p>;
  const data = points.map((p) => ({ at: p.at, equity: Number(p.equity), dd: -p.drawdownPct }));
  return (
    <div className="chart" data-testid="equity-chart" data-points={points.length}>
      <ResponsiveContainer width="100%" height={160}>
        <LineChart data={data} syncId="equity" margin={{ left: 8, right: 8, top: 4, bottom: 0 }}>
          <CartesianGrid stroke="var(--line)" strokeDasharray="3 3" />
          <XAxis dataKey="at" hide />
          <YAxis domain={['auto', 'auto']} width={80} tickFormatter={(v: number) => money(String(v))} />
          <Tooltip labelFormatter={(l) => time(String(l))} formatter={(v) => money(String(v))} contentStyle={{ background: 'var(--panel)', border: '1px solid var(--line)' }} />
          <Line type="monotone" dataKey="equity" name="Equity" stroke="var(--accent)" dot={false} isAnimationActive={false} />
        </LineChart>
      </ResponsiveContainer>
      <ResponsiveContainer width="100%" height={90}>
        <AreaChart data={data} syncId="equity" margin={{ left: 8, right: 8, top: 4, bottom: 0 }}>
          <XAxis dataKey="at" hide />
          <YAxis width={80} tickFormatter={(v: number) => `${v.toFixed(1)} %`} />
          <Tooltip labelFormatter={(l) => time(String(l))} formatter={(v) => `${Number(v).toFixed(2)} %`} contentStyle={{ background: 'var(--panel)', border: '1px solid var(--line)' }} />
          <Area type="monotone" dataKey="dd" name="Drawdown" stroke="var(--neg)" fill="var(--neg)" fillOpacity={0.25} isAnimationActive={false} />
        </AreaChart>
      </ResponsiveContainer>
    </div>
  );
}

function Card({ label, value, sub, className, testId }: { label: string; value: string; sub?: string; className?: string; testId?: string }) {
  return (
    <div className="card">
      <div className="label">{label}</div>
      <div className={`value ${className ?? ''}`} data-testid={testId}>{value}</div>
      {sub && <div className="sub">{sub}</div>}
    </div>
  );
}
