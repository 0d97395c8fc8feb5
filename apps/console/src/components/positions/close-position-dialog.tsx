'use client';
// Asks for a reason before a manual close (kept in the audit log), then says what was sent or why it was refused.
import type { TPositionRow } from '@ai-trader/contracts';
import { useMutation } from '@tanstack/react-query';
import { useTRPC } from '@/lib/trpc';
import { ReasonConfirmDialog } from '../reason-confirm-dialog';

export function ClosePositionDialog({ position, onDone }: { position: TPositionRow | null; onDone: () => void }) {
  const trpc = useTRPC();
  const close = useMutation(trpc.positions.close.mutationOptions());

  return (
    <ReasonConfirmDialog
      subject={position}
      label="Confirm close position"
      title={<>Close {position?.symbol}?</>}
      confirm="Confirm close"
      pending="Closing…"
      mutation={close}
      variables={(p, reason) => ({ symbol: p.symbol, reason })}
      describe={(r) => `Close of ${r.symbol} sent to risk: it sells the ${r.qty} shares held at the next bar. Follow it on the Orders page.`}
      resultTestId="close-result"
      onDone={onDone}
    >
      Sells the {position?.qty} shares held at market, through risk like any exit (allowed while REDUCING, not while HALTED).
      With a simulated market it fills at the next bar&apos;s open.
    </ReasonConfirmDialog>
  );
}
