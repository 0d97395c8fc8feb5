'use client';
// Gaps and problems in stored bars: the checks `ai-trader validate` runs (completeness against the NYSE
// calendar, OHLC, volume, outliers, session), over a range the person picks; runs of the same problem on
// consecutive slots are one line.
import type { TGapsInput, TGapsResult, TTimeframe } from '@ai-trader/contracts';
import { useMutation } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { time } from '@/lib/format';
import { useTRPCClient } from '@/lib/trpc';

function problems(e: { message: string; data?: { validation?: string[] | null } | null } | null): string[] {
  if (!e) return [];
  return e.data?.validation?.length ? e.data.validation : [e.message];
}
const slot = (tf: TTimeframe, iso: string) => (tf === '1d' ? iso.slice(0, 10) : time(iso));

export function Gaps({ defaultSymbols, defaultDay }: { defaultSymbols: string[]; defaultDay: string }) {
  const client = useTRPCClient();
  const [symbols, setSymbols] = useState(defaultSymbols.join(', '));
  const [timeframe, setTimeframe] = useState<TTimeframe>('5m');
  const [from, setFrom] = useState(defaultDay);
  const [to, setTo] = useState(defaultDay);
  const [session, setSession] = useState<TGapsInput['session']>('regular');
  const check = useMutation({ mutationFn: (i: TGapsInput) => client.data.gaps.query(i) });
  const errors = problems(check.error as Parameters<typeof problems>[0]);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    check.mutate({ symbols: symbols.split(',').map((s) => s.trim().toUpperCase()).filter(Boolean), timeframe, from, to, session });
  };
  return (
    <section aria-labelledby="gaps-h">
      <h2 id="gaps-h">Gaps in stored bars</h2>
      <form className="gaps-form" aria-label="Check stored bars for gaps" onSubmit={submit} noValidate>
        <label className="wide">Symbols (comma-separated, at most 10)<input name="symbols" value={symbols} onChange={(e) => setSymbols(e.target.value)} autoComplete="off" /></label>
        <label>
          Timeframe
          <select name="timeframe" value={timeframe} onChange={(e) => setTimeframe(e.target.value as TTimeframe)}>
            {(['1m', '5m', '1h', '1d'] as const).map((tf) => <option key={tf} value={tf}>{tf}</option>)}
          </select>
        </label>
        <label>From (New York date)<input name="from" type="date" value={from} onChange={(e) => setFrom(e.target.value)} /></label>
        <label>To (New York date)<input name="to" type="date" value={to} onChange={(e) => setTo(e.target.value)} /></label>
        <label>
          Session
          <select name="session" value={session} onChange={(e) => setSession(e.target.value as TGapsInput['session'])}>
            <option value="regular">regular</option><option value="extended">extended</option><option value="any">any</option>
          </select>
        </label>
        <button type="submit" disabled={check.isPending}>{check.isPending ? 'Checking…' : 'Check for gaps'}</button>
      </form>
      <div aria-live="polite">
        {errors.length > 0 && <ul role="alert" className="error" aria-label="Gaps check not run">{errors.map((m) => <li key={m}>{m}</li>)}</ul>}
        {check.data && !check.error && <GapsTable r={check.data} />}
      </div>
    </section>
  );
}

function GapsTable({ r }: { r: TGapsResult }) {
  return (
    <table data-testid="gaps" aria-label={`Stored ${r.timeframe} bars ${r.from} to ${r.to}`}>
      <thead><tr><th>Symbol</th><th className="num">Good</th><th className="num">Rejected</th><th className="num">Warnings</th><th className="num">Missing</th><th>Problems (New York)</th></tr></thead>
      <tbody>
        {r.series.map((s) => (
          <tr key={s.symbol} data-symbol={s.symbol} data-missing={s.missing}>
            <td>{s.symbol}</td><td className="num">{s.good}</td><td className={`num ${s.rejected ? 'neg' : ''}`}>{s.rejected}</td>
            <td className="num">{s.warnings}</td><td className={`num ${s.missing ? 'neg' : ''}`}>{s.missing}</td>
            <td>
              {s.runs.length === 0 ? <span className="pos">none: complete and clean</span> : (
                <ul className="problem-runs">
                  {s.runs.map((p) => (
                    <li key={`${p.kind}:${p.from}`}>
                      <code>{p.kind}</code> {slot(r.timeframe, p.from)}{p.count > 1 ? ` – ${slot(r.timeframe, p.to)} (${p.count} bars)` : ''}: {p.detail}
                    </li>
                  ))}
                  {s.more > 0 && <li className="muted">… and {s.more} more; narrow the range or run ai-trader validate</li>}
                </ul>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
