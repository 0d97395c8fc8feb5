'use client';
// The Positions page: the live list (one SSE subscription; each push is a complete snapshot), a per-symbol
// drill-down with its candlestick chart, and the manual close (trader+; the server enforces the role).
import type { TPositionRow, TPositionsView, TRole } from '@ai-trader/contracts';
import { useSubscription } from '@trpc/tanstack-react-query';
import { useCallback, useState } from 'react';
import { pnl, pnlClass, money, time } from '@/lib/format';
import { useTRPC } from '@/lib/trpc';
import { ClosePositionDialog } from './close-position-dialog';
import { PositionDrillDown } from './position-drill-down';
import { PositionsTable } from './positions-table';

/** Each push is a complete snapshot: a row equal to the previous push's keeps that object, so the table renders again
 *  only the rows that changed (a fill changes one row of possibly a thousand). */
function withStableRows(prev: TPositionsView | undefined, next: TPositionsView): TPositionsView {
  if (!prev) return next;
  const before = new Map(prev.positions.map((p) => [p.symbol, p]));
  const positions = next.positions.map((p) => {
    const old = before.get(p.symbol);
    return old && sameRow(old, p) ? old : p;
  });
  const same = positions.length === prev.positions.length && positions.every((p, i) => p === prev.positions[i]);
  return { ...next, positions: same ? prev.positions : positions };
}

function sameRow(a: TPositionRow, b: TPositionRow): boolean {
  return (Object.keys(b) as (keyof TPositionRow)[]).every((k) =>
    k === 'closing' ? a.closing?.qty === b.closing?.qty && a.closing?.exitReason === b.closing?.exitReason : a[k] === b[k]);
}

export function Positions({ role, initialSymbol }: { role: TRole; initialSymbol: string | null }) {
  const trpc = useTRPC();
  const [view, setView] = useState<TPositionsView | undefined>(undefined);
  const sub = useSubscription(trpc.positions.live.subscriptionOptions(undefined, { onData: (v) => setView((prev) => withStableRows(prev, v as TPositionsView)) }));
  const [selected, setSelected] = useState<string | null>(initialSymbol);
  const [closing, setClosing] = useState<TPositionRow | null>(null);
  const canAct = role !== 'viewer';

  // The drill-down is part of the address (/positions?symbol=SPY) without a navigation.
  const select = useCallback((symbol: string | null) => {
    setSelected(symbol);
    const url = new URL(window.location.href);
    if (symbol) url.searchParams.set('symbol', symbol);
    else url.searchParams.delete('symbol');
    window.history.replaceState(null, '', url);
  }, []);

  return (
    <>
      <h1>Positions</h1>
      <p className="live" data-testid="live-status">
        {sub.status === 'pending' ? '● live' : sub.status === 'connecting' ? '○ reconnecting…' : `○ ${sub.status}`}
        {view ? ` · updated ${time(view.asOf)}` : ''}
      </p>
      {!view ? (
        <div aria-busy="true" className="skeleton-block">
          {sub.error ? <p role="alert" className="error">Cannot load positions: {sub.error.message}. Reload the page; if it persists, check the console server.</p> : <p>Loading positions…</p>}
        </div>
      ) : (
        <>
          <section className="cards" aria-label="Totals">
            <Card label="Market value" value={money(view.totals.marketValue)} />
            <Card label="Unrealised P&L" value={pnl(view.totals.unrealizedPnl)} className={pnlClass(view.totals.unrealizedPnl)} testId="total-unrealized" />
            <Card label="Realised P&L" value={pnl(view.totals.realizedPnl)} className={pnlClass(view.totals.realizedPnl)} />
            <Card label="Trading state" value={view.tradingState} />
          </section>
          {!canAct && <p className="muted">Closing a position needs the trader role.</p>}
          <PositionsTable rows={view.positions} selected={selected} onSelect={select} canAct={canAct} onClose={setClosing} />
        </>
      )}
      {selected && <PositionDrillDown symbol={selected} onDismiss={() => select(null)} canAct={canAct} onClose={setClosing} />}
      <ClosePositionDialog position={closing} onDone={() => setClosing(null)} />
    </>
  );
}

function Card({ label, value, className, testId }: { label: string; value: string; className?: string; testId?: string }) {
  return (
    <div className="card">
      <div className="label">{label}</div>
      <div className={`value ${className ?? ''}`} data-testid={testId}>{value}</div>
    </div>
  );
}
