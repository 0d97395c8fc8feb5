import { describe, expect, it } from 'vitest';
import type { TBar } from '@ai-trader/contracts';
import { validateSeries, type SeriesValidation } from './validate-series.ts';

// A hand-made 5m series on 2025-07-03, an NYSE early close (regular session 13:30–16:55Z, 42 slots).
// Prices wander by a few cents (σ ≈ 0.08 %), so a 5 % wick is an outlier and nothing else is.
const DAY = '2025-07-03';
const STEPS = [0.1, -0.05, 0.08, -0.12, 0.04, 0.06, -0.07];
const slot = (i: number): string => new Date(Date.parse(`${DAY}T13:30:00Z`) + i * 300_000).toISOString().replace('.000Z', 'Z');

function bar(ts: string, o: number, c: number, patch: Partial<TBar> = {}): TBar {
  const f = (x: number) => x.toFixed(2);
  return { symbol: 'TEST', timeframe: '5m', ts, open: f(o), high: f(Math.max(o, c) + 0.03), low: f(Math.min(o, c) - 0.03), close: f(c), volume: '1000', source: 'test', ...patch };
}

function cleanDay(): TBar[] {
  const bars: TBar[] = [];
  let close = 100;
  for (let i = 0; i < 42; i++) {
    const next = close + STEPS[i % STEPS.length]!;
    bars.push(bar(slot(i), close, next));
    close = next;
  }
  return bars;
}

// The set of (ts, kind, severity) found; a bar breaking one rule in two ways counts once here.
const found = (r: SeriesValidation): string[] =>
  [...new Set([...r.rejected.flatMap((x) => x.problems), ...r.warnings, ...r.missing].map((p) => `${p.ts} ${p.kind} ${p.severity}`))].sort();

