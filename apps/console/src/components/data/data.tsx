'use client';
// The Data page. Freshness, stored bars, data alerts and the newest quarantined bars arrive by push (one SSE
// subscription, re-read on every bar, alert or backfill event); ages tick in the browser between pushes.
// Older quarantined bars load by page; the gaps check and backfills have their own sections.
import type { TDataView, TQuarantinePage, TRole, TTimeframe } from '@ai-trader/contracts';
import { useQuery } from '@tanstack/react-query';
import { useSubscription } from '@trpc/tanstack-react-query';
import { useEffect, useState, type FormEvent } from 'react';
import { age, time } from '@/lib/format';
import { useTRPC } from '@/lib/trpc';
import { Meter } from '../risk/gauge';
import { BackfillSummary } from './backfill-summary';
import { Gaps } from './gaps';

const TIMEFRAMES: TTimeframe[] = ['1m', '5m', '1h', '1d'];
/** A daily bar's ts is its date at 00:00Z, not an instant: show the date. */
const barTime = (tf: TTimeframe, iso: string | null) => (iso === null ? '—' : tf === '1d' ? iso.slice(0, 10) : time(iso));

/** The browser's clock, every few seconds: ages grow between pushes without asking the server. */
function useNow(everyMs = 5000) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(t);
  }, [everyMs]);
  return now;
}

export function Data({ role }: { role: TRole }) {
  const trpc = useTRPC();
  const sub = useSubscription(trpc.data.live.subscriptionOptions());
  const v = sub.data as TDataView | undefined;
  return (
    <>
      <h1>Data</h1>
      {!v ? (
        <p aria-busy="true" className={sub.error ? 'error' : 'muted'}>
          {sub.error ? `Cannot load the data view: ${sub.error.message}. Reload the page; if it persists, check the console server's log.` : 'Loading freshness…'}
        </p>
      ) : (
        <>
          <p className="live" data-testid="live-status">
            {sub.status === 'pending' ? '● live' : sub.status === 'connecting' ? '○ reconnecting…' : `○ ${sub.status}`} · updated {time(v.asOf)} ·
            {' '}{v.feed.name} feed {v.feed.running ? <>running since {time(v.feed.since)}</> : 'not running'}
          </p>
          <Freshness v={v} />
          <Stored v={v} />
          <Alerts v={v} />
          <Quarantine v={v} />
          <Gaps
            defaultSymbols={[...new Set(v.freshness.filter((f) => f.expected).map((f) => f.symbol))]}
            defaultDay={newestDay(v)}
          />
        </>
      )}
      <BackfillSummary canAct={role !== 'viewer'} />
    </>
  );
}

/** The New York date of the newest stored 5m bar (where a gaps check is most useful); empty when none. */
function newestDay(v: TDataView): string {
  const newest = v.stored.map((s) => s.newest['5m']).filter((x): x is string => x !== null).sort().at(-1);
  return newest ? time(newest).slice(0, 10) : '';
}

