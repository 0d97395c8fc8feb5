// Pure conversions of Polygon's wire data: decimal text without float arithmetic, timestamps, volume, timeframes,
// and the waiting rules (backoff, Retry-After).
import { describe, expect, it } from 'vitest';
import { PolygonError, scrub, shownPath, snippet } from './polygon-error.ts';
import { backoffMs, parseRetryAfter } from './polygon-retry.ts';
import { decimalText, isoFromMs, timeframeOf, toBar } from './polygon-wire.ts';

describe('decimalText', () => {
  it('prints JSON numbers with the digits the server sent', () => {
    expect(JSON.parse('[74.06,75.0875,0.4486,135647456,597.3,0.1]').map(decimalText)).toEqual(['74.06', '75.0875', '0.4486', '135647456', '597.3', '0.1']);
  });
  it('spells out exponent notation on the digits', () => {
    expect(decimalText(1e-7)).toBe('0.0000001');
    expect(decimalText(1.25e-7)).toBe('0.000000125');
    expect(decimalText(1.5e21)).toBe('1500000000000000000000');
    expect(decimalText(-2.5e-8)).toBe('-0.000000025');
  });
});

describe('toBar', () => {
  it('converts an aggregate into a TBar', () => {
    expect(toBar('AAPL', '1d', { o: 74.06, h: 75.15, l: 73.7975, c: 75.0875, v: 135647456, startMs: 1577941200000 })).toEqual({
      symbol: 'AAPL', timeframe: '1d', ts: '2020-01-02T00:00:00Z', open: '74.06', high: '75.15', low: '73.7975', close: '75.0875', volume: '135647456', source: 'polygon',
    });
  });
  it('refuses a fractional volume, naming the ticker and t', () => {
    const err = (() => {
      try {
        toBar('MSFT', '1m', { o: 1, h: 1, l: 1, c: 1, v: 100.5, startMs: 1704205800000 });
      } catch (e) {
        return e as PolygonError;
      }
    })();
    expect(err).toBeInstanceOf(PolygonError);
    expect(err?.kind).toBe('bad_response');
    expect(err?.message).toContain('MSFT');
    expect(err?.message).toContain('t=1704205800000');
    expect(err?.message).toContain('fractional volume 100.5');
  });
  it('keeps milliseconds only when there are some', () => {
    expect(isoFromMs(1704205800000)).toBe('2024-01-02T14:30:00Z');
    expect(isoFromMs(1704205800123)).toBe('2024-01-02T14:30:00.123Z');
  });
});

describe('timeframeOf', () => {
  it('maps the four sizes TBar can carry', () => {
    expect([timeframeOf(1, 'minute'), timeframeOf(5, 'minute'), timeframeOf(1, 'hour'), timeframeOf(1, 'day')]).toEqual(['1m', '5m', '1h', '1d']);
  });
  it('rejects other sizes with a clear error', () => {
    expect(() => timeframeOf(15, 'minute')).toThrow(/15 minute have no TBar timeframe/);
    expect(() => timeframeOf(2, 'day')).toThrow(/use 1 minute, 5 minute, 1 hour or 1 day/);
  });
});

describe('waiting rules', () => {
  it('full jitter stays within [0, min(cap, base·2^n))', () => {
    expect(backoffMs(0, 500, 30_000, () => 0.999)).toBe(499);
    expect(backoffMs(3, 500, 30_000, () => 0.5)).toBe(2000);
    expect(backoffMs(20, 500, 30_000, () => 0.999)).toBe(29_970);
    expect(backoffMs(5, 500, 30_000, () => 0)).toBe(0);
  });
  it('reads Retry-After as seconds or an HTTP date', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:05 GMT', Date.parse('2015-10-21T07:28:00Z'))).toBe(5000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });
});

describe('key hygiene helpers', () => {
  it('removes the key from URLs and texts', () => {
    const url = new URL('https://api.polygon.io/v2/aggs/ticker/AAPL/range/1/day/2024-01-02/2024-01-03?adjusted=true&apiKey=K3Y');
    expect(shownPath(url, 'K3Y')).toBe('/v2/aggs/ticker/AAPL/range/1/day/2024-01-02/2024-01-03?adjusted=true');
    expect(scrub('echo /x?apiKey=K3Y and K3Y', 'K3Y')).toBe('echo /x?apiKey=*** and ***');
    expect(snippet('x'.repeat(200))).toHaveLength(121);
  });
});

describe('daily bars', () => {
  it('are stamped with their New York trading date at 00:00Z', () => {
    // Polygon's day bar starts at New York midnight: 2020-01-02T05:00:00Z
    expect(toBar('SPY', '1d', { o: 1, h: 2, l: 0.5, c: 1.5, v: 10, startMs: Date.parse('2020-01-02T05:00:00Z') }).ts).toBe('2020-01-02T00:00:00Z');
  });
});
