// The validator against the real bar files in shared/data, whose genuine flaws are listed in its README:
// it must find those, and reject little else (what it does reject is spelled out here for a human to judge).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TBar, TTimeframe } from '@ai-trader/contracts';
import { inRegularSession } from '../calendar/nyse.ts';
import { validateSeries } from './validate-series.ts';

const DATA = path.resolve(import.meta.dirname, '../../../../..', 'shared/data/bars');

function load(timeframe: TTimeframe, symbol: string): TBar[] {
  const [header, ...rows] = readFileSync(path.join(DATA, timeframe, `${symbol}.csv`), 'utf8').trim().split('\n');
  expect(header).toBe('ts,open,high,low,close,volume');
  return rows.map((row) => {
    const [ts, open, high, low, close, volume] = row.split(',') as [string, string, string, string, string, string];
    return { symbol, timeframe, ts, open, high, low, close, volume, source: `shared/data/${timeframe}/${symbol}.csv` };
  });
}

const inSessionRejects = (r: ReturnType<typeof validateSeries>) =>
  r.rejected.filter((x) => !x.problems.some((p) => p.kind === 'outside_session')).map((x) => `${x.bar.ts} ${x.problems.map((p) => p.kind).join('+')}`);

describe('real 5m bars (Yahoo), regular session', () => {
  it('AAPL: rejects only the 2025-08-07T17:05Z bad print (low 213.25 at 219.3) and warns of its 1 zero-volume bar', () => {
    const bars = load('5m', 'AAPL');
    const r = validateSeries(bars, { timeframe: '5m', session: 'regular' });
    expect(inSessionRejects(r)).toEqual(['2025-08-07T17:05:00Z outlier']);
    expect(r.rejected.find((x) => x.bar.ts === '2025-08-07T17:05:00Z')!.problems[0]!.detail).toBe(
      'low 213.25 is 2.8 % from previous close 219.34 at 17:00Z (limit 0.8 % = 8 × σ 0.1 %); next bar opens 219.42, closes 219.35',
    );
    expect(r.warnings.map((w) => `${w.ts} ${w.kind}`)).toEqual(['2025-08-28T14:20:00Z zero_volume']);
    expect(r.good).toHaveLength(60 * 78 - 36 - 1); // 60 days of 78 bars, 36 fewer on 2025-07-03, minus the bad print
    expect(r.rejected.filter((x) => x.problems.some((p) => p.kind === 'outside_session'))).toHaveLength(bars.length - 4644);
  });

  // Every regular-session rejection of the seven files. Each is a one-bar wick the next bar's body disowns;
  // only AAPL's is known bad from another source (Tiingo's daily low 216.58). MSFT's 474.46 IS Tiingo's
  // daily low, so that one is a real (if odd) print: the rule cannot know, and flags it for a person.
  const EXPECTED: Record<string, { outliers: string[]; zeroVolume: number; missing: string[] }> = {
    AAPL: { outliers: ['2025-08-07T17:05:00Z'], zeroVolume: 1, missing: [] },
    AMZN: { outliers: ['2025-06-30T17:45:00Z'], zeroVolume: 1, missing: [] }, // high 222.0657 at 219.96–220.2 (+0.96 %)
    GOOGL: {
      // high 195.0 at 192.4 (+1.4 %, last bar of the day); low 197.5101 at 202.2 (−2.3 %); low 201.28 at 205.56 (−2.1 %); low 205.7 at 207.12 (−0.69 %)
      outliers: ['2025-07-24T19:55:00Z', '2025-08-13T18:35:00Z', '2025-08-15T18:00:00Z', '2025-08-26T19:50:00Z'],
      zeroVolume: 0,
      missing: [],
    },
    MSFT: { outliers: ['2025-06-18T14:20:00Z'], zeroVolume: 2, missing: [] }, // low 474.46 at 477.99 (−0.74 %)
    QQQ: { outliers: [], zeroVolume: 2, missing: [] },
    SPY: { outliers: [], zeroVolume: 3, missing: ['2025-07-03T16:50:00Z', '2025-07-03T16:55:00Z'] },
    TSLA: { outliers: [], zeroVolume: 2, missing: [] },
  };
  it.each(Object.entries(EXPECTED))('%s: in-session rejects, zero-volume warnings and missing bars are exactly %j', (symbol, want) => {
    const r = validateSeries(load('5m', symbol), { timeframe: '5m', session: 'regular', expectComplete: { from: '2025-06-04', to: '2025-08-28' } });
    expect(inSessionRejects(r)).toEqual(want.outliers.map((ts) => `${ts} outlier`));
    expect(r.warnings.map((w) => w.kind)).toEqual(Array(want.zeroVolume).fill('zero_volume'));
    // a rejected bar leaves a hole in the good series, so it is reported missing too
    expect(r.missing.map((m) => m.ts)).toEqual([...want.missing, ...want.outliers].sort());
  });

  it('SPY with expectComplete over 2025-07-03 reports exactly the 2 missing bars 16:50Z and 16:55Z', () => {
    const r = validateSeries(load('5m', 'SPY'), { timeframe: '5m', session: 'regular', expectComplete: { from: '2025-07-03', to: '2025-07-03' } });
    expect(r.missing.map((m) => `${m.ts} ${m.detail}`)).toEqual([
      '2025-07-03T16:50:00Z no bar for 12:50 ET on 2025-07-03',
      '2025-07-03T16:55:00Z no bar for 12:55 ET on 2025-07-03',
    ]);
  });
});

