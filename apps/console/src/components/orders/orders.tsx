'use client';
// The Orders page: every risk decision — denied by our risk, or an order with its fills — newest first. The first page
// is live (SSE, pushed on every order or signal change); older pages follow by cursor, each chained to the page
// before it so nothing is skipped or shown twice while new rows arrive. Filters live in the address.
import type { TOrderRow, TOrdersFilter, TOrdersPage, TRole } from '@ai-trader/contracts';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useSubscription } from '@trpc/tanstack-react-query';
import { Fragment, useEffect, useMemo, useState } from 'react';
import { money, time } from '@/lib/format';
import { useTRPC } from '@/lib/trpc';
import { CancelOrderDialog } from './cancel-order-dialog';
import { OrderTimeline } from './order-timeline';

export interface OrdersFilterForm {
  view: 'all' | 'working' | 'history';
  symbol: string;
  status: string;
  side: string;
  from: string;
  to: string;
}

const STATUSES = ['denied', 'pending', 'blocked', 'failed', 'pending_new', 'new', 'partially_filled', 'filled', 'canceled', 'rejected', 'expired'] as const;
const PAGE = 50;
const SYMBOL = /^[A-Z][A-Z0-9.]{0,9}$/;

function toFilter(f: OrdersFilterForm): TOrdersFilter {
  return {
    view: f.view,
    ...(SYMBOL.test(f.symbol) ? { symbol: f.symbol } : {}),
    ...(f.status ? { status: f.status as TOrdersFilter['status'] } : {}),
    ...(f.side ? { side: f.side as 'BUY' | 'SELL' } : {}),
    ...(f.from ? { from: f.from } : {}),
    ...(f.to ? { to: f.to } : {}),
  };
}
const query = (f: TOrdersFilter) => new URLSearchParams(Object.entries(f).filter(([k, v]) => v && !(k === 'view' && v === 'all')) as [string, string][]).toString();

export function Orders({ role, initial }: { role: TRole; initial: OrdersFilterForm }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [form, setForm] = useState(initial);
  const [symbolInput, setSymbolInput] = useState(initial.symbol);
  const [older, setOlder] = useState(0);
  const [open, setOpen] = useState<string | null>(null);
  const [canceling, setCanceling] = useState<TOrderRow | null>(null);
  const filter = useMemo(() => toFilter(form), [form]);
  const canAct = role !== 'viewer';

  // The symbol applies once typing pauses (a timer per keystroke, not polling).
  useEffect(() => {
    const s = symbolInput.trim().toUpperCase();
    if (s !== '' && !SYMBOL.test(s)) return;
    const t = setTimeout(() => setForm((f) => (f.symbol === s ? f : { ...f, symbol: s })), 300);
    return () => clearTimeout(t);
  }, [symbolInput]);
  useEffect(() => {
    setOlder(0);
    const url = new URL(window.location.href);
    url.search = query(filter);
    window.history.replaceState(null, '', url);
  }, [filter]);

  const sub = useSubscription(trpc.orders.live.subscriptionOptions({ filter, limit: PAGE }));
  const first = sub.data as TOrdersPage | undefined;
  // An open timeline follows the live list.
  useEffect(() => {
    if (first) void qc.invalidateQueries({ queryKey: trpc.orders.timeline.queryKey() });
  }, [first, qc, trpc]);

  const set = <K extends keyof OrdersFilterForm>(k: K, v: OrdersFilterForm[K]) => setForm((f) => ({ ...f, [k]: v }));
  const symbolInvalid = symbolInput.trim() !== '' && !SYMBOL.test(symbolInput.trim().toUpperCase());
  const rowProps = { open, onToggle: (id: string) => setOpen((o) => (o === id ? null : id)), canAct, onCancel: setCanceling };

  return (
    <>
      <h1>Orders</h1>
      <form className="orders-filters" aria-label="Filter orders" onSubmit={(e) => e.preventDefault()}>
        <fieldset className="view-switch">
          <legend>Show</legend>
          {(['all', 'working', 'history'] as const).map((v) => (
            <label key={v}><input type="radio" name="view" value={v} checked={form.view === v} onChange={() => set('view', v)} /> {v === 'all' ? 'all' : v === 'working' ? 'working' : 'history'}</label>
          ))}
        </fieldset>
        <label>Symbol
          <input name="symbol" value={symbolInput} onChange={(e) => setSymbolInput(e.target.value)} placeholder="any" autoComplete="off" aria-invalid={symbolInvalid} aria-describedby={symbolInvalid ? 'symbol-hint' : undefined} />
        </label>
        <label>Status
          <select name="status" value={form.status} onChange={(e) => set('status', e.target.value)}>
            <option value="">any</option>
            {STATUSES.map((s) => <option key={s} value={s}>{s}</option>)}
          </select>
        </label>
        <label>Side
          <select name="side" value={form.side} onChange={(e) => set('side', e.target.value)}>
            <option value="">any</option><option value="BUY">BUY</option><option value="SELL">SELL</option>
          </select>
        </label>
        <label>From (New York date)<input name="from" type="date" value={form.from} onChange={(e) => set('from', e.target.value)} /></label>
        <label>To (New York date)<input name="to" type="date" value={form.to} onChange={(e) => set('to', e.target.value)} /></label>
        <a className="button" href={`/orders/export?${query(filter)}`} download data-testid="export-csv">Export CSV</a>
        {symbolInvalid && <p id="symbol-hint" className="error">A symbol is an upper-case ticker like SPY.</p>}
      </form>
      <p className="live" data-testid="live-status">
        {sub.status === 'pending' ? '● live' : sub.status === 'connecting' ? '○ reconnecting…' : `○ ${sub.status}`}
        {first ? ` · updated ${time(first.asOf)}` : ''}
      </p>
      {!first ? (
        <div aria-busy="true" className="skeleton-block">
          {sub.error ? <p role="alert" className="error">Cannot load orders: {sub.error.data?.validation?.join('; ') ?? sub.error.message}</p> : <p>Loading orders…</p>}
        </div>
      ) : (
        <table data-testid="orders-table" className="orders">
          <thead>
            <tr>
              <th>Decided (New York)</th><th>Symbol</th><th>Side</th><th>Strategy</th><th className="num">Qty</th><th className="num">Filled</th>
              <th className="num">Avg fill</th><th>Status</th><th>Why</th><th><span className="visually-hidden">Actions</span></th>
            </tr>
          </thead>
          <tbody>
            {first.rows.length === 0 && (
              <tr><td colSpan={10} className="empty">{form.view === 'working' ? 'No working orders.' : 'No orders match these filters.'} Signals become orders when risk approves them.</td></tr>
            )}
            {first.rows.map((r) => <OrderRowView key={r.id} r={r} {...rowProps} />)}
          </tbody>
          {older > 0 && first.nextCursor && <OlderPages filter={filter} cursor={first.nextCursor} remaining={older} onMore={() => setOlder((n) => n + 1)} rowProps={rowProps} />}
          {older === 0 && first.nextCursor && (
            <tbody><tr><td colSpan={10}><button type="button" onClick={() => setOlder(1)}>Show older</button></td></tr></tbody>
          )}
        </table>
      )}
      <CancelOrderDialog row={canceling} onDone={() => setCanceling(null)} />
    </>
  );
}

