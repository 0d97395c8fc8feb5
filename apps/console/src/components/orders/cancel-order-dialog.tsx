'use client';
// Asks for a reason before cancelling a working order (kept in the audit log), then says what the broker answered.
import type { TOrderRow } from '@ai-trader/contracts';
import { useMutation } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { useTRPC } from '@/lib/trpc';

export function CancelOrderDialog({ row, onDone }: { row: TOrderRow | null; onDone: () => void }) {
  const trpc = useTRPC();
  const dialog = useRef<HTMLDialogElement>(null);
  const [reason, setReason] = useState('');
  const [result, setResult] = useState<string | null>(null);
  const cancel = useMutation(trpc.orders.cancel.mutationOptions({
    onSuccess: (r) => setResult(r.result === 'canceled'
      ? `Order ${r.clientOrderId} cancelled at the broker (now ${r.status}).`
      : `Order ${r.clientOrderId} had already filled at the broker: its fills reach the books as trade updates.`),
  }));

  useEffect(() => {
    if (!row) return;
    setReason('');
    setResult(null);
    cancel.reset();
    dialog.current?.showModal();
  }, [row]); // once per chosen order (cancel.reset is stable)

  const dismiss = () => {
    dialog.current?.close();
    onDone();
  };
  const problem = cancel.error ? (cancel.error.data?.validation?.join('; ') ?? cancel.error.message) : null;
  const o = row?.order;

  return (
    <>
      {result && <p role="status" className="result" data-testid="cancel-result">{result}</p>}
      <dialog ref={dialog} aria-label="Confirm cancel order" onClose={onDone}>
        <form method="dialog" onSubmit={(e) => {
          e.preventDefault();
          if (o) cancel.mutate({ clientOrderId: o.clientOrderId, reason }, { onSuccess: dismiss });
        }}>
          <h2>Cancel {row?.side} {row?.qty} {row?.symbol}?</h2>
          <p>
            Order <code>{o?.clientOrderId}</code> ({row?.status}, {o?.filledQty} filled) is cancelled at the {o?.broker} broker; what has filled stays filled.
          </p>
          <label>
            Reason (kept in the audit log)
            <textarea name="reason" value={reason} onChange={(e) => setReason(e.target.value)} minLength={3} required autoFocus />
          </label>
          {problem && <p role="alert" className="error">{problem}</p>}
          <div className="row">
            <button type="button" onClick={dismiss}>Keep it</button>
            <button type="submit" className="danger" disabled={cancel.isPending || reason.trim().length < 3}>
              {cancel.isPending ? 'Cancelling…' : 'Confirm cancel'}
            </button>
          </div>
        </form>
      </dialog>
    </>
  );
}
