'use client';
// Asks for a reason before cancelling a working order (kept in the audit log), then says what the broker answered.
import type { TOrderRow } from '@ai-trader/contracts';
import { useMutation } from '@tanstack/react-query';
import { useTRPC } from '@/lib/trpc';
import { ReasonConfirmDialog } from '../reason-confirm-dialog';

export function CancelOrderDialog({ row, onDone }: { row: TOrderRow | null; onDone: () => void }) {
  const trpc = useTRPC();
  const cancel = useMutation(trpc.orders.cancel.mutationOptions());
  const o = row?.order;

  return (
    <ReasonConfirmDialog
      subject={row}
      label="Confirm cancel order"
      title={<>Cancel {row?.side} {row?.qty} {row?.symbol}?</>}
      confirm="Confirm cancel"
      pending="Cancelling…"
      mutation={cancel}
      variables={(r, reason) => (r.order ? { clientOrderId: r.order.clientOrderId, reason } : null)}
      describe={(r) => r.result === 'canceled'
        ? `Order ${r.clientOrderId} cancelled at the broker (now ${r.status}).`
        : `Order ${r.clientOrderId} had already filled at the broker: its fills reach the books as trade updates.`}
      resultTestId="cancel-result"
      onDone={onDone}
    >
      Order <code>{o?.clientOrderId}</code> ({row?.status}, {o?.filledQty} filled) is cancelled at the {o?.broker} broker; what has filled stays filled.
    </ReasonConfirmDialog>
  );
}
