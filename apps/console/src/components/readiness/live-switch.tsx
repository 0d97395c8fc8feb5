'use client';
// The live switch (admins): go live only when every check is pass and fresh — the button says why it is disabled —
// with a reason and the password again; back to paper at any time. Under two-person approval, going live only asks,
// and another admin approves on the Admin page.
import type { TReadinessReport } from '@ai-trader/contracts';
import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { useTRPC } from '@/lib/trpc';

export function LiveSwitch({ report, onDone }: { report: TReadinessReport; onDone: (message: string) => void }) {
  const trpc = useTRPC();
  const [reason, setReason] = useState('');
  const [password, setPassword] = useState('');
  const done = (message: string) => {
    setPassword('');
    onDone(message);
  };
  const goLive = useMutation(trpc.readiness.goLive.mutationOptions({
    onSuccess: (r) => done(r.pendingApproval ? 'Live switch requested: another admin approves it on the Admin page' : r.changed ? 'Broker account switched to LIVE' : 'The broker account was already live'),
  }));
  const goPaper = useMutation(trpc.readiness.goPaper.mutationOptions({ onSuccess: (r) => done(r.changed ? 'Broker account switched back to paper' : 'The broker account was already paper') }));
  const error = goLive.error ?? goPaper.error;
  const formOk = reason.trim().length >= 3 && password.length > 0;
  const notPass = report.items.filter((i) => i.status !== 'pass');
  const liveBlocked = !report.ready ? `${notPass.length} check(s) not pass: ${notPass.map((i) => i.id).join(', ')}` : !formOk ? 'give a reason and your password' : null;

  return (
    <section aria-labelledby="live-switch">
      <h2 id="live-switch">Live switch</h2>
      <p>
        Broker account: <strong data-testid="broker-account">{report.account === 'live' ? 'LIVE' : 'paper'}</strong>.{' '}
        Going live needs every check pass and fresh; it is audited.
      </p>
      <form onSubmit={(e) => e.preventDefault()} aria-describedby="live-switch-why">
        <label>Reason (audited) <input value={reason} onChange={(e) => setReason(e.target.value)} minLength={3} required placeholder="e.g. five clean paper days, sign-off from the desk" /></label>{' '}
        <label>Your password <input type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required /></label>{' '}
        <button type="button" disabled={!!liveBlocked || goLive.isPending} onClick={() => goLive.mutate({ reason: reason.trim(), password })}>Go live</button>{' '}
        <button type="button" disabled={!formOk || report.account === 'paper' || goPaper.isPending} onClick={() => goPaper.mutate({ reason: reason.trim(), password })}>Back to paper</button>
        {liveBlocked && <p id="live-switch-why" className="muted">Go live is disabled: {liveBlocked}</p>}
      </form>
      {error && <p role="alert" className="error">{error.message}</p>}
    </section>
  );
}
