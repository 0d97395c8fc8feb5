import { ZScannerAlertsConfig } from '@ai-trader/contracts';
import { describe, expect, it } from 'vitest';
import { scanAlerts } from './alerts.ts';
import { tradingDaysEndingAt, type ScanBar, type ScanCandidate } from './scan-bars.ts';

const SCAN = '2025-08-28';
const days = tradingDaysEndingAt(SCAN, 30);

/** Bars of the last `volumes.length` trading days to SCAN, closing at 100 (open 100 unless given). */
function series(volumes: number[], last: Partial<ScanBar> = {}): ScanCandidate {
  const ds = days.slice(-volumes.length);
  const bars = volumes.map((v, i) => ({ date: ds[i]!, open: '100', high: '100', low: '100', close: '100', volume: String(v) }));
  if (bars.length) bars[bars.length - 1] = { ...bars.at(-1)!, ...last };
  return { symbol: 'AAA', bars, historyDays: bars.length, firstDate: ds[0] ?? null };
}
const onlyVolume = ZScannerAlertsConfig.parse({ gap: { enabled: false } });
const onlyGap = ZScannerAlertsConfig.parse({ unusualVolume: { enabled: false } });
const alternating = Array.from({ length: 20 }, (_, i) => (i % 2 ? 1100 : 900)); // mean 1000, sample sd √(200000/19) ≈ 102.598

describe('unusual volume', () => {
  it('fires at minMultiple × the average of the days before, with the z-score', () => {
    const [a, ...rest] = scanAlerts([series([...alternating, 2000])], onlyVolume, SCAN);
    expect(rest).toEqual([]);
    expect(a).toMatchObject({ symbol: 'AAA', kind: 'unusual_volume', date: SCAN, metrics: { volume: '2000', avgVolume: 1000, multiple: 2, days: 20 } });
    expect(a!.metrics.zScore).toBeCloseTo(1000 / Math.sqrt(200000 / 19), 3); // 9.7468
    expect(a!.detail).toBe('volume 2,000 on 2025-08-28 is 2.0× the 20-day average 1,000 (z 9.7)');
  });

  it('stays quiet just below the multiple, or below a required z-score', () => {
    expect(scanAlerts([series([...alternating, 1999])], onlyVolume, SCAN)).toEqual([]);
    const strict = ZScannerAlertsConfig.parse({ gap: { enabled: false }, unusualVolume: { minZScore: 10 } });
    expect(scanAlerts([series([...alternating, 2000])], strict, SCAN)).toEqual([]);
    expect(scanAlerts([series([...alternating, 2100])], strict, SCAN)).toHaveLength(1); // z ≈ 10.72
  });

  it('looks back lookbackDays bars only', () => {
    // 5 huge days long ago, then 20 ordinary ones: the huge ones are outside a 20-day look-back.
    const r = scanAlerts([series([1e9, 1e9, 1e9, 1e9, 1e9, ...alternating, 2000])], onlyVolume, SCAN);
    expect(r.map((a) => a.metrics.avgVolume)).toEqual([1000]);
  });

  it('treats equal volumes (sd 0) as a clear case, not NaN: any multiple above the minimum fires', () => {
    const strict = ZScannerAlertsConfig.parse({ gap: { enabled: false }, unusualVolume: { minZScore: 3 } });
    const [a] = scanAlerts([series([...Array(10).fill(1000), 3000])], strict, SCAN);
    expect(a!.metrics).toMatchObject({ multiple: 3, zScore: null });
    expect(a!.detail).toBe('volume 3,000 on 2025-08-28 is 3.0× the 10-day average 1,000');
  });

  it('says nothing without enough history, without any volume to compare with, or about a day without volume', () => {
    expect(scanAlerts([series([1000, 1000, 1000, 1000, 5000])], onlyVolume, SCAN)).toEqual([]); // 4 days before, minDays 5
    expect(scanAlerts([series([5000])], onlyVolume, SCAN)).toEqual([]); // one bar
    expect(scanAlerts([series([0, 0, 0, 0, 0, 0, 5000])], onlyVolume, SCAN)).toEqual([]); // zero average
    expect(scanAlerts([series([...alternating, 0])], onlyVolume, SCAN)).toEqual([]);
    expect(scanAlerts([series([])], ZScannerAlertsConfig.parse({}), SCAN)).toEqual([]); // no bars at all
  });
});

describe('gaps', () => {
  it('fires gap_up at exactly minPercent above the previous close (in decimals: 10 → 10.2 is 2 %, a float says 1.99999…)', () => {
    const c = series([1000, 1000], { open: '10.2', high: '10.3', low: '10.1', close: '10.2' });
    c.bars[0] = { ...c.bars[0]!, open: '10', high: '10', low: '10', close: '10' };
    const [a] = scanAlerts([c], onlyGap, SCAN);
    expect(a).toMatchObject({ kind: 'gap_up', date: SCAN, metrics: { open: '10.2', prevClose: '10', prevDate: '2025-08-27', gapPercent: 2 } });
    expect(a!.detail).toBe('opened 10.2 on 2025-08-28, 2.00 % above the previous close 10 (2025-08-27)');
  });

  it('fires gap_down below −minPercent and nothing in between', () => {
    expect(scanAlerts([series([1, 1], { open: '97', low: '96' })], onlyGap, SCAN)).toMatchObject([{ kind: 'gap_down', metrics: { gapPercent: -3 } }]);
    expect(scanAlerts([series([1, 1], { open: '101.99', high: '102' })], onlyGap, SCAN)).toEqual([]);
    expect(scanAlerts([series([1, 1], { open: '98.01', low: '98' })], onlyGap, SCAN)).toEqual([]);
    expect(scanAlerts([series([1], { open: '150' })], onlyGap, SCAN)).toEqual([]); // one bar: nothing to gap from
  });

  it('reports volume and gap on the same day, volume first', () => {
    const r = scanAlerts([series([...alternating, 5000], { open: '105', high: '106' })], ZScannerAlertsConfig.parse({}), SCAN);
    expect(r.map((a) => a.kind)).toEqual(['unusual_volume', 'gap_up']);
  });
});
