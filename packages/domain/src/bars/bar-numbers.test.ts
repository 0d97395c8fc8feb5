// The shortcuts give exactly what Number and Date.parse give, on the forms they take and on everything else.
import { describe, expect, it } from 'vitest';
import { decimalNumber, instantMs } from './bar-numbers.ts';

let seed = 12345;
const rnd = (n: number) => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return Math.floor((seed / 2147483648) * n);
};

describe('decimalNumber', () => {
  it('equals Number for plain decimals of every length, and for anything else', () => {
    const odd = ['', '.', '-', '1.', '.5', '1..2', '1e5', ' 1', '1 ', '0001.10', '-0', '+1', '0x10', 'Infinity', '123456789012345', '1234567890123456', '99999999.9999999', '0.000000000000001', '9007199254740993'];
    for (const s of odd) expect(Object.is(decimalNumber(s), Number(s)), s).toBe(true);
    const wrong: string[] = [];
    for (let i = 0; i < 50_000; i++) {
      const intDigits = rnd(12), fracDigits = rnd(10);
      let s = (rnd(5) === 0 ? '-' : '') + (intDigits ? String(rnd(10 ** Math.min(intDigits, 9))) + '0'.repeat(Math.max(0, intDigits - 9)) : '0');
      if (fracDigits) s += '.' + String(rnd(10 ** fracDigits)).padStart(fracDigits, '0');
      if (!Object.is(decimalNumber(s), Number(s))) wrong.push(s);
    }
    expect(wrong).toEqual([]);
  });
});

describe('instantMs', () => {
  it('equals Date.parse for canonical instants, impossible dates and other forms', () => {
    const odd = ['2024-02-29T13:30:00Z', '2023-02-29T13:30:00Z', '2024-02-30T00:00:00Z', '2025-06-04T24:00:00Z', '2025-06-04T13:30:60Z', '0000-01-01T00:00:00Z', '1969-12-31T23:59:59Z', '2025-06-04T13:30:00.000Z', '2025-06-04T09:30:00-04:00', '2025-06-04 13:30:00Z', '2025-06-0xT13:30:00Z', 'garbage'];
    for (const s of odd) expect(Object.is(instantMs(s), Date.parse(s)), s).toBe(true);
    const wrong: string[] = [];
    for (let i = 0; i < 50_000; i++) {
      const t = (rnd(2 ** 30) * 2 - 2 ** 30) * 1000 + rnd(2) * 2 ** 31 * 1000;
      const s = new Date(t).toISOString().replace('.000Z', 'Z');
      if (instantMs(s) !== Date.parse(s)) wrong.push(s);
    }
    expect(wrong).toEqual([]);
  });
});
