'use client';
// Stop entries and HALT (trader+), RESUME (admin, password again; a second admin approves under the two-person
// policy), each behind a confirmation that asks for a reason.
import type { TRole, TTradingState } from '@ai-trader/contracts';
import { useMutation } from '@tanstack/react-query';
import { useRef, useState } from 'react';
import { time } from '@/lib/format';
import { useTRPC } from '@/lib/trpc';

type Action = 'halt' | 'resume' | 'stop';

const TITLE = { halt: 'Confirm HALT', resume: 'Confirm resume', stop: 'Confirm stop entries' } as const;
const QUESTION = { halt: 'Halt all trading?', resume: 'Resume trading?', stop: 'Stop new entries?' } as const;
const EXPLAIN = {
  halt: 'Trading state becomes HALTED: every open order is cancelled at the broker and no order is sent until an admin resumes.',
  resume: 'Trading state becomes ACTIVE: the strategy may open new positions again.',
  stop: 'Trading state becomes REDUCING: no new entries; exits (stop-loss, take-profit, strategy exits) still go out.',
} as const;

export function HaltControls({ state, role }: { state: TTradingState; role: TRole }) {
  const trpc = useTRPC();
  const dialog = useRef<HTMLDialogElement>(null);
  const [action, setAction] = useState<Action>('halt');
  const [reason, setReason] = useState('');
  const [password, setPassword] = useState('');
  const [result, setResult] = useState<string | null>(null);
  const halt = useMutation(trpc.trading.halt.mutationOptions({
    onSuccess: (r) => setResult(`HALTED. Cancelled ${r.canceledOrders.length} open order(s); ${r.stillOpen.length === 0 ? 'the broker reports no open orders.' : `still open at the broker: ${r.stillOpen.join(', ')}`}`),
  }));
  const resume = useMutation(trpc.trading.resume.mutationOptions({
    onSuccess: (r) =>
      setResult(r.pendingApproval
        ? `Resume requested: a second admin must approve it on the Admin page (expires ${time(r.pendingApproval.expiresAt.toISOString())}).`
        : 'Trading resumed (ACTIVE).'),
  }));
  const stop = useMutation(trpc.trading.stopEntries.mutationOptions({ onSuccess: () => setResult('Entries stopped (REDUCING): exits only.') }));
  const pending = halt.isPending || resume.isPending || stop.isPending;
  const error = halt.error ?? resume.error ?? stop.error;

  const open = (a: Action) => {
    setAction(a);
    setReason('');
    setPassword('');
    setResult(null);
    dialog.current?.showModal();
  };
  const confirm = () => {
    const done = { onSettled: () => dialog.current?.close() };
    if (action === 'resume') resume.mutate({ reason, password }, done);
    else (action === 'halt' ? halt : stop).mutate({ reason }, done);
  };

  return (
    <section className="controls" aria-label="Emergency controls">
      {role !== 'viewer' && state === 'ACTIVE' && <button className="warn" onClick={() => open('stop')}>Stop entries</button>}
      {role !== 'viewer' && state !== 'HALTED' && <button className="danger" onClick={() => open('halt')}>HALT trading</button>}
      {role === 'admin' && state !== 'ACTIVE' && <button onClick={() => open('resume')}>Resume trading</button>}
      {result && <p role="status" className="result">{result}</p>}
      {error && <p role="alert" className="error">{error.message}</p>}
      <dialog ref={dialog} aria-label={TITLE[action]}>
        <form method="dialog" onSubmit={(e) => { e.preventDefault(); confirm(); }}>
          <h2>{QUESTION[action]}</h2>
          <p>{EXPLAIN[action]}</p>
          <label>
            Reason (kept in the audit log)
            <textarea name="reason" value={reason} onChange={(e) => setReason(e.target.value)} minLength={3} required autoFocus />
          </label>
          {action === 'resume' && (
            <label>
              Your password (resuming needs it again)
              <input type="password" name="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required />
            </label>
          )}
          <div className="row">
            <button type="button" onClick={() => dialog.current?.close()}>Cancel</button>
            <button type="submit" className={action === 'halt' ? 'danger' : action === 'stop' ? 'warn' : ''} disabled={pending || reason.trim().length < 3 || (action === 'resume' && !password)}>
              {TITLE[action]}
            </button>
          </div>
        </form>
      </dialog>
    </section>
  );
}
