import { describe, expect, it } from 'vitest';
import type { TBar } from '@ai-trader/contracts';
import { formatReport, summarizeProblems, allProblems } from './problem-report.ts';
import { validateSeries } from './validate-series.ts';

const at = (minutesAfter1330: number) => new Date(Date.parse('2025-07-03T13:30:00Z') + minutesAfter1330 * 60_000).toISOString().replace('.000Z', 'Z');
const bar = (ts: string, volume = '100'): TBar => ({ symbol: 'SPY', timeframe: '5m', ts, open: '620', high: '620.1', low: '619.9', close: '620', volume, source: 't' });

// 2025-07-03 closes at 13:00 ET: 40 of its 42 slots, one with volume 0, and three bars after the close.
const bars = [...Array.from({ length: 40 }, (_, i) => bar(at(i * 5), i === 2 ? '0' : '100')), bar(at(210)), bar(at(215)), bar(at(220)), bar('2025-07-03T14:02:00Z')];
const validation = validateSeries(bars, { timeframe: '5m', session: 'regular', expectComplete: { from: '2025-07-03', to: '2025-07-03' } });

describe('summarizeProblems', () => {
  it('counts every kind, zero included', () => {
    const c = summarizeProblems(allProblems(validation));
    expect(c).toMatchObject({ outside_session: 3, off_grid: 1, zero_volume: 1, missing_bar: 2, outlier: 0, duplicate_ts: 0 });
    expect(Object.keys(c)).toHaveLength(11);
  });
});

describe('formatReport', () => {
  it('prints totals, counts per kind, then problems by time with runs of consecutive slots folded', () => {
    expect(formatReport([{ symbol: 'SPY', timeframe: '5m', validation }])).toBe(
      [
        'SPY 5m: 44 received → 40 good, 4 rejected, 1 warnings, 2 missing',
        '  rejected: off_grid 1, outside_session 3 · warnings: zero_volume 1 · missing: 2',
        '  2025-07-03T13:40Z  zero_volume         warn    volume 0: no shares traded reported for this bar',
        '  2025-07-03T14:02Z  off_grid            reject  14:02:00Z is not on the 5m grid (bars start every 5 min from :00)',
        '  2025-07-03T16:50Z–16:55Z  missing_bar         warn    2 bars; first: no bar for 12:50 ET on 2025-07-03',
        '  2025-07-03T17:00Z–17:10Z  outside_session     reject  3 bars; first: 13:00 ET on 2025-07-03 is outside the regular session 09:30–13:00 ET, early close',
      ].join('\n'),
    );
  });

  it('caps the lines per kind and says how many it left out', () => {
    const text = formatReport([{ symbol: 'SPY', timeframe: '5m', validation }], { maxLinesPerKind: 0 });
    expect(text.split('\n').slice(2)).toEqual([
      '  … 1 more zero_volume not shown',
      '  … 1 more off_grid not shown',
      '  … 3 more outside_session not shown',
      '  … 2 more missing_bar not shown',
    ]);
  });
});
