import { describe, expect, it } from 'vitest';
import { dec } from '@ai-trader/domain';
import { classifyRefusal } from '../alpaca/alpaca-error.ts';
import { fillPrice, marketClockAt, refusals, seededDraw, seededStream, volumeCap } from './sim-model.ts';

describe('sim market model', () => {
  it('prices with slippage against the side, rounded to the cent; none leaves the open untouched', () => {
    expect(fillPrice(dec('600'), 'BUY', 7).toFixed()).toBe('600.42'); // 600.42
    expect(fillPrice(dec('601.13'), 'BUY', 7).toFixed()).toBe('601.55'); // 601.550791
    expect(fillPrice(dec('601.13'), 'SELL', 7).toFixed()).toBe('600.71'); // 600.709209
    expect(fillPrice(dec('10.01'), 'SELL', 5).toFixed()).toBe('10'); // 10.004995
    expect(fillPrice(dec('100'), 'BUY', 0.5).toFixed()).toBe('100.01'); // 100.005: half up
    expect(fillPrice(dec('100'), 'SELL', 0.5).toFixed()).toBe('100'); // 99.995: half up
    expect(fillPrice(dec('597.1234'), 'BUY', 0).toFixed()).toBe('597.1234');
  });

  it('caps a bar at whole shares of its volume', () => {
    expect(volumeCap('1000', 10).toFixed()).toBe('100');
    expect(volumeCap('1234', 10).toFixed()).toBe('123');
    expect(volumeCap('9', 10).toFixed()).toBe('0');
    expect(volumeCap('1000', 100).toFixed()).toBe('1000');
  });

  it('tells the NYSE clock: open, next close and next open, over weekends, holidays and early closes', () => {
    expect(marketClockAt(new Date('2025-06-04T14:00:00Z'))).toEqual({ isOpen: true, nextOpen: '2025-06-05T13:30:00.000Z', nextClose: '2025-06-04T20:00:00.000Z' });
    expect(marketClockAt(new Date('2025-06-04T12:00:00Z'))).toEqual({ isOpen: false, nextOpen: '2025-06-04T13:30:00.000Z', nextClose: '2025-06-04T20:00:00.000Z' });
    expect(marketClockAt(new Date('2025-06-04T20:00:00Z')).isOpen).toBe(false); // 16:00 ET: closed
    expect(marketClockAt(new Date('2025-06-06T21:00:00Z'))).toEqual({ isOpen: false, nextOpen: '2025-06-09T13:30:00.000Z', nextClose: '2025-06-09T20:00:00.000Z' }); // Friday evening
    expect(marketClockAt(new Date('2025-07-03T16:30:00Z'))).toEqual({ isOpen: true, nextOpen: '2025-07-07T13:30:00.000Z', nextClose: '2025-07-03T17:00:00.000Z' }); // early close, then the 4th
    expect(marketClockAt(new Date('2025-12-15T15:00:00Z'))).toEqual({ isOpen: true, nextOpen: '2025-12-16T14:30:00.000Z', nextClose: '2025-12-15T21:00:00.000Z' }); // EST
    expect(marketClockAt(new Date('2031-01-06T15:00:00Z'))).toEqual({ isOpen: false, nextOpen: null, nextClose: null }); // beyond the calendar
  });

  it('words every refusal so that the Alpaca classifier finds the same cause', () => {
    const all = [
      refusals.badQty('0'), refusals.unknownAsset('NOPE'), refusals.marketClosed(new Date('2025-06-04T21:00:00Z'), '2025-06-05T13:30:00.000Z'),
      refusals.buyingPower(dec('100'), dec('200')), refusals.shortSale(dec('5'), dec('-2')), refusals.positionLimit('100'), refusals.injected(0.1), refusals.suspended(),
    ];
    for (const r of all) expect(classifyRefusal(r.status, r.message), r.message).toBe(r.cause);
    expect(refusals.shortSale(dec('5'), dec('-2')).message).toBe('insufficient qty available for order (requested: 5, available: 0)');
  });

  it('draws faults from the seed: the same seed and key give the same value, another seed another', () => {
    expect(seededDraw('a', 'ait-1')).toBe(seededDraw('a', 'ait-1'));
    expect(seededDraw('a', 'ait-1')).not.toBe(seededDraw('b', 'ait-1'));
    const s1 = seededStream('x'), s2 = seededStream('x');
    const xs = Array.from({ length: 1000 }, () => s1());
    expect(Array.from({ length: 1000 }, () => s2())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean).toBeGreaterThan(0.4);
    expect(mean).toBeLessThan(0.6);
  });
});