describe('real 5m bars (Yahoo), extended hours', () => {
  it('flags the absurd extended-hours wicks the data README cites', () => {
    const flagged = (symbol: string) =>
      new Set(validateSeries(load('5m', symbol), { timeframe: '5m', session: 'extended' }).rejected.filter((x) => x.problems.some((p) => p.kind === 'outlier')).map((x) => x.bar.ts));
    const qqq = flagged('QQQ');
    expect(qqq).toContain('2025-06-04T20:50:00Z'); // low 413.0153 while trading at 528.8 (repeated in the next bar's wick)
    expect(qqq).toContain('2025-06-20T13:05:00Z'); // close 450.66 vs 531.3
    expect(flagged('SPY')).toContain('2025-07-03T17:55:00Z'); // low 581.8076 vs 624.9
  });

  it('does not take the opening auction for a bad print after a quiet pre-market (AAPL: only 17:05Z in session)', () => {
    const r = validateSeries(load('5m', 'AAPL'), { timeframe: '5m', session: 'extended' });
    const inSession = r.rejected.filter((x) => inRegularSession(new Date(x.bar.ts), 5)).map((x) => `${x.bar.ts} ${x.problems.map((p) => p.kind)}`);
    expect(inSession).toEqual(['2025-08-07T17:05:00Z outlier']); // without the open allowance: also 06-26, 07-07, 07-14, 08-22 at 13:30Z
  });
});

describe('real 1m bars (Polygon snapshots)', () => {
  it('reports every regular-session minute of a Friday the collector missed (2025-08-15: 390 bars)', () => {
    const r = validateSeries(load('1m', 'SPY'), { timeframe: '1m', session: 'regular', expectComplete: { from: '2025-08-15', to: '2025-08-15' } });
    expect(r.missing).toHaveLength(390);
    expect(r.missing[0]).toMatchObject({ ts: '2025-08-15T13:30:00Z', kind: 'missing_bar', severity: 'warn', detail: 'no bar for 09:30 ET on 2025-08-15' });
    expect(r.missing.at(-1)!.ts).toBe('2025-08-15T19:59:00Z');
  });
});

describe('real 1d bars (Tiingo)', () => {
  it.each(['SPY', 'QQQ', 'AAPL', 'MSFT', 'TSLA', 'AMZN'])('%s: 502 clean trading days, the April 2025 tariff shock is not an outlier', (symbol) => {
    const r = validateSeries(load('1d', symbol), { timeframe: '1d', session: 'regular', expectComplete: { from: '2024-04-01', to: '2026-03-31' } });
    expect({ good: r.good.length, rejected: r.rejected.length, warnings: r.warnings.length, missing: r.missing.length }).toEqual({ good: 502, rejected: 0, warnings: 0, missing: 0 });
  });
});
