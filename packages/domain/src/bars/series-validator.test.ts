// SeriesValidator streams what validateSeries judges at once: the same verdicts for every bar, with good bars
// handed over early, as long as no bar arrives further out of place than the window — and when one does, it
// says so (overtaken) instead of handing over a verdict that would have been different.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TBar, TTimeframe } from '@ai-trader/contracts';
import { SeriesValidator, validateSeries, type SeriesValidation } from './validate-series.ts';

const DATA = path.resolve(import.meta.dirname, '../../../../..', 'shared/data/bars');
function load(timeframe: TTimeframe, symbol: string): TBar[] {
  const [, ...rows] = readFileSync(path.join(DATA, timeframe, `${symbol}.csv`), 'utf8').trim().split('\n');
  return rows.map((row) => {
    const [ts, open, high, low, close, volume] = row.split(',') as [string, string, string, string, string, string];
    return { symbol, timeframe, ts, open, high, low, close, volume, source: 'test' };
  });
}

function stream(bars: TBar[], settleAfter: number, opts: { session: 'regular' | 'extended' | 'any' }) {
  const v = new SeriesValidator({ timeframe: '5m', session: opts.session, settleAfter, retain: 'problems' });
  let early = 0;
  bars.forEach((b, i) => {
    v.push(b);
    if (i % 500 === 0) early += v.takeGood().length;
  });
  const result = v.end();
  return { v, result, early, lateGood: v.takeGood().length };
}

const verdicts = (r: SeriesValidation) => ({
  rejected: r.rejected.map((x) => `${x.bar.ts} ${x.problems.map((p) => p.detail).join('; ')}`),
  warnings: r.warnings.map((w) => `${w.ts} ${w.kind} ${w.detail}`).sort(),
  goodCount: r.goodCount,
});

describe('SeriesValidator', () => {
  it('judges a real file (with its bad print, zero volumes, after-hours bars) exactly like validateSeries, handing good bars over early', () => {
    for (const symbol of ['AAPL', 'AMZN', 'SPY']) {
      for (const session of ['regular', 'extended'] as const) {
        const bars = load('5m', symbol);
        const whole = validateSeries(bars, { timeframe: '5m', session });
        const s = stream(bars, 50, { session });
        expect(s.v.overtaken).toBeNull();
        expect(verdicts(s.result)).toEqual(verdicts(whole));
        expect(s.early + s.lateGood).toBe(whole.goodCount);
        expect(s.early).toBeGreaterThan(whole.goodCount * 0.9); // most were handed over before the end
        expect(s.result.good).toEqual([]); // retain 'problems': nothing kept that went out
      }
    }
  });

  it('sorts bars out of place within the window into place, with the same verdicts and out_of_order warnings', () => {
    const bars = load('5m', 'AAPL');
    const shuffled = [...bars];
    for (let i = 0; i + 7 < shuffled.length; i += 13) [shuffled[i], shuffled[i + 7]] = [shuffled[i + 7]!, shuffled[i]!];
    const whole = validateSeries(shuffled, { timeframe: '5m', session: 'regular' });
    const s = stream(shuffled, 20, { session: 'regular' });
    expect(s.v.overtaken).toBeNull();
    expect(verdicts(s.result)).toEqual(verdicts(whole));
    expect(whole.warnings.filter((w) => w.kind === 'out_of_order').length).toBeGreaterThan(100);
  });

  it('flags a bar that arrives after its neighbours were judged, and a late copy of a judged bar', () => {
    const bars = load('5m', 'SPY').slice(0, 3000);
    const late = [...bars.slice(0, 1000), ...bars.slice(1001), bars[1000]!];
    const s = stream(late, 50, { session: 'any' });
    expect(s.v.overtaken?.bar.ts).toBe(bars[1000]!.ts);
    expect(s.v.overtaken?.seq).toBe(2999);

    const copy = [...bars, { ...bars[10]!, volume: '1' }];
    expect(stream(copy, 50, { session: 'any' }).v.overtaken?.bar.ts).toBe(bars[10]!.ts);
    // With the whole series at once, the same input is simply judged (the copy conflicts, the first one wins).
    const judged = validateSeries(copy, { timeframe: '5m', session: 'any' }).rejected.filter((x) => x.bar.volume === '1');
    expect(judged.map((x) => `${x.bar.ts} ${x.problems[0]!.kind}`)).toEqual([`${bars[10]!.ts} duplicate_ts`]);
  });
});
