// The chart's wire form gives back exactly the bars it was given, and the chart's floats are Number() of the decimals.
import { describe, expect, it } from 'vitest';
import { chartBarTimes, chartPrice, decodeChartBars, encodeChartBars, scaledToDecimal, ZChartBars, type ChartBarOut } from './chart-bars.ts';

/** A walk of 5m bars (with the gaps of nights and weekends) whose prices have 0 to `decimals` decimals. */
function walk(n: number, decimals: number, seed = 7): ChartBarOut[] {
  let x = seed;
  const rnd = () => ((x = (x * 1103515245 + 12345) % 2147483648) / 2147483648);
  const out: ChartBarOut[] = [];
  let t = Date.parse('2024-01-02T14:30:00Z');
  let px = 100 * 10 ** decimals;
  const s = (v: number) => scaledToDecimal(v, decimals);
  for (let i = 0; i < n; i++) {
    const o = px, c = Math.max(1, px + Math.round((rnd() - 0.5) * 10 ** decimals));
    const h = Math.max(o, c) + Math.round(rnd() * 10 ** decimals), l = Math.max(1, Math.min(o, c) - Math.round(rnd() * 10 ** decimals));
    out.push({ ts: new Date(t).toISOString(), open: s(o), high: s(h), low: s(l), close: s(c), volume: String(Math.round(rnd() * 1e7)) });
    px = c;
    t += i % 78 === 77 ? 17.5 * 3_600_000 + 300_000 : 300_000;
  }
  return out;
}

describe('chart bars as columns', () => {
  it('decodes to exactly the bars encoded, at every scale', () => {
    for (const decimals of [0, 1, 2, 4, 6]) {
      const bars = walk(5_000, decimals);
      const wire = encodeChartBars(bars);
      expect(ZChartBars.parse(wire)).toEqual(wire);
      expect(decodeChartBars(wire)).toEqual(bars);
      expect(chartBarTimes(wire)).toEqual(bars.map((b) => Date.parse(b.ts) / 1000));
    }
  });

  it('takes Postgres text (trailing zeros, Date times) and gives the canonical decimals back', () => {
    const wire = encodeChartBars([
      { ts: new Date('2025-06-04T13:30:00Z'), open: '101.250000', high: '101.500000', low: '100.000000', close: '101.000001', volume: '1200' },
      { ts: new Date('2025-06-04T13:35:00Z'), open: '0.000001', high: '12345678.900000', low: '0.000000', close: '7', volume: '0' },
    ]);
    expect(wire.scale).toBe(6);
    expect(wire.t).toEqual([Date.parse('2025-06-04T13:30:00Z') / 1000, 300]);
    expect(decodeChartBars(wire)).toEqual([
      { ts: '2025-06-04T13:30:00.000Z', open: '101.25', high: '101.5', low: '100', close: '101.000001', volume: '1200' },
      { ts: '2025-06-04T13:35:00.000Z', open: '0.000001', high: '12345678.9', low: '0', close: '7', volume: '0' },
    ]);
    // Whole prices need no decimals at all.
    expect(encodeChartBars([{ ts: '2025-06-04T13:30:00Z', open: '10.000000', high: '12', low: '9.0', close: '11', volume: '5' }])).toMatchObject({ scale: 0, o: [10], h: [12], l: [9], c: [11] });
  });

  it('gives the chart the same doubles as Number() of the decimal strings', () => {
    for (const decimals of [2, 6]) {
      const bars = walk(2_000, decimals, 11);
      const wire = encodeChartBars(bars);
      const floats = wire.o.map((o, i) => [chartPrice(o, wire.scale), chartPrice(wire.h[i]!, wire.scale), chartPrice(wire.l[i]!, wire.scale), chartPrice(wire.c[i]!, wire.scale)]);
      expect(floats).toEqual(bars.map((b) => [Number(b.open), Number(b.high), Number(b.low), Number(b.close)]));
    }
  });

  it('refuses what it cannot carry exactly, saying which bar', () => {
    const bar = { ts: '2025-06-04T13:30:00Z', open: '1', high: '1', low: '1', close: '1', volume: '1' };
    expect(() => encodeChartBars([{ ...bar, high: '123456789012.5' }])).not.toThrow();
    expect(() => encodeChartBars([{ ...bar, high: '12345678901.123456' }])).toThrow('bar 2025-06-04T13:30:00.000Z: high 12345678901.123456 is too large to chart exactly (6 decimals)');
    expect(() => encodeChartBars([{ ...bar, close: '1.0000001' }])).toThrow('at most 6');
    expect(() => encodeChartBars([{ ...bar, volume: '1.5' }])).toThrow('volume 1.5 is not a whole number');
    expect(() => encodeChartBars([{ ...bar, ts: '2025-06-04T13:30:00.5Z' }])).toThrow('not a whole second');
    expect(encodeChartBars([])).toEqual({ scale: 0, t: [], o: [], h: [], l: [], c: [], v: [] });
  });
});
