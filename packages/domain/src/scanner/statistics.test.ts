import { describe, expect, it } from 'vitest';
import { tradingDaysAfter, tradingDaysEndingAt, groupDigits } from './scan-bars.ts';
import { corwinSchultz, corwinSchultzPair, mean, sampleStdDev } from './statistics.ts';

const day = (high: string, low: string, close: string) => ({ high, low, close });

describe('mean and sampleStdDev', () => {
  it('give null, never NaN, where there is nothing to average', () => {
    expect(mean([])).toBeNull();
    expect(sampleStdDev([])).toBeNull();
    expect(sampleStdDev([5])).toBeNull();
  });

  it('compute the textbook values', () => {
    expect(mean([1, 2, 3])).toBe(2);
    // mean 5, squared deviations 9+1+1+1+0+0+4+16 = 32, / (8 − 1) → √4.5714… = 2.13809
    expect(sampleStdDev([2, 4, 4, 4, 5, 5, 7, 9])).toBeCloseTo(2.13809, 5);
    expect(sampleStdDev([3, 3, 3])).toBe(0);
  });
});

describe('corwinSchultzPair', () => {
  it('gives 2(H−L)/(H+L) for two identical days: 101/99 → exactly 2 %', () => {
    // β = 2k², γ = k² with k = ln(101/99): α = k, S = 2(e^k − 1)/(e^k + 1) = 2·2/200.
    expect(corwinSchultzPair(day('101', '99', '100'), day('101', '99', '100'))).toBeCloseTo(0.02, 12);
    expect(corwinSchultzPair(day('100.25', '99.75', '100'), day('100.25', '99.75', '100'))).toBeCloseTo(0.005, 12);
  });

  it('is 0 for flat days (high = low), not NaN', () => {
    expect(corwinSchultzPair(day('100', '100', '100'), day('100', '100', '100'))).toBe(0);
  });

  it('takes the overnight gap out before the two-day range: a gapped copy of a day estimates like the day itself', () => {
    // Day 2 trades 109–111 after a close at 99: shifted down by 10 to 99–101, the same as day 1.
    expect(corwinSchultzPair(day('101', '99', '99'), day('111', '109', '110'))).toBeCloseTo(0.02, 12);
    // And a gap down from a close at 101 to 89–91: shifted up by 10.
    expect(corwinSchultzPair(day('101', '99', '101'), day('91', '89', '90'))).toBeCloseTo(0.02, 12);
  });

  it('goes negative over a steady two-day trend, which the average counts as 0', () => {
    // 100–101 then 101–102: β = ln(1.01)² + ln(102/101)² ≈ 1.951e-4, γ = ln(1.02)² ≈ 3.921e-4 → α ≈ −0.0141.
    const s = corwinSchultzPair(day('101', '100', '101'), day('102', '101', '102'))!;
    expect(s).toBeLessThan(-0.01);
    expect(s).toBeGreaterThan(-0.02);
    const flat = day('101', '99', '100');
    expect(corwinSchultz([[day('101', '100', '101'), day('102', '101', '102')], [flat, flat]])).toEqual({ estimate: expect.closeTo(0.01, 12), pairs: 2 });
  });

  it('refuses prices that are not positive instead of producing NaN', () => {
    expect(corwinSchultzPair(day('1', '0', '0.5'), day('1', '0.5', '0.5'))).toBeNull();
    expect(corwinSchultz([[day('1', '0', '0.5'), day('1', '0.5', '0.5')]])).toEqual({ estimate: null, pairs: 0 });
    expect(corwinSchultz([])).toEqual({ estimate: null, pairs: 0 });
  });
});

describe('trading-day windows', () => {
  it('skip weekends and holidays (2025-07-04 was one)', () => {
    expect(tradingDaysEndingAt('2025-07-08', 5)).toEqual(['2025-07-01', '2025-07-02', '2025-07-03', '2025-07-07', '2025-07-08']);
    expect(tradingDaysEndingAt('2025-07-05', 2)).toEqual(['2025-07-02', '2025-07-03']); // a Saturday ends on the Thursday
  });

  it('count trading days after a date up to another, capped', () => {
    expect(tradingDaysAfter('2025-07-02', '2025-07-07')).toBe(2); // 07-03 and 07-07
    expect(tradingDaysAfter('2025-07-07', '2025-07-07')).toBe(0);
    expect(tradingDaysAfter('2025-07-03', '2025-07-06')).toBe(0); // the holiday and the weekend are not trading days
    expect(tradingDaysAfter('2025-01-02', '2025-12-31', 10)).toBe(10);
  });

  it('name the calendar limits instead of guessing beyond them', () => {
    expect(() => tradingDaysEndingAt('2031-01-10', 3)).toThrow(/NYSE calendar covers 2024–2027/);
  });

  it('group digits without a locale', () => {
    expect(groupDigits('1234567')).toBe('1,234,567');
    expect(groupDigits('999')).toBe('999');
    expect(groupDigits('1234.5')).toBe('1,234.5');
  });
});
