'use client';
// A modal confirmation that asks for a reason (kept in the audit log) before an operator acts on one row,
// then says what the server answered: the one shape of "cancel this order" and "close this position".
import { useEffect, useRef, useState, type ReactNode } from 'react';

/** A failed call as the console's tRPC errors carry it: what was wrong with the input in `data.validation`. */
interface Problem {
  message: string;
  data?: { validation?: string[] | null } | null;
}

/** The part of a TanStack mutation the dialog drives (a `useMutation` result fits). */
export interface ReasonMutation<TData, TVariables> {
  mutate: (variables: TVariables, options: { onSuccess: (data: TData) => void }) => void;
  reset: () => void;
  isPending: boolean;
  error: Problem | null;
}

export interface ReasonConfirmDialogProps<TSubject, TData, TVariables> {
  /** The row acted on; each new one opens the dialog afresh (empty reason, no earlier answer). */
  subject: TSubject | null;
  /** The dialog's accessible name. */
  label: string;
  title: ReactNode;
  /** What the action does, shown above the reason. */
  children: ReactNode;
  /** The confirm button's text, and its text while the call runs. */
  confirm: string;
  pending: string;
  mutation: ReasonMutation<TData, TVariables>;
  /** The call's input for this subject and reason; null when there is nothing to send. */
  variables: (subject: TSubject, reason: string) => TVariables | null;
  /** The sentence shown (role status, outside the dialog) once the call succeeded. */
  describe: (data: TData) => string;
  resultTestId: string;
  onDone: () => void;
}

const MIN_REASON = 3;

export function ReasonConfirmDialog<TSubject, TData, TVariables>({
  subject, label, title, children, confirm, pending, mutation, variables, describe, resultTestId, onDone,
}: ReasonConfirmDialogProps<TSubject, TData, TVariables>) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [reason, setReason] = useState('');
  const [result, setResult] = useState<string | null>(null);

  useEffect(() => {
    if (!subject) return;
    setReason('');
    setResult(null);
    mutation.reset();
    dialog.current?.showModal();
  }, [subject]); // once per chosen subject (mutation.reset is stable)

  const dismiss = () => {
    dialog.current?.close();
    onDone();
  };
  const problem = mutation.error ? (mutation.error.data?.validation?.join('; ') ?? mutation.error.message) : null;

  return (
    <>
      {result && <p role="status" className="result" data-testid={resultTestId}>{result}</p>}
      <dialog ref={dialog} aria-label={label} onClose={onDone}>
        <form method="dialog" onSubmit={(e) => {
          e.preventDefault();
          const input = subject ? variables(subject, reason) : null;
          if (input) mutation.mutate(input, { onSuccess: (data) => { setResult(describe(data)); dismiss(); } });
        }}>
          <h2>{title}</h2>
          <p>{children}</p>
          <label>
            Reason (kept in the audit log)
            <textarea name="reason" value={reason} onChange={(e) => setReason(e.target.value)} minLength={MIN_REASON} required autoFocus />
          </label>
          {problem && <p role="alert" className="error">{problem}</p>}
          <div className="row">
            <button type="button" onClick={dismiss}>Keep it</button>
            <button type="submit" className="danger" disabled={mutation.isPending || reason.trim().length < MIN_REASON}>
              {mutation.isPending ? pending : confirm}
            </button>
          </div>
        </form>
      </dialog>
    </>
  );
}
