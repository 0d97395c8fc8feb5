'use client';
// The confirmation every admin change goes through: what will happen, why (kept in the audit log, when asked),
// and the admin's password again. The dialog stays open on a wrong password and says so.
import { useEffect, useRef, useState, type ReactNode } from 'react';

export interface PasswordConfirm {
  title: string;
  explain: ReactNode;
  /** Ask for a reason (audited) as well as the password. */
  reason?: boolean;
  confirmLabel: string;
  danger?: boolean;
  run: (input: { reason: string; password: string }) => Promise<unknown>;
}

export function ConfirmWithPassword({ confirm, onClose }: { confirm: PasswordConfirm | null; onClose: (done: boolean) => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [reason, setReason] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!confirm) return;
    setReason('');
    setPassword('');
    setError(null);
    dialog.current?.showModal();
  }, [confirm]);

  if (!confirm) return null;
  const ready = password.length > 0 && (!confirm.reason || reason.trim().length >= 3);
  return (
    <dialog ref={dialog} aria-label={confirm.title} onClose={() => onClose(false)}>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          setError(null);
          try {
            await confirm.run({ reason: reason.trim(), password });
            dialog.current?.close();
            onClose(true);
          } catch (err) {
            const v = (err as { data?: { validation?: string[] | null } }).data?.validation;
            setError(v?.length ? v.join('; ') : (err as Error).message);
          } finally {
            setBusy(false);
          }
        }}
      >
        <h2>{confirm.title}</h2>
        <div>{confirm.explain}</div>
        {confirm.reason && (
          <label>
            Reason (kept in the audit log)
            <textarea name="reason" value={reason} onChange={(e) => setReason(e.target.value)} minLength={3} required autoFocus />
          </label>
        )}
        <label>
          Your password (admin changes need it again)
          <input type="password" name="admin-password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required autoFocus={!confirm.reason} />
        </label>
        {error && <p role="alert" className="error">{error}</p>}
        <div className="row">
          <button type="button" onClick={() => dialog.current?.close()}>Cancel</button>
          <button type="submit" className={confirm.danger ? 'danger' : ''} disabled={busy || !ready}>{busy ? 'Working…' : confirm.confirmLabel}</button>
        </div>
      </form>
    </dialog>
  );
}
