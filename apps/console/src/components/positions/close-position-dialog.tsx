'use client';
// Asks for a reason before a manual close (kept in the audit log), then says what was sent or why it was refused.
import type { TPositionRow } from '@ai-trader/contracts';
import { useMutation } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { useTRPC } from '@/lib/trpc';

export function ClosePositionDialog({ position, onDone }: { position: TPositionRow | null; onDone: () => void }) {
  const trpc = useTRPC();
  const dialog = useRef<HTMLDialogElement>(null);
  const [reason, setReason] = useState('');
  const [result, setResult] = useState<string | null>(null);
  const close = useMutation(trpc.positions.close.mutationOptions({
    onSuccess: (r) => setResult(`Close of ${r.symbol} sent to risk: it sells the ${r.qty} shares held at the next bar. Follow it on the Orders page.`),
  }));

  useEffect(() => {
    if (!position) return;
    setReason('');
    setResult(null);
    close.reset();
    dialog.current?.showModal();
  }, [position]); // once per chosen position (close.reset is stable)

  const dismiss = () => {
    dialog.current?.close();
    onDone();
  };
  const problem = close.error ? (close.error.data?.validation?.join('; ') ?? close.error.message) : null;

  return (
    <>
      {result && <p role="status" className="result" data-testid="close-result">{result}</p>}
      <dialog ref={dialog} aria-label="Confirm close position" onClose={onDone}>
        <form method="dialog" onSubmit={(e) => {
          e.preventDefault();
          if (position) close.mutate({ symbol: position.symbol, reason }, { onSuccess: dismiss });
        }}>
          <h2>Close {position?.symbol}?</h2>
          <p>
            Sells the {position?.qty} shares held at market, through risk like any exit (allowed while REDUCING, not while HALTED).
            With a simulated market it fills at the next bar&apos;s open.
          </p>
          <label>
            Reason (kept in the audit log)
            <textarea name="reason" value={reason} onChange={(e) => setReason(e.target.value)} minLength={3} required autoFocus />
          </label>
          {problem && <p role="alert" className="error">{problem}</p>}
          <div className="row">
            <button type="button" onClick={dismiss}>Keep it</button>
            <button type="submit" className="danger" disabled={close.isPending || reason.trim().length < 3}>
              {close.isPending ? 'Closing…' : 'Confirm close'}
            </button>
          </div>
        </form>
      </dialog>
    </>
  );
}
