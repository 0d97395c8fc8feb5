'use client';
// The lines of one filter: the newest page from the server, older pages on request, and (live) new lines
// pushed over SSE starting right after the newest line the page was read at. Remounted when the filter changes.
import type { TLogCategoryFilter, TLogLevelName, TLogLine, TLogPage } from '@ai-trader/contracts';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useSubscription } from '@trpc/tanstack-react-query';
import { useState } from 'react';
import { logTime, time } from '@/lib/format';
import { useTRPC } from '@/lib/trpc';

export interface LogQuery {
  category?: TLogCategoryFilter;
  minLevel?: TLogLevelName;
  text?: string;
  from?: string;
  to?: string;
}

const PAGE_SIZE = 200;
/** Pushed lines kept on the page; older ones stay reachable by searching. */
const MAX_FRESH = 1000;

function problems(e: { message: string; data?: { validation?: string[] | null } | null } | null): string[] {
  if (!e) return [];
  return e.data?.validation?.length ? e.data.validation : [e.message];
}

export function LogResults({ query, live, liveNote }: { query: LogQuery; live: boolean; liveNote: string | null }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const first = useQuery(trpc.logs.search.queryOptions({ ...query, limit: PAGE_SIZE }, { staleTime: Infinity }));
  const [older, setOlder] = useState<TLogPage[]>([]);
  const [loadingOlder, setLoadingOlder] = useState(false);
  const [olderError, setOlderError] = useState<string | null>(null);
  const [fresh, setFresh] = useState<TLogLine[]>([]);
  const [open, setOpen] = useState<Record<string, boolean>>({});

  const { from: _from, to: _to, ...filter } = query;
  const sub = useSubscription(
    trpc.logs.live.subscriptionOptions(
      { ...filter, after: first.data?.newestId ?? '0-0' },
      {
        enabled: live && !!first.data,
        onData: (e) => setFresh((prev) => {
          const seen = new Set(prev.map((l) => l.id));
          return [...e.data.filter((l) => !seen.has(l.id)), ...prev].slice(0, MAX_FRESH);
        }),
      },
    ),
  );

  if (!first.data) {
    return first.error ? (
      <div role="alert" className="error">
        <p>Cannot search the logs:</p>
        <ul>{problems(first.error).map((m) => <li key={m}>{m}</li>)}</ul>
        <p>Change the filters, or reload the page if Redis was restarted.</p>
      </div>
    ) : (
      <table className="logs" aria-busy="true" aria-label="Log lines (loading)">
        <tbody>{[0, 1, 2, 3, 4].map((i) => <tr key={i} className="skeleton-row"><td colSpan={6}>Searching the logs…</td></tr>)}</tbody>
      </table>
    );
  }

  const pages = [first.data, ...older];
  const last = pages[pages.length - 1]!;
  const lines = [...fresh, ...pages.flatMap((p) => p.lines)];
  const scanned = pages.reduce((n, p) => n + p.scanned, 0);

  const loadOlder = async () => {
    if (!last.nextBefore) return;
    setLoadingOlder(true);
    setOlderError(null);
    try {
      const page = await qc.fetchQuery(trpc.logs.search.queryOptions({ ...query, limit: PAGE_SIZE, before: last.nextBefore }, { staleTime: Infinity }));
      setOlder((o) => [...o, page]);
    } catch (e) {
      setOlderError((e as Error).message);
    } finally {
      setLoadingOlder(false);
    }
  };

  return (
    <>
      <p className="live" data-testid="live-status">
        {!live ? `○ ${liveNote ?? 'live off'}` : sub.status === 'pending' ? '● live: new lines appear at the top' : sub.status === 'connecting' ? '○ connecting…' : sub.status === 'error' ? `○ live stopped: ${sub.error?.message ?? 'error'}` : `○ ${sub.status}`}
      </p>
      {lines.length === 0 ? (
        <p className="empty-note" data-testid="logs-empty">
          {first.data.stored === 0
            ? 'No log lines are stored yet. Every process keeps its lines here while LOG_STORE=true (the default); they appear as soon as something logs.'
            : last.partial
              ? `No matching line among the newest ${scanned} lines searched (back to ${time(last.searchedBackTo)}). Search older lines, or widen the level, category or time range.`
              : 'No line matches these filters. Widen the level, category or time range, or clear the text.'}
        </p>
      ) : (
        <table className="logs" data-testid="logs">
          <thead>
            <tr><th aria-label="Details" /><th>Time (New York)</th><th>Level</th><th>Category</th><th>Process</th><th>Message</th></tr>
          </thead>
          <tbody>
            {lines.map((l) => {
              const expanded = !!open[l.id];
              return (
                <LogRow key={l.id} line={l} expanded={expanded} onToggle={() => setOpen((o) => ({ ...o, [l.id]: !expanded }))} />
              );
            })}
          </tbody>
        </table>
      )}
      <div className="log-more">
        {last.nextBefore ? (
          <>
            {last.partial && lines.length > 0 && <span className="muted">Searched {scanned} lines back to {time(last.searchedBackTo)}; older lines were not searched yet. </span>}
            <button type="button" onClick={() => void loadOlder()} disabled={loadingOlder} aria-busy={loadingOlder}>
              {loadingOlder ? 'Searching…' : last.partial ? 'Search older lines' : 'Load older lines'}
            </button>
          </>
        ) : (
          lines.length > 0 && <span className="muted">That is all: the beginning of the stored log{query.from ? ' or of the time range' : ''}.</span>
        )}
        {olderError && <p role="alert" className="error">Cannot load older lines: {olderError}</p>}
      </div>
    </>
  );
}

function LogRow({ line: l, expanded, onToggle }: { line: TLogLine; expanded: boolean; onToggle: () => void }) {
  const detailId = `log-${l.id}`;
  return (
    <>
      <tr data-level={l.levelName} data-category={l.category} className={`log-row lvl-row-${l.levelName}`}>
        <td>
          <button type="button" className="link expand" aria-expanded={expanded} aria-controls={detailId} aria-label={`${expanded ? 'Hide' : 'Show'} the JSON of this line`} onClick={onToggle}>
            {expanded ? '▾' : '▸'}
          </button>
        </td>
        <td className="log-time">{logTime(l.time)}</td>
        <td><span className={`lvl lvl-${l.levelName}`}>{l.levelName}</span></td>
        <td>{l.category}</td>
        <td>{l.name ?? '—'}</td>
        <td className="log-msg">{l.msg}</td>
      </tr>
      {expanded && (
        <tr className="log-json-row" id={detailId}>
          <td colSpan={6}>
            <pre className="log-json" tabIndex={0} aria-label="The line as JSON">{pretty(l.line)}</pre>
          </td>
        </tr>
      )}
    </>
  );
}

const pretty = (line: string) => {
  try {
    return JSON.stringify(JSON.parse(line), null, 2);
  } catch {
    return line;
  }
};
