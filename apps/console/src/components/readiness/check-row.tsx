'use client';
// One readiness check: status as a symbol, a word and a colour (never the colour alone), its age against its window,
// what was found, what to do, and the evidence behind it in a disclosure (a <details>: keyboard and screen readers
// get it for free).
import type { TReadinessItem } from '@ai-trader/contracts';
import { age, time } from '@/lib/format';

export const STATUS_LOOK: Record<TReadinessItem['status'], { mark: string; word: string; className: string }> = {
  pass: { mark: '✓', word: 'Pass', className: 'pos' },
  fail: { mark: '✗', word: 'Fail', className: 'neg' },
  stale: { mark: '⏱', word: 'Stale', className: 'status-queued' },
  'not-run': { mark: '–', word: 'Not run', className: 'status-expired' },
};

const evidenceValue = (v: unknown) => (Array.isArray(v) ? (v.length ? v.join('\n') : '(none)') : v === null ? '—' : String(v));

export function CheckRow({ item, canRun, running, onRun }: { item: TReadinessItem; canRun: boolean; running: boolean; onRun: () => void }) {
  const look = STATUS_LOOK[item.status];
  const evidence = Object.entries(item.evidence);
  return (
    <tr data-check={item.id} data-status={item.status}>
      <td className={look.className}>
        <span aria-hidden="true">{look.mark} </span>
        <strong>{look.word}</strong>
      </td>
      <td>
        <div><strong>{item.title}</strong> <code>{item.id}</code></div>
        <div>{item.summary}</div>
        {item.status !== 'pass' && item.remedy && <div><em>To do:</em> {item.remedy}</div>}
        {evidence.length > 0 && (
          <details>
            <summary>Evidence</summary>
            <dl>
              {evidence.map(([k, v]) => (
                <div key={k}><dt>{k}</dt><dd style={{ whiteSpace: 'pre-wrap' }}>{evidenceValue(v)}</dd></div>
              ))}
            </dl>
          </details>
        )}
      </td>
      <td>
        {item.finishedAt ? (
          <>
            <div title={time(item.finishedAt)}>{age(item.ageSeconds)} ago</div>
            <div className="muted">by {item.ranBy} ({item.trigger})</div>
          </>
        ) : 'never'}
        <div className="muted">window {age(item.windowSeconds)}{item.scheduled ? ', scheduled' : ''}</div>
      </td>
      <td>
        {canRun && (
          <button type="button" disabled={running} onClick={onRun} aria-label={`Run ${item.title} now`}>
            {item.scheduled ? 'Queue run' : 'Run now'}
          </button>
        )}
      </td>
    </tr>
  );
}
