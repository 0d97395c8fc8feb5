// The order state machine: pending_new → new → partially_filled → filled | canceled | rejected | expired.
// Terminal states never change again; an illegal move is a bug or a broker surprise and is refused. One crossing
// is real, not illegal: an execution that happened before a cancel (or expiry) took effect can be reported after
// it — the fill counts (shares and cash moved) and the order stays canceled (its remainder will not trade).
import type { TOrderStatus } from '@ai-trader/contracts';

export type OrderEvent = 'accepted' | 'partial_fill' | 'fill' | 'canceled' | 'rejected' | 'expired';

const TERMINAL: ReadonlySet<TOrderStatus> = new Set(['filled', 'canceled', 'rejected', 'expired']);

const NEXT: Record<OrderEvent, { from: readonly TOrderStatus[]; to: TOrderStatus }> = {
  accepted: { from: ['pending_new'], to: 'new' },
  partial_fill: { from: ['pending_new', 'new', 'partially_filled'], to: 'partially_filled' },
  fill: { from: ['pending_new', 'new', 'partially_filled'], to: 'filled' },
  canceled: { from: ['pending_new', 'new', 'partially_filled'], to: 'canceled' },
  rejected: { from: ['pending_new', 'new'], to: 'rejected' },
  expired: { from: ['pending_new', 'new', 'partially_filled'], to: 'expired' },
};

export class IllegalOrderTransition extends Error {
  constructor(readonly from: TOrderStatus, readonly event: OrderEvent) {
    super(`order in state ${from} cannot take event ${event}`);
    this.name = 'IllegalOrderTransition';
  }
}

export const isTerminal = (s: TOrderStatus): boolean => TERMINAL.has(s);
export const isOpen = (s: TOrderStatus): boolean => !TERMINAL.has(s);

export function canTransition(from: TOrderStatus, event: OrderEvent): boolean {
  return NEXT[event].from.includes(from);
}

export function transition(from: TOrderStatus, event: OrderEvent): TOrderStatus {
  // A late duplicate "accepted" after a fill arrived first is harmless: keep the further state.
  if (event === 'accepted' && from !== 'pending_new' && !isTerminal(from)) return from;
  if ((event === 'fill' || event === 'partial_fill') && (from === 'canceled' || from === 'expired')) return from;
  if (!canTransition(from, event)) throw new IllegalOrderTransition(from, event);
  return NEXT[event].to;
}
