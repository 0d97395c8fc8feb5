import { describe, expect, it } from 'vitest';
import { dec } from '../money.ts';
import { maCross } from './ma-cross.ts';

const closes = (...xs: number[]) => xs.map((x) => dec(x));

describe('maCross', () => {
  it('needs slow+1 closes before it can see a cross', () => {
    expect(maCross(closes(1, 2, 3), { fast: 2, slow: 3 })).toBeNull();
  });

  it('signals BUY when the fast average crosses above the slow one', () => {
    // prev: fast(2)=avg(9,8)=8.5 < slow(3)=avg(10,9,8)=9 ; now: fast=avg(8,12)=10 > slow=avg(9,8,12)=9.667
    const r = maCross(closes(10, 9, 8, 12), { fast: 2, slow: 3 });
    expect(r?.side).toBe('BUY');
    expect(r?.fastNow.toFixed()).toBe('10');
    expect(r?.slowPrev.toFixed()).toBe('9');
  });

  it('signals SELL when the fast average crosses below the slow one', () => {
    expect(maCross(closes(8, 9, 10, 6), { fast: 2, slow: 3 })?.side).toBe('SELL');
  });

  it('gives nothing while the averages stay on the same side', () => {
    expect(maCross(closes(1, 2, 3, 4, 5), { fast: 2, slow: 3 })).toBeNull();
  });

  it('treats a touch as no cross and a move off equality as one', () => {
    // flat: all equal → no signal
    expect(maCross(closes(5, 5, 5, 5), { fast: 2, slow: 3 })).toBeNull();
    // prev equal (5,5,5), now up → BUY
    expect(maCross(closes(5, 5, 5, 6), { fast: 2, slow: 3 })?.side).toBe('BUY');
  });

  it('uses exact decimals, not floats', () => {
    // 0.1 + 0.2 style values: fast of (0.1, 0.2) is exactly 0.15
    const r = maCross(closes(0.3, 0.3, 0.1, 0.2, 0.4), { fast: 2, slow: 3 });
    expect(r?.side).toBe('BUY');
    expect(r?.fastPrev.toFixed()).toBe('0.15');
  });

  it('refuses nonsense parameters', () => {
    expect(() => maCross(closes(1, 2, 3), { fast: 3, slow: 3 })).toThrow(/fast < slow/);
  });
});
