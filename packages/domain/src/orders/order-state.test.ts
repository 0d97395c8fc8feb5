import { describe, expect, it } from 'vitest';
import { IllegalOrderTransition, isOpen, transition } from './order-state.ts';

describe('order state machine', () => {
  it('walks the happy path', () => {
    let s = transition('pending_new', 'accepted');
    expect(s).toBe('new');
    s = transition(s, 'partial_fill');
    expect(s).toBe('partially_filled');
    s = transition(s, 'fill');
    expect(s).toBe('filled');
    expect(isOpen(s)).toBe(false);
  });

  it('allows a fill that overtakes the acceptance', () => {
    expect(transition('pending_new', 'fill')).toBe('filled');
    expect(transition('partially_filled', 'accepted')).toBe('partially_filled');
  });

  it('refuses to leave a terminal state', () => {
    expect(() => transition('filled', 'canceled')).toThrow(IllegalOrderTransition);
    expect(() => transition('canceled', 'accepted')).toThrow(/canceled cannot take event accepted/);
    expect(() => transition('rejected', 'accepted')).toThrow(IllegalOrderTransition);
    expect(() => transition('rejected', 'fill')).toThrow(IllegalOrderTransition);
    expect(() => transition('filled', 'fill')).toThrow(IllegalOrderTransition);
  });

  it('takes a fill that happened before a cancel or expiry and arrives after it, staying canceled / expired', () => {
    expect(transition('canceled', 'partial_fill')).toBe('canceled');
    expect(transition('canceled', 'fill')).toBe('canceled');
    expect(transition('expired', 'partial_fill')).toBe('expired');
  });

  it('does not reject an order that already has fills', () => {
    expect(() => transition('partially_filled', 'rejected')).toThrow(IllegalOrderTransition);
  });

  it('cancels any open order', () => {
    for (const s of ['pending_new', 'new', 'partially_filled'] as const) expect(transition(s, 'canceled')).toBe('canceled');
  });
});
