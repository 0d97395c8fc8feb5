// The scaled-integer figures are decimal.js's, digit for digit: random books (long, short, flat, unpriced, every
// scale numeric(20,6) allows) against the decimal.js formulas the Positions page used, plus the rounding ties.
import { describe, expect, it } from 'vitest';
import { dec, decStr, toCents, ZERO } from '../money.ts';
import { unrealizedPnl } from './position.ts';
import { centsStr, positionFigures, scaled, scaledStr } from './position-value.ts';

type P = Parameters<typeof positionFigures>[0];

/** The decimal.js version (positions-view.ts before scaled integers). */
function reference(p: P, last: string | undefined) {
  const qty = dec(p.qty), avgCost = dec(p.avgCost);
  const px = last ? dec(last) : null;
  const mv = toCents(px ? qty.times(px) : qty.times(avgCost));
  const upnlRaw = px ? unrealizedPnl({ qty, avgCost }, px) : ZERO;
  const upnl = toCents(upnlRaw);
  const rpnl = toCents(dec(p.realizedPnl));
  const cost = qty.times(avgCost);
  const trailStop = p.highWater && p.trailPct ? toCents(dec(p.highWater).times(dec(100).minus(p.trailPct)).div(100)) : null;
  return {
    marketValue: decStr(mv), unrealizedPnl: decStr(upnl),
    unrealizedPct: px && !cost.isZero() ? decStr(upnlRaw.div(cost).times(100).toDecimalPlaces(2)) : null,
    realizedPnl: decStr(rpnl), trailStop: trailStop ? decStr(trailStop) : null,
    cents: { marketValue: mv, unrealizedPnl: upnl, realizedPnl: rpnl },
  };
}

let seed = 42;
const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
/** A decimal with up to `int` integer digits and `frac` decimals, as Postgres prints numeric(20,6) (zeros kept) or trimmed. */
function num(int: number, frac: number, signed = false): string {
  const i = String(Math.floor(rnd() * 10 ** (1 + Math.floor(rnd() * int))));
  const f = Array.from({ length: frac }, () => Math.floor(rnd() * 10)).join('');
  const v = frac ? `${i}.${f}` : i;
  return signed && rnd() < 0.4 ? `-${v}` : v;
}
const scale = () => (rnd() < 0.3 ? 6 : Math.floor(rnd() * 7));

describe('positionFigures', () => {
  it('gives decimal.js\'s figures for 20,000 random positions', () => {
    for (let k = 0; k < 20_000; k++) {
      const p: P = {
        qty: rnd() < 0.1 ? '0.000000' : num(6, scale(), true), avgCost: num(5, scale()), realizedPnl: num(7, scale(), true),
        highWater: rnd() < 0.5 ? num(5, scale()) : null, trailPct: rnd() < 0.5 ? num(1, scale()) : null,
      };
      const last = rnd() < 0.15 ? undefined : num(5, scale());
      const want = reference(p, last), got = positionFigures(p, last);
      expect({ ...got, cents: undefined }).toEqual({ ...want, cents: undefined });
      expect(centsStr(got.cents.marketValue)).toBe(decStr(want.cents.marketValue));
    }
  });

  it('rounds half to even, as decimal.js does, in money and in the %', () => {
    const p = (qty: string, avgCost: string, extra: Partial<P> = {}): P => ({ qty, avgCost, realizedPnl: '0', highWater: null, trailPct: null, ...extra });
    for (const [pos, last] of [
      [p('1', '10.005'), '10.015'], [p('1', '10.015'), '10.025'], [p('-1', '10.005'), '10.015'], [p('3', '0.335'), '0.345'],
      [p('8', '1'), '1.000625'], [p('8', '1'), '1.001875'], [p('-8', '1'), '1.000625'], [p('1', '200'), '200.0001'], [p('1', '200'), '200.0003'],
      [p('1', '1', { realizedPnl: '0.125', highWater: '100.005', trailPct: '50' }), '1'], [p('1', '1', { realizedPnl: '-0.135', highWater: '100.015', trailPct: '50' }), '1'],
      [p('0.000001', '0.000001'), '0.000002'], [p('1', '1', { realizedPnl: '-0.004' }), undefined],
    ] as const) expect(positionFigures(pos, last)).toEqual({ ...reference(pos, last), cents: positionFigures(pos, last).cents });
    expect(positionFigures(p('1', '10.005'), '10.015')).toMatchObject({ marketValue: '10.02', unrealizedPnl: '0.01', unrealizedPct: '0.1' });
    expect(positionFigures(p('1', '1', { realizedPnl: '-0.004' }), undefined)).toMatchObject({ realizedPnl: '0', unrealizedPct: null }); // never "-0"
  });

  it('reads Postgres text and prints decimal.js\'s toFixed() form', () => {
    expect(scaled('-12.340000')).toEqual({ n: -12340000n, s: 6 });
    expect(scaled('1e3')).toEqual({ n: 1000n, s: 0 });
    expect(scaledStr({ n: -12340000n, s: 6 })).toBe('-12.34');
    expect(scaledStr({ n: 5n, s: 6 })).toBe('0.000005');
    expect(scaledStr({ n: -0n, s: 2 })).toBe('0');
    expect(centsStr(-1234n)).toBe('-12.34');
    expect(() => scaled('NaN')).toThrow('not a finite decimal');
  });
});
