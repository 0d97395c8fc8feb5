'use client';
// The admin's emergency buttons beyond HALT (issue 10: admin only): Cancel all orders (a reason), Liquidate everything
// and Suspend / Unsuspend at broker (a reason and the password again). While one runs, its dialog shows the steps as
// they happen; afterwards the panel shows them with the end state the broker verified (and what is still open, why).
import type { TCancelAllResult, TLiquidateResult } from '@ai-trader/contracts';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useTRPC } from '@/lib/trpc';
import { ConfirmWithPassword, type PasswordConfirm } from './admin/confirm-with-password';
import { LiveSteps, useEmergencyProgress } from './emergency-progress';
import { ReasonConfirmDialog } from './reason-confirm-dialog';

function StillOpen({ r }: { r: TLiquidateResult }) {
  if (r.flat) return null;
  return (
    <div data-testid="still-open" className="still-open">
      <p className="neg"><strong>Still open at the broker after {r.timings.totalMs} ms:</strong></p>
      <ul>
        {r.stillOpen.positions.map((p) => <li key={`p${p.symbol}`}>position {p.symbol} {p.qty} — {p.why}</li>)}
        {r.stillOpen.orders.map((o) => <li key={`o${o.clientOrderId}`}>order {o.clientOrderId} ({o.side} {o.qty} {o.symbol}, {o.filledQty} filled) — {o.why}</li>)}
        {r.closing.filter((c) => c.error).map((c) => <li key={`c${c.symbol}`}>close of {c.symbol} refused: {c.error}</li>)}
      </ul>
    </div>
  );
}

export function EmergencyActions() {
  const trpc = useTRPC();
  const progress = useEmergencyProgress();
  const broker = useQuery(trpc.emergency.brokerStatus.queryOptions());
  const liquidate = useMutation(trpc.emergency.liquidate.mutationOptions());
  const suspend = useMutation(trpc.emergency.suspend.mutationOptions());
  const unsuspend = useMutation(trpc.emergency.unsuspend.mutationOptions());
  const cancelAll = useMutation(trpc.emergency.cancelAll.mutationOptions());
  const [confirm, setConfirm] = useState<PasswordConfirm | null>(null);
  const [cancelSubject, setCancelSubject] = useState<object | null>(null);
  const [liquidated, setLiquidated] = useState<TLiquidateResult | null>(null);

  // The broker's switch may be thrown from anywhere (the CLI, another admin): read it again when an action finishes.
  const finished = progress?.finishedAt ?? null;
  const { refetch } = broker;
  useEffect(() => {
    if (finished) void refetch();
  }, [finished, refetch]);

  const suspended = broker.data?.suspended === true;
  const openLiquidate = () => {
    const since = Date.now();
    setConfirm({
      title: 'Liquidate everything',
      explain: (
        <>
          <p>
            Trading becomes <strong>HALTED</strong> at once, every open order is cancelled and <strong>every position is closed at market</strong> at
            the broker, then the broker is asked until nothing is open (or the time limit passes) and the result is shown here.
          </p>
          <LiveSteps since={since} action="liquidate" />
        </>
      ),
      reason: true,
      danger: true,
      confirmLabel: 'Liquidate everything',
      run: async (input) => setLiquidated(await liquidate.mutateAsync(input)),
    });
  };
  const openSuspend = () => {
    const since = Date.now();
    const on = !suspended;
    setConfirm({
      title: on ? 'Suspend trading at the broker' : 'Unsuspend trading at the broker',
      explain: (
        <>
          <p>
            {on
              ? 'Last resort: trading becomes HALTED, then the broker itself is told to refuse every new order on the account (suspend_trade), even if our own processes misbehave; open orders are cancelled.'
              : 'The broker takes orders again. Trading stays HALTED until an admin resumes (which needs a clean reconciliation).'}
          </p>
          <LiveSteps since={since} action={on ? 'suspend' : 'unsuspend'} />
        </>
      ),
      reason: true,
      danger: on,
      confirmLabel: on ? 'Suspend at broker' : 'Unsuspend at broker',
      run: async (input) => {
        await (on ? suspend : unsuspend).mutateAsync(input);
        await refetch();
      },
    });
  };

  return (
    <section className="emergency-actions" aria-label="Emergency actions (admin)">
      <button type="button" className="warn big" onClick={() => setCancelSubject({})}>Cancel all orders</button>
      <button type="button" className="danger big" onClick={openLiquidate}>Liquidate everything</button>
      {broker.data?.canSuspend && (
        <button type="button" className={suspended ? 'big' : 'danger big'} onClick={openSuspend} disabled={broker.isPending}>
          {suspended ? 'Unsuspend at broker' : 'Suspend at broker'}
        </button>
      )}
      {suspended && <span className="neg" data-testid="broker-suspended">Trading is suspended at the {broker.data?.broker} broker</span>}
      {broker.data?.error && <span className="error">Cannot read the broker&apos;s trading switch: {broker.data.error}</span>}
      {liquidated && <StillOpen r={liquidated} />}
      <ConfirmWithPassword confirm={confirm} onClose={() => setConfirm(null)} />
      <ReasonConfirmDialog<object, TCancelAllResult, { reason: string }>
        subject={cancelSubject}
        label="Cancel all orders"
        title="Cancel all orders?"
        confirm="Cancel all orders"
        pending="Cancelling…"
        mutation={cancelAll}
        variables={(_, reason) => ({ reason })}
        describe={(r) => `Cancelled ${r.canceledOrders.length} order(s); ${r.stillOpen.length ? `still open at the broker: ${r.stillOpen.map((o) => `${o.clientOrderId} (${o.why})`).join('; ')}` : 'the broker reports none open'}. Trading state ${r.state} (unchanged).`}
        resultTestId="cancel-all-result"
        onDone={() => setCancelSubject(null)}
      >
        Every open order is cancelled at the broker and in our books, then the broker is asked what is still open. The trading state stays as it is: strategies may send new orders if trading is ACTIVE.
      </ReasonConfirmDialog>
    </section>
  );
}