describe('validateSeries on a hand-made series with every kind of problem planted', () => {
  const day = cleanDay();
  const at = (i: number) => day[i]!;
  const received: TBar[] = [
    bar('2025-07-03T13:25:00Z', 100, 100.02), // pre-market: outside the regular session
    ...day.slice(0, 3),
    { ...at(3), volume: '0' }, // zero volume: kept, warned
    at(4),
    { ...at(5), high: '99', low: '100.5' }, // high < low
    at(6),
    { ...at(7), low: '0' }, // non-positive price
    at(8),
    { ...at(9), volume: '-5' }, // negative volume
    at(10),
    at(11), { ...at(11), open: `${at(11).open}0` }, // identical duplicate (596.96 = 596.960): kept once, warned
    at(12),
    at(13), { ...at(13), close: (Number(at(13).close) + 0.01).toFixed(2) }, // conflicting duplicate: the later one rejected
    at(14),
    at(16), at(15), // 14:45Z arrives after 14:50Z: out of order, kept and sorted
    at(17), at(18),
    bar('2025-07-03T15:02:00Z', 100, 100.01), // off the 5m grid
    at(19),
    { ...at(20), low: (Number(at(19).close) * 0.95).toFixed(2) }, // a 5 % wick the next bar disowns: outlier
    ...day.slice(21, 25), // 15:35Z and 15:40Z (25, 26) never arrive: missing
    ...day.slice(27),
    bar('2025-07-03T17:00:00Z', 100, 100.02), // after the 13:00 ET early close
    bar('2025-07-04T14:00:00Z', 100, 100.02), // Independence Day
  ];
  const r = validateSeries(received, { timeframe: '5m', session: 'regular', expectComplete: { from: DAY, to: DAY } });

  it('finds exactly the planted problems, nothing more', () => {
    expect(found(r)).toEqual([
      '2025-07-03T13:25:00Z outside_session reject',
      '2025-07-03T13:45:00Z zero_volume warn',
      '2025-07-03T13:55:00Z missing_bar warn',
      '2025-07-03T13:55:00Z ohlc_inconsistent reject',
      '2025-07-03T14:05:00Z missing_bar warn',
      '2025-07-03T14:05:00Z non_positive_price reject',
      '2025-07-03T14:15:00Z missing_bar warn',
      '2025-07-03T14:15:00Z negative_volume reject',
      '2025-07-03T14:25:00Z duplicate_ts warn',
      '2025-07-03T14:35:00Z duplicate_ts reject',
      '2025-07-03T14:45:00Z out_of_order warn',
      '2025-07-03T15:02:00Z off_grid reject',
      '2025-07-03T15:10:00Z missing_bar warn',
      '2025-07-03T15:10:00Z outlier reject',
      '2025-07-03T15:35:00Z missing_bar warn',
      '2025-07-03T15:40:00Z missing_bar warn',
      '2025-07-03T17:00:00Z outside_session reject',
      '2025-07-04T14:00:00Z outside_session reject',
    ]);
  });

  it('keeps the good bars sorted, unique, and nothing silently lost', () => {
    const ts = r.good.map((b) => b.ts);
    expect(ts).toEqual([...ts].sort());
    expect(new Set(ts).size).toBe(ts.length);
    expect(r.good).toHaveLength(42 - 4 /* rejected slots */ - 2 /* never sent */);
    // every bar received is good, rejected, or the identical copy named by a duplicate_ts warning
    expect(r.good.length + r.rejected.length + r.warnings.filter((w) => w.kind === 'duplicate_ts').length).toBe(received.length);
    expect(r.good.find((b) => b.ts === '2025-07-03T14:35:00Z')).toBe(at(13)); // the first of a conflicting pair wins
  });

  it('says what is wrong in words a person can act on', () => {
    const detail = (ts: string, kind: string) =>
      [...r.rejected.flatMap((x) => x.problems), ...r.warnings, ...r.missing].find((p) => p.ts === ts && p.kind === kind)?.detail;
    expect(detail('2025-07-03T13:55:00Z', 'ohlc_inconsistent')).toBe('high 99 < low 100.5');
    expect(detail('2025-07-03T14:05:00Z', 'non_positive_price')).toBe('low 0 is not positive');
    expect(detail('2025-07-03T14:15:00Z', 'negative_volume')).toBe('volume -5 is negative');
    expect(detail('2025-07-03T14:35:00Z', 'duplicate_ts')).toMatch(/^conflicts with the bar received #\d+ for 2025-07-03T14:35:00Z \(close [\d.]+ vs [\d.]+\); the first one wins$/);
    expect(detail('2025-07-03T15:02:00Z', 'off_grid')).toBe('15:02:00Z is not on the 5m grid (bars start every 5 min from :00)');
    expect(detail('2025-07-03T17:00:00Z', 'outside_session')).toBe('13:00 ET on 2025-07-03 is outside the regular session 09:30–13:00 ET, early close');
    expect(detail('2025-07-04T14:00:00Z', 'outside_session')).toBe('2025-07-04 is an NYSE holiday, not a trading day (bar at 10:00 ET)');
    expect(detail('2025-07-03T15:10:00Z', 'outlier')).toMatch(/^low 95\.\d\d is 5\.0 % from previous close 100\.\d\d at 15:05Z \(limit 0\.\d+ % = 8 × σ 0\.\d+ %\); next bar opens/);
    expect(detail('2025-07-03T15:35:00Z', 'missing_bar')).toBe('no bar for 11:35 ET on 2025-07-03');
    expect(detail('2025-07-03T15:10:00Z', 'missing_bar')).toBe('the bar for 11:10 ET on 2025-07-03 was rejected (outlier)');
  });
});

describe('validateSeries rules in isolation', () => {
  it('lets a genuine move through when the next bar confirms it, and judges the next bar from the new level', () => {
    const day = cleanDay().slice(0, 20);
    const shifted = day.map((b, i) => (i < 12 ? b : { ...b, open: (Number(b.open) * 0.97).toFixed(2), high: (Number(b.high) * 0.97).toFixed(2), low: (Number(b.low) * 0.97).toFixed(2), close: (Number(b.close) * 0.97).toFixed(2) }));
    shifted[11] = { ...shifted[11]!, low: shifted[12]!.low, close: shifted[12]!.open }; // the bar that falls 3 % and stays
    const r = validateSeries(shifted, { timeframe: '5m', session: 'regular' });
    expect(r.rejected).toEqual([]);
  });

  it('does not flag the first real tick after a flat stretch (σ floor)', () => {
    // σ = 0 here; without the floor the limit would be the 5-cent minimum and this 20-cent (0.2 %) last
    // bar, which has no next bar to confirm it, would be an outlier.
    const flat = cleanDay().map((b) => ({ ...b, open: '100.00', high: '100.00', low: '100.00', close: '100.00' }));
    flat[41] = { ...flat[41]!, high: '100.20', close: '100.20' };
    expect(validateSeries(flat, { timeframe: '5m', session: 'regular' }).rejected).toEqual([]);
    flat[41] = { ...flat[41]!, high: '100.40', close: '100.40' }; // 0.4 % > 8 × 0.045 % floor
    expect(validateSeries(flat, { timeframe: '5m', session: 'regular' }).rejected.map((x) => x.problems[0]!.detail)).toEqual([
      'high 100.40 is 0.4 % from previous close 100.00 at 16:50Z (limit 0.36 % = 8 × σ 0.045 % (floor)); no later bar to confirm it',
    ]);
  });

  it('honours k and window', () => {
    const day = cleanDay();
    day[20] = { ...day[20]!, high: (Number(day[20]!.high) * 1.004).toFixed(2) }; // +0.4 %: ~5 σ, under 8 σ
    expect(validateSeries(day, { timeframe: '5m', session: 'regular' }).rejected).toEqual([]);
    expect(validateSeries(day, { timeframe: '5m', session: 'regular', outlier: { k: 3, window: 10 } }).rejected.map((x) => x.bar.ts)).toEqual([day[20]!.ts]);
  });

  it('applies the session modes: extended allows 04:00–20:00 ET, any allows everything', () => {
    const bars = [bar('2025-06-04T07:55:00Z', 100, 100), bar('2025-06-04T08:00:00Z', 100, 100), bar('2025-06-04T23:55:00Z', 100, 100), bar('2025-06-05T00:00:00Z', 100, 100), bar('2025-06-07T14:00:00Z', 100, 100)];
    const kinds = (session: 'regular' | 'extended' | 'any') => validateSeries(bars, { timeframe: '5m', session }).rejected.map((x) => `${x.bar.ts} ${x.problems.map((p) => p.kind)}`);
    expect(kinds('extended')).toEqual(['2025-06-04T07:55:00Z outside_session', '2025-06-05T00:00:00Z outside_session', '2025-06-07T14:00:00Z outside_session']);
    expect(kinds('regular')).toHaveLength(5);
    expect(kinds('any')).toEqual([]);
  });

  it('puts hour bars on whole UTC hours; the 09:00 ET bar holds the open, so it belongs to the session', () => {
    const h = (ts: string) => ({ ...bar(ts, 100, 100), timeframe: '1h' as const });
    const r = validateSeries([h('2025-07-03T12:00:00Z'), h('2025-07-03T13:00:00Z'), h('2025-07-03T13:30:00Z'), h('2025-07-03T16:00:00Z'), h('2025-07-03T17:00:00Z')], { timeframe: '1h', session: 'regular', expectComplete: { from: DAY, to: DAY } });
    expect(found(r)).toEqual([
      '2025-07-03T12:00:00Z outside_session reject',
      '2025-07-03T13:30:00Z off_grid reject',
      '2025-07-03T14:00:00Z missing_bar warn',
      '2025-07-03T15:00:00Z missing_bar warn',
      '2025-07-03T17:00:00Z outside_session reject', // 13:00 ET: after the early close
    ]);
  });

  it('checks daily bars: stamped midnight UTC, on trading days, missing days counted', () => {
    const d = (ts: string) => ({ ...bar(ts, 100, 101), timeframe: '1d' as const });
    const r = validateSeries([d('2025-07-02T00:00:00Z'), d('2025-07-03T13:30:00Z'), d('2025-07-05T00:00:00Z'), d('2025-07-08T00:00:00Z')], { timeframe: '1d', session: 'regular', expectComplete: { from: '2025-07-01', to: '2025-07-08' } });
    expect(found(r)).toEqual([
      '2025-07-01T00:00:00Z missing_bar warn',
      '2025-07-03T00:00:00Z missing_bar warn',
      '2025-07-03T13:30:00Z off_grid reject',
      '2025-07-05T00:00:00Z outside_session reject',
      '2025-07-07T00:00:00Z missing_bar warn',
    ]);
  });

  it('rejects what it cannot read instead of throwing, and refuses a calendar it does not have', () => {
    const r = validateSeries([bar('2025-06-04T13:30:00Z', 100, 100, { high: 'abc' }), bar('yesterday', 100, 100), { ...bar('2025-06-04T13:35:00Z', 100, 100), symbol: 'OTHER' }], { timeframe: '5m', session: 'any' });
    expect(r.rejected.flatMap((x) => x.problems.map((p) => p.detail))).toEqual([
      "high 'abc' is not a decimal number",
      'symbol OTHER in a series of TEST',
      "ts 'yesterday' is not an ISO-8601 instant",
    ]);
    expect(() => validateSeries([bar('2031-06-04T13:30:00Z', 1, 1)], { timeframe: '5m', session: 'regular' })).toThrow(/outside/);
    expect(() => validateSeries([], { timeframe: '5m', session: 'any', outlier: { window: 1 } })).toThrow(/window/);
  });
});
