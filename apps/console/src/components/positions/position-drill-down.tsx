'use client';
// One symbol in detail: its candlestick chart with entries and exits marked (live, at most one push a second),
// the exit levels, and the fills behind the markers as a table (the chart's text equivalent).
import type { TPositionDetail, TPositionRow } from '@ai-trader/contracts';
import { useSubscription } from '@trpc/tanstack-react-query';
import Link from 'next/link';
import { useEffect } from 'react';
import { money, pnl, pnlClass, time } from '@/lib/format';
import { useTRPC } from '@/lib/trpc';
import { CandleChart } from './candle-chart';
import { ExitLevels } from './positions-table';

export function PositionDrillDown({ symbol, onDismiss, canAct, onClose }: { symbol: string; onDismiss: () => void; canAct: boolean; onClose: (p: TPositionRow) => void }) {
  const trpc = useTRPC();
  const sub = useSubscription(trpc.positions.liveDetail.subscriptionOptions({ symbol, bars: 390 }));
  // The chart's library loads while the data is on its way (the chart mounts only once the data is here).
  useEffect(() => void import('lightweight-charts').catch(() => undefined), []);
  const d = sub.data as TPositionDetail | undefined;
  const p = d?.position ?? null;
  return (
    <section className="drill-down" aria-label={`${symbol} in detail`} data-testid="drill-down" data-symbol={symbol}>
      <header className="drill-head">
        <h2>{symbol}</h2>
        {p && (
          <span>
            {Number(p.qty) !== 0 ? <>{p.qty} @ {money(p.avgCost)}</> : 'flat'} · last {money(p.lastPrice)} · unrealised <span className={pnlClass(p.unrealizedPnl)}>{pnl(p.unrealizedPnl)}</span>
            {' '}· realised <span className={pnlClass(p.realizedPnl)}>{pnl(p.realizedPnl)}</span>
          </span>
        )}
        <span className="spacer" />
        <Link href={`/orders?symbol=${symbol}`}>Orders of {symbol}</Link>
        {canAct && p && Number(p.qty) > 0 && !p.closing && <button type="button" className="small" onClick={() => onClose(p)}>Close {symbol}…</button>}
        <button type="button" className="small" onClick={onDismiss} aria-label={`Hide the ${symbol} detail`}>Hide</button>
      </header>
      {!d ? (
        <div aria-busy="true" className="chart-skeleton">
          {sub.error ? <p role="alert" className="error">Cannot load {symbol}: {sub.error.message}</p> : <p>Loading {symbol}…</p>}
        </div>
      ) : d.bars.t.length === 0 ? (
        <p className="empty">No 5-minute bars of {symbol} are stored yet: the chart appears once the feed (or a backfill) brings some.</p>
      ) : (
        <CandleChart detail={d} />
      )}
      {p && <div className="levels-line">Exit levels: <ExitLevels p={p} /></div>}
      {d && (
        <table data-testid="fills" className="fills">
          <caption>Fills of {symbol} in the chart&apos;s window (market time, New York)</caption>
          <thead><tr><th>Time</th><th>Side</th><th className="num">Qty</th><th className="num">Price</th><th>Why</th><th>Order</th></tr></thead>
          <tbody>
            {d.fills.length === 0 && <tr><td colSpan={6} className="empty">No fills in this window</td></tr>}
            {[...d.fills].reverse().map((f) => (
              <tr key={f.id} data-side={f.side}>
                <td>{time(f.at)}</td><td className={f.side === 'BUY' ? 'pos' : 'neg'}>{f.side === 'BUY' ? 'BUY (entry)' : 'SELL (exit)'}</td>
                <td className="num">{f.qty}</td><td className="num">{money(f.price)}</td>
                <td>{f.side === 'SELL' ? (f.exitReason ?? 'exit') : (f.strategy ?? '—')}</td>
                <td><code title={f.clientOrderId}>{f.clientOrderId.slice(0, 12)}…</code></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