function Freshness({ v }: { v: TDataView }) {
  const now = useNow();
  const elapsed = Math.max(0, (now - Date.parse(v.asOf)) / 1000);
  return (
    <section aria-labelledby="fresh-h">
      <h2 id="fresh-h">Freshness</h2>
      <p className="muted">When each symbol&apos;s newest bar arrived. Stale after {v.staleAfterSeconds} s (STALE_AFTER_SECONDS): risk then refuses new entries on it.</p>
      <table data-testid="freshness">
        <thead><tr><th>Symbol</th><th>TF</th><th>Newest bar (New York)</th><th>Arrived (New York)</th><th className="num">Age</th><th className="gauge-col">Age against the limit</th><th>Status</th></tr></thead>
        <tbody>
          {v.freshness.length === 0 && <tr><td colSpan={7} className="empty">No bar has arrived yet. Start the feed (WORKER_ROLES with feed) or run a backfill.</td></tr>}
          {v.freshness.map((f) => {
            const a = f.ageSeconds === null ? null : f.ageSeconds + elapsed;
            const stale = a === null || a > v.staleAfterSeconds;
            const status = f.lastBarTs === null ? 'never' : stale ? 'stale' : 'fresh';
            return (
              <tr key={`${f.symbol}:${f.timeframe}`} data-symbol={f.symbol} data-timeframe={f.timeframe} data-status={status}>
                <td>{f.symbol}{f.expected ? '' : <span className="muted"> (not in the feed)</span>}</td>
                <td>{f.timeframe}</td>
                <td>{barTime(f.timeframe, f.lastBarTs)}</td>
                <td>{time(f.arrivedAt)}</td>
                <td className="num">{age(a)}</td>
                <td>{a !== null && <Meter label={`${f.symbol} ${f.timeframe} age`} value={Math.round(a)} max={v.staleAfterSeconds} text={`${age(a)} of ${v.staleAfterSeconds} s`} />}</td>
                <td><span className={`status fresh-${status}`}>{status}</span></td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}

function Stored({ v }: { v: TDataView }) {
  return (
    <section aria-labelledby="stored-h">
      <h2 id="stored-h">Newest stored bar</h2>
      <table data-testid="stored">
        <thead><tr><th>Symbol</th>{TIMEFRAMES.map((tf) => <th key={tf}>{tf}{tf === '1d' ? ' (date)' : ' (New York)'}</th>)}</tr></thead>
        <tbody>
          {v.stored.length === 0 && <tr><td colSpan={5} className="empty">No symbols known yet</td></tr>}
          {v.stored.map((s) => (
            <tr key={s.symbol} data-symbol={s.symbol}>
              <td>{s.symbol}</td>
              {TIMEFRAMES.map((tf) => <td key={tf}>{barTime(tf, s.newest[tf])}</td>)}
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function Alerts({ v }: { v: TDataView }) {
  return (
    <section aria-labelledby="data-alerts-h">
      <h2 id="data-alerts-h">Data alerts</h2>
      <ul className="alerts" data-testid="data-alerts">
        {v.alerts.length === 0 && <li className="empty">No stale-feed or validation alerts</li>}
        {v.alerts.map((a) => (
          <li key={a.id} className={`alert alert-${a.level}`} data-key={a.key}>
            <span className="alert-level">{a.resolvedAt ? 'resolved' : a.level}</span> {a.message}
            <span className="muted"> · since {time(a.firstAt)}{a.count > 1 ? ` · ${a.count}×` : ''}{a.resolvedAt ? ` · resolved: ${a.resolution ?? ''}` : ''}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}

type Filter = { symbol?: string; timeframe?: TTimeframe };

function Quarantine({ v }: { v: TDataView }) {
  const [filter, setFilter] = useState<Filter>({});
  const [symbol, setSymbol] = useState('');
  const [timeframe, setTimeframe] = useState<'' | TTimeframe>('');
  const apply = (e: FormEvent) => {
    e.preventDefault();
    setFilter({ ...(symbol.trim() ? { symbol: symbol.trim().toUpperCase() } : {}), ...(timeframe ? { timeframe } : {}) });
  };
  const filtered = filter.symbol !== undefined || filter.timeframe !== undefined;
  return (
    <section aria-labelledby="quarantine-h">
      <h2 id="quarantine-h">Quarantined bars</h2>
      <p data-testid="quarantine-summary">
        Last 24 h: {v.quarantine.lastDay.length === 0 ? 'nothing quarantined' : v.quarantine.lastDay.map((q) => <span key={q.kind} className="chip">{q.kind} {q.count}</span>)}
      </p>
      <form className="inline-form" aria-label="Filter quarantined bars" onSubmit={apply}>
        <label>Symbol <input value={symbol} onChange={(e) => setSymbol(e.target.value)} placeholder="any" autoComplete="off" /></label>
        <label>
          Timeframe
          <select value={timeframe} onChange={(e) => setTimeframe(e.target.value as '' | TTimeframe)}>
            <option value="">any</option>
            {TIMEFRAMES.map((tf) => <option key={tf} value={tf}>{tf}</option>)}
          </select>
        </label>
        <button type="submit">Filter</button>
        {filtered && <button type="button" onClick={() => { setSymbol(''); setTimeframe(''); setFilter({}); }}>Clear</button>}
      </form>
      <table data-testid="quarantine">
        <thead><tr><th>Bar (New York)</th><th>Symbol</th><th>TF</th><th>Kind</th><th>Why</th><th>Source</th><th>As received</th><th>Quarantined (New York)</th></tr></thead>
        {filtered ? <FilteredPage key={JSON.stringify(filter)} filter={filter} /> : <QuarantineRows page={v.quarantine.latest} filter={filter} />}
      </table>
    </section>
  );
}

function FilteredPage({ filter }: { filter: Filter }) {
  const trpc = useTRPC();
  const q = useQuery(trpc.data.quarantine.queryOptions({ ...filter, limit: 25 }));
  if (!q.data) return <tbody><tr><td colSpan={8} aria-busy={!q.error} className={q.error ? 'error' : 'muted'}>{q.error ? `Cannot load: ${q.error.message}` : 'Loading…'}</td></tr></tbody>;
  return <QuarantineRows page={q.data} filter={filter} />;
}

/** One page of rows; "Show older" loads the next page below it. */
function QuarantineRows({ page, filter }: { page: TQuarantinePage; filter: Filter }) {
  const [more, setMore] = useState(false);
  return (
    <>
      <tbody>
        {page.rows.length === 0 && <tr><td colSpan={8} className="empty">No quarantined bars{filter.symbol || filter.timeframe ? ' match the filter' : ': every bar received so far passed its checks'}</td></tr>}
        {page.rows.map((r) => (
          <tr key={r.id} data-quarantine-id={r.id} data-symbol={r.symbol ?? ''}>
            <td>{r.ts ? time(r.ts) : '—'}</td><td>{r.symbol ?? '—'}</td><td>{r.timeframe}</td><td><code>{r.kind}</code></td>
            <td>{r.detail}</td><td>{r.source}</td><td className="json">{r.raw}</td><td>{time(r.createdAt)}</td>
          </tr>
        ))}
        {page.nextBeforeId && !more && (
          <tr><td colSpan={8}><button type="button" className="link" onClick={() => setMore(true)}>Show older</button></td></tr>
        )}
      </tbody>
      {page.nextBeforeId && more && <OlderRows beforeId={page.nextBeforeId} filter={filter} />}
    </>
  );
}

function OlderRows({ beforeId, filter }: { beforeId: string; filter: Filter }) {
  const trpc = useTRPC();
  const q = useQuery(trpc.data.quarantine.queryOptions({ ...filter, beforeId, limit: 25 }));
  if (!q.data) return <tbody><tr><td colSpan={8} aria-busy={!q.error} className={q.error ? 'error' : 'muted'}>{q.error ? `Cannot load older rows: ${q.error.message}` : 'Loading…'}</td></tr></tbody>;
  return <QuarantineRows page={q.data} filter={filter} />;
}
