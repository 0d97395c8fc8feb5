'use client';
// Database: size and largest tables, partitions ahead (and rows waiting in DEFAULT), connections, this console's
// pools, the last backup and archive; admins can run VACUUM (ANALYZE) or ANALYZE with a reason (audited). Re-read
// every 30 s. Backups, archives and restores are CLI work (ai-trader db …).
import type { TRole } from '@ai-trader/contracts';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { time } from '@/lib/format';
import { useTRPC } from '@/lib/trpc';

const bytes = (n: number) => {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  for (; n >= 1024 && i < units.length - 1; i++) n /= 1024;
  return `${i ? n.toFixed(1) : n} ${units[i]}`;
};

export function Database({ role }: { role: TRole }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const overview = useQuery(trpc.database.overview.queryOptions(undefined, { refetchInterval: 30_000 }));
  const [reason, setReason] = useState('');
  const [message, setMessage] = useState<string | null>(null);
  const vacuum = useMutation(trpc.database.vacuum.mutationOptions({
    onSuccess: (r) => {
      setMessage(`${r.command}: ${r.tables.length} tables in ${(r.ms / 1000).toFixed(1)} s`);
      void qc.invalidateQueries({ queryKey: trpc.database.overview.queryKey() });
    },
  }));
  const d = overview.data;
  const needReason = reason.trim().length < 3;

  return (
    <>
      <h1>Database</h1>
      {overview.error && <p role="alert" className="error">Cannot read the database: {overview.error.message}</p>}
      {message && <p role="status">{message}</p>}
      {vacuum.error && <p role="alert" className="error">{vacuum.error.message}</p>}
      {!d ? (
        <p aria-busy="true">Reading the database…</p>
      ) : (
        <>
          <div className="cards">
            <div className="card"><div className="label">Size</div><div className="value" data-testid="db-size">{bytes(d.sizeBytes)}</div><div className="sub">{d.database}</div></div>
            <div className="card">
              <div className="label">Connections</div><div className="value">{d.connections.total}</div>
              <div className="sub">{d.connections.serverTotal} of {d.connections.maxConnections} on the server; {d.connections.idleOver10m} idle &gt; 10 min</div>
            </div>
            <div className="card">
              <div className="label">Last backup</div><div className="value">{d.lastBackup ? time(d.lastBackup.at) : 'never'}</div>
              <div className="sub">{d.lastBackup ? `${bytes(d.lastBackup.bytes)}, ${d.lastBackup.tables} tables` : 'ai-trader db backup'}</div>
            </div>
            <div className="card">
              <div className="label">Last archive</div><div className="value">{d.lastArchive ? time(d.lastArchive.at) : 'never'}</div>
              <div className="sub">{d.lastArchive ? `${d.lastArchive.partitions.length} partitions, ${d.lastArchive.rows} rows (> ${d.lastArchive.olderThanDays} days)` : 'ai-trader db archive --days 90'}</div>
            </div>
          </div>
          <section aria-label="Partitions">
            <h2>Partitions</h2>
            <table data-testid="partitions">
              <thead><tr><th>Table</th><th className="num">Partitions</th><th>Oldest</th><th>Covered until (UTC)</th><th className="num">Days ahead</th><th className="num">Rows in DEFAULT</th></tr></thead>
              <tbody>
                {d.partitions.map((p) => (
                  <tr key={p.table} data-table={p.table}>
                    <td>{p.table}</td><td className="num">{p.count}</td><td>{p.oldest ?? '—'}</td><td>{p.coveredUntil?.slice(0, 10) ?? '—'}</td>
                    <td className={`num ${p.daysAhead === null || p.daysAhead < 7 ? 'neg' : ''}`}>{p.daysAhead ?? '—'}</td>
                    <td className={`num ${p.defaultRows ? 'neg' : ''}`}>{p.defaultRows}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
          <section aria-label="Tables">
            <h2>Largest tables</h2>
            <table data-testid="tables">
              <thead><tr><th>Table</th><th className="num">Size</th><th className="num">Rows (estimate)</th><th className="num">Partitions</th></tr></thead>
              <tbody>
                {d.tables.map((t) => (
                  <tr key={t.name}><td>{t.name}</td><td className="num">{bytes(t.totalBytes)}</td><td className="num">{t.rowsEstimate < 0 ? '—' : t.rowsEstimate}</td><td className="num">{t.kind === 'partitioned' ? t.partitions.length : ''}</td></tr>
                ))}
              </tbody>
            </table>
          </section>
          <section aria-label="Connections">
            <h2>Connections</h2>
            <p>By state: {Object.entries(d.connections.byState).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}</p>
            <table>
              <thead><tr><th>Application</th><th className="num">Connections</th></tr></thead>
              <tbody>{d.connections.byApplication.map((a) => <tr key={a.application}><td>{a.application}</td><td className="num">{a.count}</td></tr>)}</tbody>
            </table>
            <h3>Pools of this console</h3>
            <table data-testid="pools">
              <thead><tr><th>Pool</th><th className="num">Size</th><th className="num">Open</th><th className="num">Idle</th><th className="num">Waiting</th><th className="num">Timed out</th></tr></thead>
              <tbody>
                {d.pools.map((p) => (
                  <tr key={p.name}><td>{p.name}</td><td className="num">{p.max}</td><td className="num">{p.total}</td><td className="num">{p.idle}</td><td className="num">{p.waiting}</td><td className={`num ${p.exhaustedTotal ? 'neg' : ''}`}>{p.exhaustedTotal}</td></tr>
                ))}
              </tbody>
            </table>
          </section>
        </>
      )}
      {role === 'admin' && (
        <section aria-label="Maintenance">
          <h2>Maintenance</h2>
          <label className="reason">
            Reason (audited) <input value={reason} onChange={(e) => setReason(e.target.value)} placeholder="e.g. statistics stale after the archive" />
          </label>{' '}
          <button disabled={needReason || vacuum.isPending} onClick={() => vacuum.mutate({ analyzeOnly: false, reason })}>Vacuum + analyze</button>{' '}
          <button disabled={needReason || vacuum.isPending} onClick={() => vacuum.mutate({ analyzeOnly: true, reason })}>Analyze only</button>
          {vacuum.isPending && <span aria-busy="true"> running…</span>}
        </section>
      )}
    </>
  );
}
