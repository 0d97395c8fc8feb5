'use client';
// The steps of the running (or last) emergency action — halted → orders cancelled → positions closing → verified
// flat / still open → books updated — as the server pushes them (emergency.progressLive), and its verified end
// state. One subscription for the panel (EmergencyProgressProvider); the confirm dialogs show the same steps live.
import type { TEmergencyProgress, TEmergencyStep } from '@ai-trader/contracts';
import { useSubscription } from '@trpc/tanstack-react-query';
import { createContext, useContext, useState, type ReactNode } from 'react';
import { time } from '@/lib/format';
import { useTRPC } from '@/lib/trpc';

const ProgressContext = createContext<TEmergencyProgress | null>(null);

export function EmergencyProgressProvider({ children }: { children: ReactNode }) {
  const trpc = useTRPC();
  const sub = useSubscription(trpc.emergency.progressLive.subscriptionOptions());
  return <ProgressContext.Provider value={(sub.data as TEmergencyProgress | null | undefined) ?? null}>{children}</ProgressContext.Provider>;
}

export const useEmergencyProgress = () => useContext(ProgressContext);

const ACTION = {
  'stop-entries': 'Stop entries', halt: 'HALT', liquidate: 'Liquidate everything', 'cancel-all': 'Cancel all orders',
  suspend: 'Suspend at broker', unsuspend: 'Unsuspend at broker', resume: 'Resume',
} as const satisfies Record<TEmergencyProgress['action'], string>;

const STEP = {
  halted: 'Halted — new orders blocked', suspended: 'Suspended at the broker', unsuspended: 'Unsuspended at the broker',
  'orders-cancelled': 'Orders cancelled', 'positions-closing': 'Positions closing', verifying: 'Verifying with the broker',
  'verified-flat': 'Verified flat', 'still-open': 'Still open', booked: 'Books updated', failed: 'Failed',
} as const satisfies Record<TEmergencyStep['step'], string>;

/** What comes next while an action runs, so the user sees where it stands, not a spinner. */
const NEXT: Partial<Record<TEmergencyProgress['action'], TEmergencyStep['step'][]>> = {
  liquidate: ['halted', 'orders-cancelled', 'positions-closing', 'verified-flat', 'booked'],
  halt: ['halted', 'orders-cancelled'],
  suspend: ['halted', 'suspended', 'orders-cancelled'],
  'cancel-all': ['orders-cancelled'],
};

function Steps({ p }: { p: TEmergencyProgress }) {
  const running = !p.finishedAt;
  const seen = new Set(p.steps.map((s) => s.step));
  const waiting = running ? (NEXT[p.action] ?? []).filter((s) => !seen.has(s) && !(s === 'verified-flat' && seen.has('still-open'))) : [];
  return (
    <ol className="steps">
      {p.steps.map((s, i) => (
        <li key={i} data-step={s.step} className={s.ok ? 'step-ok' : 'step-bad'}>
          <span aria-hidden="true">{s.ok ? '✓' : '✗'}</span> <strong>{STEP[s.step]}</strong> <span className="step-ms">+{s.ms} ms</span> — {s.detail}
        </li>
      ))}
      {waiting.map((s, i) => (
        <li key={`w${s}`} data-step={s} className="step-waiting" aria-busy={i === 0}>
          <span aria-hidden="true">{i === 0 ? '…' : '·'}</span> {STEP[s]}{i === 0 ? ' (working)' : ''}
        </li>
      ))}
    </ol>
  );
}

const RECENT_MS = 15 * 60_000;

/** The panel's view: the running action, or one that finished in the last 15 minutes, until hidden. */
export function EmergencyProgressView() {
  const p = useEmergencyProgress();
  const [hidden, setHidden] = useState<string | null>(null);
  if (!p || p.runId === hidden) return null;
  if (p.finishedAt && Date.now() - Date.parse(p.finishedAt) > RECENT_MS) return null;
  const state = !p.finishedAt ? 'running' : p.ok ? 'done' : 'incomplete';
  return (
    <section className={`emergency-progress progress-${state}`} aria-label="Emergency action" data-testid="emergency-progress" data-action={p.action} data-state={state}>
      <header>
        <strong>{ACTION[p.action]}</strong> by {p.actor} · {time(p.startedAt)} · {state === 'running' ? 'running…' : state === 'done' ? 'done' : 'NOT complete'}
        {p.finishedAt && <button type="button" className="link" onClick={() => setHidden(p.runId)}>Hide</button>}
      </header>
      <p className="reason">Reason: {p.reason}</p>
      <Steps p={p} />
      {p.outcome && (
        <p className={p.ok ? 'pos' : 'neg'} data-testid="emergency-outcome">
          <strong>End state:</strong> {p.outcome}
        </p>
      )}
    </section>
  );
}

/** Inside a confirm dialog: the steps of the action started from it (one that began after `since`). */
export function LiveSteps({ since, action }: { since: number; action: TEmergencyProgress['action'] }) {
  const p = useEmergencyProgress();
  if (!p || p.action !== action || Date.parse(p.startedAt) < since - 5_000) return null;
  return (
    <div className="emergency-progress" aria-label="Progress" data-testid="dialog-progress">
      <Steps p={p} />
    </div>
  );
}
