// The hand-written canonical-form checks (the parser's fast path) accept exactly what their definitions say.
import { describe, expect, it } from 'vitest';
import { isCanonicalDecimal, isCanonicalInstant, isCanonicalWhole } from './bar-csv-values.ts';

const DECIMAL = /^(?:0|[1-9]\d*)(?:\.\d+)?$/;
const WHOLE = /^(?:0|[1-9]\d*)$/;
const INSTANT = /^(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):[0-5]\d:[0-5]\dZ$/;
const realDate = (s: string) => {
  const date = s.slice(0, 10);
  const t = Date.parse(`${date}T00:00:00Z`);
  return !Number.isNaN(t) && new Date(t).toISOString().slice(0, 10) === date;
};

let seed = 99;
const rnd = (n: number) => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return Math.floor((seed / 2147483648) * n);
};
const ALPHABET = '0123456789.-+e :TZ';
const randomText = (len: number) => Array.from({ length: len }, () => ALPHABET[rnd(ALPHABET.length)]).join('');

describe('canonical cell checks', () => {
  it('isCanonicalDecimal and isCanonicalWhole match their patterns', () => {
    const samples = ['', '0', '00', '01', '0.', '0.0', '.5', '1.', '10', '219.34', '1.2.3', '-1', '+1', '1e5', ' 1', '1 ', '٣', '１'];
    for (let i = 0; i < 20_000; i++) samples.push(randomText(rnd(8)), String(rnd(100_000)) + (rnd(2) ? `.${rnd(1000)}` : ''));
    expect(samples.filter((s) => isCanonicalDecimal(s) !== DECIMAL.test(s) || isCanonicalWhole(s) !== WHOLE.test(s))).toEqual([]);
    expect(samples.filter((s) => isCanonicalDecimal(s)).length).toBeGreaterThan(1000);
  });

  it('isCanonicalInstant takes YYYY-MM-DDTHH:MM:SSZ of a real date and time of day, nothing else', () => {
    const samples = ['2025-06-04T13:30:00Z', '2024-02-29T13:30:00Z', '2023-02-29T13:30:00Z', '2025-04-31T13:30:00Z', '2025-13-01T00:00:00Z', '2025-00-10T00:00:00Z',
      '2025-06-00T00:00:00Z', '2025-06-04T24:00:00Z', '2025-06-04T23:60:00Z', '2025-06-04T23:59:60Z', '2025-06-04T13:30:00.000Z', '2025-06-04 13:30:00Z', '2025-06-04T13:30:00+00:00', '0000-01-01T00:00:00Z'];
    for (let i = 0; i < 20_000; i++) {
      const y = String(rnd(10_000)).padStart(4, '0'), m = String(rnd(14)).padStart(2, '0'), d = String(rnd(33)).padStart(2, '0');
      const h = String(rnd(26)).padStart(2, '0'), mi = String(rnd(62)).padStart(2, '0'), s = String(rnd(62)).padStart(2, '0');
      samples.push(`${y}-${m}-${d}T${h}:${mi}:${s}Z`);
    }
    expect(samples.filter((s) => isCanonicalInstant(s) !== (INSTANT.test(s) && realDate(s)))).toEqual([]);
    expect(samples.filter((s) => isCanonicalInstant(s)).length).toBeGreaterThan(1000);
  });
});
