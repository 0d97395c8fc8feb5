'use client';
// Logs: every process's log lines from the log store, filtered on the server by category, lowest level, text and a
// New York time range; new matching lines are pushed live (SSE) to the top. Each line opens to its JSON.
import type { TLogCategoryFilter, TLogLevelName } from '@ai-trader/contracts';
import { useState, type FormEvent } from 'react';
import { nyLocalToIso } from '@/lib/format';
import { LogResults, type LogQuery } from './log-results';

// The contracts' categories (types only here: the contracts package's runtime has Node imports).
const TABS: Array<[TLogCategoryFilter | undefined, string]> = [
  [undefined, 'All'], ['orders', 'Orders'], ['positions', 'Positions'], ['risk', 'Risk'], ['backfill', 'Backfill'], ['scanner', 'Scanner'],
  ['data', 'Data'], ['system', 'System'], ['errors', 'Errors'],
];
const LEVELS: Array<[TLogLevelName | '', string]> = [
  ['', 'any'], ['debug', 'debug and up'], ['info', 'info and up'], ['warn', 'warn and up'], ['error', 'error and up'], ['fatal', 'fatal'],
];

export function Logs() {
  const [category, setCategory] = useState<TLogCategoryFilter | undefined>(undefined);
  const [minLevel, setMinLevel] = useState<TLogLevelName | ''>('');
  const [draft, setDraft] = useState({ text: '', from: '', to: '' });
  const [applied, setApplied] = useState({ text: '', from: '', to: '' });
  const [live, setLive] = useState(true);
  const [formError, setFormError] = useState<string | null>(null);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const from = draft.from ? nyLocalToIso(draft.from) : '';
    const to = draft.to ? nyLocalToIso(draft.to) : '';
    if (from === null || to === null) return setFormError('A time must be a full New York date and time, like 2025-06-04 10:00.');
    if (from && to && from > to) return setFormError('“From” is after “To”: swap them or clear one.');
    setFormError(null);
    setApplied({ text: draft.text.trim(), from, to });
  };
  const clear = () => {
    setDraft({ text: '', from: '', to: '' });
    setApplied({ text: '', from: '', to: '' });
    setFormError(null);
  };

  const query: LogQuery = {
    ...(category ? { category } : {}), ...(minLevel ? { minLevel } : {}), ...(applied.text ? { text: applied.text } : {}),
    ...(applied.from ? { from: applied.from } : {}), ...(applied.to ? { to: applied.to } : {}),
  };
  const liveBlocked = !!applied.to;

  return (
    <section aria-label="Logs">
      <h1>Logs</h1>
      <div className="log-tabs" role="group" aria-label="Category">
        {TABS.map(([c, label]) => (
          <button key={label} type="button" aria-pressed={category === c} data-category={c ?? 'all'} onClick={() => setCategory(c)}>{label}</button>
        ))}
      </div>
      <form className="log-filters" aria-label="Filter logs" onSubmit={submit} noValidate>
        <label>
          Lowest level
          <select name="level" value={minLevel} onChange={(e) => setMinLevel(e.target.value as TLogLevelName | '')}>
            {LEVELS.map(([v, label]) => <option key={label} value={v}>{label}</option>)}
          </select>
        </label>
        <label className="wide">
          Text (message or any field)
          <input name="text" type="search" value={draft.text} maxLength={200} onChange={(e) => setDraft({ ...draft, text: e.target.value })} placeholder="e.g. rejected, SPY, ait-…" autoComplete="off" />
        </label>
        <label>
          From (New York)
          <input name="from" type="datetime-local" step={1} value={draft.from} onChange={(e) => setDraft({ ...draft, from: e.target.value })} />
        </label>
        <label>
          To (New York)
          <input name="to" type="datetime-local" step={1} value={draft.to} onChange={(e) => setDraft({ ...draft, to: e.target.value })} />
        </label>
        <button type="submit">Search</button>
        <button type="button" onClick={clear}>Clear</button>
        <label className="check">
          <input type="checkbox" checked={live && !liveBlocked} disabled={liveBlocked} onChange={(e) => setLive(e.target.checked)} />
          Live
        </label>
        {formError && <p role="alert" className="error form-feedback">{formError}</p>}
      </form>
      <LogResults key={JSON.stringify(query)} query={query} live={live && !liveBlocked} liveNote={liveBlocked ? 'live is off while a “To” time is set' : null} />
    </section>
  );
}
