'use client';
// Settings: the two-person approval policy (changed here, audited) and what the system runs with — broker, feed,
// session and lockout limits, risk limits — read from the configuration; secrets are only said to be set or not.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Fragment, useState } from 'react';
import { money } from '@/lib/format';
import { useTRPC } from '@/lib/trpc';
import { ConfirmWithPassword, type PasswordConfirm } from './confirm-with-password';

export function SettingsPanel() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const settings = useQuery(trpc.settings.get.queryOptions());
  const config = useQuery(trpc.settings.config.queryOptions());
  const set2p = useMutation(trpc.settings.setTwoPersonApproval.mutationOptions());
  const [confirm, setConfirm] = useState<PasswordConfirm | null>(null);
  const c = config.data;
  const on = settings.data?.twoPersonApproval ?? false;
  return (
    <section aria-labelledby="settings-h">
      <h2 id="settings-h">Settings</h2>
      {(settings.error ?? config.error) && <p role="alert" className="error">Cannot load settings: {(settings.error ?? config.error)!.message}</p>}
      <div className="card">
        <p>
          Two-person approval is <strong data-testid="two-person">{settings.isPending ? '…' : on ? 'on' : 'off'}</strong>:{' '}
          {on ? 'resuming after a halt and rotating keys wait for a second admin.' : 'one admin (with their password) may resume and rotate keys.'}
        </p>
        <button
          disabled={settings.isPending}
          onClick={() => setConfirm({
            title: on ? 'Turn two-person approval off' : 'Turn two-person approval on',
            explain: <p>{on ? 'One admin will again be enough to resume trading and rotate keys.' : 'Resume-after-halt and key rotation will need a second admin to approve.'}</p>,
            reason: true,
            confirmLabel: on ? 'Turn off' : 'Turn on',
            run: ({ reason, password }) => set2p.mutateAsync({ enabled: !on, reason, password }),
          })}
        >
          {on ? 'Turn off…' : 'Turn on…'}
        </button>
      </div>
      {c && (
        <dl className="facts card" aria-label="Configuration">
          <dt>Broker</dt><dd>{c.broker}</dd><dt>Feed</dt><dd>{c.feed} ({c.symbols.join(', ')})</dd>
          <dt>Session idle limit</dt><dd>{c.session.idleMinutes} min</dd><dt>Session maximum</dt><dd>{c.session.maxHours} h</dd>
          <dt>Lockout</dt><dd>after {c.lockout.threshold} failures, {c.lockout.minutes} min</dd><dt>Sign-ins per IP</dt><dd>{c.lockout.ipSignInsPerMinute} / min</dd>
          <dt>Max position</dt><dd>{c.risk.maxPositionQty} sh, {money(c.risk.maxPositionNotional)}</dd><dt>Max gross / net exposure</dt><dd>{money(c.risk.maxGrossExposure)} / {money(c.risk.maxNetExposure)}</dd>
          <dt>Max open orders</dt><dd>{c.risk.maxOpenOrders}</dd><dt>Max orders / min</dt><dd>{c.risk.maxOrdersPerMinute}</dd>
          <dt>Daily loss limit</dt><dd>{money(c.risk.dailyLossLimit)}</dd><dt>Max drawdown</dt><dd>{c.risk.maxDrawdownPct} %</dd>
          {Object.entries(c.secrets).map(([k, set]) => <Fragment key={k}><dt>{k}</dt><dd>{set ? 'set (hidden)' : 'not set'}</dd></Fragment>)}
        </dl>
      )}
      <p className="muted">Everything but the approval policy comes from the environment (see README, Configuration); change it there and restart.</p>
      <ConfirmWithPassword confirm={confirm} onClose={(ok) => { setConfirm(null); if (ok) void qc.invalidateQueries({ queryKey: trpc.settings.get.queryKey() }); }} />
    </section>
  );
}
