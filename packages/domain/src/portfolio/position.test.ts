import { describe, expect, it } from 'vitest';
import { dec, ZERO } from '../money.ts';
import { applyFill, unrealizedPnl, type PositionState } from './position.ts';

const flat: PositionState = { qty: ZERO, avgCost: ZERO, realizedPnl: ZERO };

describe('applyFill', () => {
  it('opens and averages up a long', () => {
    const a = applyFill(flat, { side: 'BUY', qty: dec(10), price: dec('100.10') });
    expect(a.cashDelta.toFixed()).toBe('-1001');
    const b = applyFill(a.position, { side: 'BUY', qty: dec(30), price: dec('101.30') });
    expect(b.position.qty.toFixed()).toBe('40');
    expect(b.position.avgCost.toFixed()).toBe('101'); // (1001 + 3039) / 40
  });

  it('realises P&L on a partial and a full exit', () => {
    const open = applyFill(flat, { side: 'BUY', qty: dec(10), price: dec(100) }).position;
    const part = applyFill(open, { side: 'SELL', qty: dec(4), price: dec('102.5') });
    expect(part.realized.toFixed()).toBe('10');
    expect(part.position.avgCost.toFixed()).toBe('100');
    expect(part.cashDelta.toFixed()).toBe('410');
    const done = applyFill(part.position, { side: 'SELL', qty: dec(6), price: dec(99) });
    expect(done.realized.toFixed()).toBe('-6');
    expect(done.position).toMatchObject({ qty: ZERO, avgCost: ZERO });
    expect(done.position.realizedPnl.toFixed()).toBe('4');
  });

  it('opens the remainder at the fill price when a fill crosses zero', () => {
    const open = applyFill(flat, { side: 'BUY', qty: dec(5), price: dec(50) }).position;
    const r = applyFill(open, { side: 'SELL', qty: dec(8), price: dec(55) });
    expect(r.realized.toFixed()).toBe('25');
    expect(r.position.qty.toFixed()).toBe('-3');
    expect(r.position.avgCost.toFixed()).toBe('55');
  });

  it('refuses zero or negative fills', () => {
    expect(() => applyFill(flat, { side: 'BUY', qty: dec(0), price: dec(1) })).toThrow(/quantity must be positive/);
    expect(() => applyFill(flat, { side: 'BUY', qty: dec(1), price: dec(-1) })).toThrow(/price must be positive/);
  });

  it('values unrealised P&L for longs and shorts', () => {
    expect(unrealizedPnl({ qty: dec(10), avgCost: dec(100) }, dec('101.5')).toFixed()).toBe('15');
    expect(unrealizedPnl({ qty: dec(-10), avgCost: dec(100) }, dec('101.5')).toFixed()).toBe('-15');
  });
});