type RowProps = { open: string | null; onToggle: (id: string) => void; canAct: boolean; onCancel: (r: TOrderRow) => void };

/** Page n+1, fetched with page n's cursor (re-fetched when that cursor moves), then page n+2 if asked for. */
function OlderPages({ filter, cursor, remaining, onMore, rowProps }: { filter: TOrdersFilter; cursor: string; remaining: number; onMore: () => void; rowProps: RowProps }) {
  const trpc = useTRPC();
  const page = useQuery(trpc.orders.list.queryOptions({ filter, limit: PAGE, cursor }));
  if (!page.data)
    return <tbody aria-busy="true"><tr><td colSpan={10} className="empty">{page.error ? `Cannot load older orders: ${page.error.message}` : 'Loading older orders…'}</td></tr></tbody>;
  return (
    <>
      <tbody>{page.data.rows.map((r) => <OrderRowView key={r.id} r={r} {...rowProps} />)}</tbody>
      {page.data.nextCursor && (remaining > 1
        ? <OlderPages filter={filter} cursor={page.data.nextCursor} remaining={remaining - 1} onMore={onMore} rowProps={rowProps} />
        : <tbody><tr><td colSpan={10}><button type="button" onClick={onMore}>Show older</button></td></tr></tbody>)}
    </>
  );
}

const WHY = { denied: 'denied by risk', rejected: 'rejected by the broker', blocked: 'blocked', failed: 'failed' } as const;

function OrderRowView({ r, open, onToggle, canAct, onCancel }: { r: TOrderRow } & RowProps) {
  const expanded = open === r.id;
  return (
    <Fragment>
      <tr data-id={r.id} data-symbol={r.symbol} data-side={r.side} data-status={r.status} data-strategy={r.strategy} className={expanded ? 'selected' : undefined}>
        <td>{time(r.at)}</td>
        <td>{r.symbol}</td>
        <td className={r.side === 'BUY' ? 'pos' : 'neg'}>{r.side}</td>
        <td>{r.strategy}{r.exitReason && r.exitReason !== r.strategy ? <span className="muted"> · {r.exitReason}</span> : ''}</td>
        <td className="num">{r.qty ?? '—'}</td>
        <td className="num">{r.order?.filledQty ?? '—'}</td>
        <td className="num">{money(r.order?.avgFillPrice)}</td>
        <td><span className={`status status-${r.status}`}>{r.status}</span></td>
        <td className="why">
          {r.why ? <><strong className={r.why.kind === 'denied' ? 'text-warn' : 'neg'}>{WHY[r.why.kind]}</strong>{r.why.code ? ` (${r.why.code})` : ''}: {r.why.message}</> : <span className="muted">—</span>}
        </td>
        <td className="actions">
          <button type="button" className="small" aria-expanded={expanded} aria-controls={`timeline-${r.id}`} onClick={() => onToggle(r.id)}>
            {expanded ? 'Hide timeline' : 'Timeline'}<span className="visually-hidden"> of {r.side} {r.symbol} at {time(r.at)}</span>
          </button>
          {canAct && r.working && r.order && (
            <button type="button" className="small danger-outline" onClick={() => onCancel(r)}>Cancel<span className="visually-hidden"> order {r.order.clientOrderId}</span></button>
          )}
        </td>
      </tr>
      {expanded && (
        <tr className="timeline-row" id={`timeline-${r.id}`}>
          <td colSpan={10}><OrderTimeline id={r.id} /></td>
        </tr>
      )}
    </Fragment>
  );
}
