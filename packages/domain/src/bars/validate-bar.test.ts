import { describe, expect, it } from 'vitest';
import type { TBar } from '@ai-trader/contracts';
import { barProblems } from './validate-bar.ts';

const bar: TBar = { symbol: 'SPY', timeframe: '5m', ts: '2025-06-04T13:30:00Z', open: '10', high: '11', low: '9', close: '10.5', volume: '100', source: 't' };

describe('barProblems', () => {
  it('accepts a sane bar', () => expect(barProblems(bar)).toEqual([]));
  it('names each broken invariant', () => {
    expect(barProblems({ ...bar, high: '8' })).toEqual(['high 8 < low 9', 'high 8 < max(open 10, close 10.5)']);
    expect(barProblems({ ...bar, low: '10.2' })).toEqual(['low 10.2 > min(open 10, close 10.5)']);
    expect(barProblems({ ...bar, open: '0', low: '0' })).toContain('open 0 is not positive');
  });
  it('compares long decimals exactly (beyond double precision)', () => {
    // differ only in the 18th significant digit: doubles would call them equal
    expect(barProblems({ ...bar, open: '10.00000000000000001', high: '10.00000000000000002', low: '9', close: '10' })).toEqual([]);
    expect(barProblems({ ...bar, open: '10.00000000000000002', high: '10.00000000000000001', low: '9', close: '10' })).toEqual(['high 10.00000000000000001 < max(open 10.00000000000000002, close 10)']);
  });
});
