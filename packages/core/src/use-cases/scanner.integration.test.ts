// The scanner against a real database: bars built so that known symbols pass or fail known filters and
// known alerts fire; layer1 runs layer0 first when it has to; a failed run is recorded and writes nothing.
// The clock stands at AS_OF, so "now" is the evening of the scan date.
import { createTestRuntime, type TestRuntime } from '@ai-trader/adapters/testing';
import type { TBar, TLiveEvent, TScannerConfigInput } from '@ai-trader/contracts';
import { loadBars } from '@ai-trader/db';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tradingDaysEndingAt } from '@ai-trader/domain';
import type { Deps } from '../ports.ts';
import { getScannerRun, latestLayerRun, latestLayerSymbols, listScannerRuns, NoScannerRunError, runScanner, ScannerRunError } from './scanner.ts';

const SCAN = '2025-08-28'; // a Thursday
const AS_OF = new Date('2025-08-29T00:00:00Z'); // 20:00 ET on the scan date: the day is over
const days = (n: number, end = SCAN) => tradingDaysEndingAt(end, n);

interface Day { open?: string; high: string; low: string; close: string; volume: number }
function daily(symbol: string, dates: string[], day: (i: number, last: boolean) => Day): TBar[] {
  return dates.map((d, i) => {
    const x = day(i, i === dates.length - 1);
    return { symbol, timeframe: '1d', ts: `${d}T00:00:00Z`, open: x.open ?? x.close, high: x.high, low: x.low, close: x.close, volume: String(x.volume), source: 'test' };
  });
}
const steady = (close: string, high: string, low: string, volume: number) => () => ({ close, high, low, volume });

/** 78 regular-session 5m bars (09:30–15:55 EDT) per date, plus an extended-hours bar with an absurd wick. */
function fiveMinute(symbol: string, dates: string[], volume: (date: string) => number): TBar[] {
  const out: TBar[] = [];
  for (const d of dates) {
    out.push({ symbol, timeframe: '5m', ts: `${d}T12:00:00Z`, open: '40', high: '40', low: '1', close: '40', volume: '0', source: 'test' }); // 08:00 ET
    for (let i = 0; i < 78; i++) {
      const ts = new Date(Date.parse(`${d}T13:30:00Z`) + i * 300_000).toISOString().replace('.000Z', 'Z');
      out.push({ symbol, timeframe: '5m', ts, open: '40', high: '40.01', low: '39.99', close: '40', volume: String(volume(d)), source: 'test' });
    }
  }
  return out;
}

const CONFIG: TScannerConfigInput = {
  layer0: {
    symbols: ['AAA', 'BBB', 'CHEAP', 'NEWCO', 'EXCL', 'NODATA', 'THIN', 'WIDE', 'FIVEM', 'GAPD', 'STALE'],
    exclude: ['EXCL'], minPrice: 5, minHistoryDays: 20, maxStaleDays: 3,
  },
  layer1: { lookbackDays: 20, minBars: 15, minAvgDollarVolume: '10_000_000', maxSpreadProxy: 0.01 },
  alerts: { unusualVolume: { lookbackDays: 20, minMultiple: 3 }, gap: { minPercent: 2 } },
};

describe('scanner', () => {
  let rt: TestRuntime;
  let deps: Deps;
  const logLines: Record<string, unknown>[] = [];
  const events: TLiveEvent['kind'][] = [];

  beforeAll(async () => {
    rt = await createTestRuntime('scanner');
    const logger = pino({ level: 'info' }, { write: (s: string) => void logLines.push(JSON.parse(s)) });
    deps = { ...rt.deps, logger, clock: { now: () => AS_OF }, events: { publish: async (k) => void events.push(k) } };
    const d30 = days(30);
    await loadBars(rt.deps.pool, '1d', [[
      // AAA: $50M a day, tight; the last day trades 5× its volume.
      ...daily('AAA', d30, (_, last) => ({ close: '50', high: '50.1', low: '49.9', volume: last ? 5_000_000 : 1_000_000 })),
      // BBB: $30M a day; the last day opens 3 % above the previous close.
      ...daily('BBB', d30, (_, last) => (last ? { open: '103', close: '103', high: '103.1', low: '102.9', volume: 300_000 } : { close: '100', high: '100.1', low: '99.9', volume: 300_000 })),
      ...daily('CHEAP', d30, steady('4', '4.01', '3.99', 10_000_000)),
      ...daily('NEWCO', days(10), steady('30', '30.1', '29.9', 1_000_000)),
      ...daily('EXCL', d30, steady('30', '30.1', '29.9', 1_000_000)),
      ...daily('THIN', d30, steady('20', '20.02', '19.98', 100_000)), // $2M a day
      ...daily('WIDE', d30, steady('100', '101', '99', 1_000_000)), // Corwin–Schultz 2 %
      // GAPD: $30M a day; the last day opens 5 % below.
      ...daily('GAPD', d30, (_, last) => (last ? { open: '57', close: '57', high: '57.06', low: '56.94', volume: 500_000 } : { close: '60', high: '60.06', low: '59.94', volume: 500_000 })),
      ...daily('STALE', days(30, '2025-07-15'), steady('30', '30.1', '29.9', 1_000_000)),
      // FIVEM has 5m bars only, except a stored daily bar on 08-27 that must win over that day's 5m bars.
      ...daily('FIVEM', ['2025-08-27'], steady('40', '40.01', '39.99', 780_000)),
    ]]);
    // 78 × 10,000 = 780,000 shares a day at 40 = $31.2M; on 08-27 the 5m bars say 78 shares (the stored 1d bar wins).
    await loadBars(rt.deps.pool, '5m', [fiveMinute('FIVEM', days(25), (d) => (d === '2025-08-27' ? 1 : 10_000))]);
  });
  afterAll(async () => {
    await rt?.cleanup();
  });

  it('has no layer symbols before a run', async () => {
    await expect(latestLayerSymbols(deps, 'layer1')).rejects.toThrow(new NoScannerRunError('layer1'));
    await expect(latestLayerSymbols(deps, 'layer1')).rejects.toThrow('no succeeded layer1 scan yet; run ai-trader scan --layer layer1 first');
    expect(await latestLayerRun(deps, 'layer0')).toBeNull();
  });

  it('layer1 runs layer0 first when none succeeded, judges its passed symbols, stores results and alerts, logs and publishes', async () => {
    const { run, layer0: l0 } = await runScanner(deps, { layer: 'layer1', config: CONFIG });
    expect(l0).toBeDefined();

    // Layer 0, ranked by the last day's dollar volume.
    expect(l0).toMatchObject({ layer: 'layer0', status: 'succeeded', asOf: `${SCAN}T00:00:00.000Z`, symbolsIn: 11, symbolsOut: 6, error: null, inputRunId: null, alertCount: 3 });
    const r0 = Object.fromEntries(l0!.results.map((r) => [r.symbol, r]));
    expect(l0!.results.filter((r) => r.passed).map((r) => [r.symbol, r.rank])).toEqual([['AAA', 1], ['WIDE', 2], ['FIVEM', 3], ['BBB', 4], ['GAPD', 5], ['THIN', 6]]);
    expect(r0.AAA!.metrics).toMatchObject({ lastClose: '50', lastVolume: '5000000', lastDollarVolume: '250000000', historyDays: 30, staleDays: 0, lastDerived: false });
    expect(r0.CHEAP!.reasons).toEqual(['price_below_min: last close 4 < 5']);
    expect(r0.NEWCO!.reasons).toEqual(['history_too_short: 10 trading days with bars, needs 20']);
    expect(r0.EXCL!.reasons).toEqual(['excluded: listed under layer0.exclude']);
    expect(r0.NODATA!.reasons).toEqual([`no_data: no daily bar up to ${SCAN}`, 'history_too_short: 0 trading days with bars, needs 20']);
    expect(r0.STALE!.reasons).toEqual([`stale: last bar 2025-07-15 is 32 trading days before ${SCAN}, at most 3 allowed`]);
    expect(r0.STALE!.metrics).toMatchObject({ lastClose: '30', historyDays: 30 });
    // FIVEM: 25 days with bars, the last one derived from its 5m bars.
    expect(r0.FIVEM!.metrics).toMatchObject({ lastClose: '40', lastVolume: '780000', historyDays: 25, lastDerived: true });

    // Layer 1, on layer 0's six, ranked by average dollar volume.
    expect(run).toMatchObject({ layer: 'layer1', status: 'succeeded', symbolsIn: 6, symbolsOut: 4, inputRunId: l0!.id, alertCount: 3 });
    const r1 = Object.fromEntries(run.results.map((r) => [r.symbol, r]));
    expect(run.results.map((r) => [r.symbol, r.rank])).toEqual([['AAA', 1], ['FIVEM', 2], ['BBB', 3], ['GAPD', 4], ['THIN', null], ['WIDE', null]]);
    expect(r1.AAA!.metrics).toMatchObject({ bars: 20, avgDollarVolume: '60000000', avgVolume: 1_200_000 });
    expect(r1.AAA!.metrics.spreadProxy).toBeCloseTo(0.004, 5); // 2 · 0.2 / 100
    // 19 of the 20 days derived from 5m, 08-27 from its stored bar (its 5m bars hold 78 shares: avgVolume would show it).
    expect(r1.FIVEM!.metrics).toMatchObject({ bars: 20, avgDollarVolume: '31200000', avgVolume: 780_000, derivedBars: 19 });
    expect(r1.FIVEM!.metrics.spreadProxy).toBeCloseTo(0.0005, 6); // 2 · 0.02 / 80: the 08:00 ET low of 1 did not count
    expect(r1.BBB!.metrics.avgDollarVolume).toBe('30045000'); // (19 × 30M + 30.9M) / 20
    expect(r1.THIN!.reasons).toEqual(['dollar_volume_below_min: average close × volume $2,000,000 < $10,000,000']);
    expect(r1.WIDE!.reasons).toEqual(['spread_above_max: Corwin–Schultz estimate 2.00 % > 1.00 %']);

    for (const r of [l0!, run]) {
      expect(r.alerts.map((a) => [a.symbol, a.kind, a.ts])).toEqual([
        ['AAA', 'unusual_volume', `${SCAN}T00:00:00.000Z`], ['BBB', 'gap_up', `${SCAN}T00:00:00.000Z`], ['GAPD', 'gap_down', `${SCAN}T00:00:00.000Z`],
      ]);
    }
    expect(run.alerts[0]!.detail).toBe('volume 5,000,000 on 2025-08-28 is 5.0× the 20-day average 1,000,000');
    expect(run.alerts[2]).toMatchObject({ detail: 'opened 57 on 2025-08-28, 5.00 % below the previous close 60 (2025-08-27)', metrics: { gapPercent: -5 } });

    const alertLogs = logLines.filter((l) => String(l.msg).startsWith('scanner alert'));
    expect(alertLogs.map((l) => [l.layer, l.symbol, l.kind, l.scannerRun])).toEqual([
      ['layer0', 'AAA', 'unusual_volume', l0!.id], ['layer0', 'BBB', 'gap_up', l0!.id], ['layer0', 'GAPD', 'gap_down', l0!.id],
      ['layer1', 'AAA', 'unusual_volume', run.id], ['layer1', 'BBB', 'gap_up', run.id], ['layer1', 'GAPD', 'gap_down', run.id],
    ]);
    expect(events).toEqual(['scanner', 'scanner', 'scanner', 'scanner']); // start and end of each run

    expect(await latestLayerSymbols(deps, 'layer1')).toEqual(['AAA', 'FIVEM', 'BBB', 'GAPD']);
    expect(await latestLayerSymbols(deps, 'layer0')).toEqual(['AAA', 'WIDE', 'FIVEM', 'BBB', 'GAPD', 'THIN']);
    expect((await listScannerRuns(deps, { limit: 10 })).map((r) => r.layer)).toEqual(['layer1', 'layer0']);
    expect((await listScannerRuns(deps, { layer: 'layer0', limit: 10 })).map((r) => r.id)).toEqual([l0!.id]);
    expect(await getScannerRun(deps, run.id)).toEqual(run);
    expect(await getScannerRun(deps, 'not-a-run')).toBeNull();
    expect(await getScannerRun(deps, '00000000-0000-4000-8000-000000000000')).toBeNull();
  });

  it('layer1 as of now reuses the latest succeeded layer0 run; as of a given time it runs layer0 as of that time first', async () => {
    const before = await listScannerRuns(deps, { layer: 'layer0', limit: 10 });
    const now = await runScanner(deps, { layer: 'layer1', config: CONFIG });
    expect(now.layer0).toBeUndefined();
    expect(now.run.inputRunId).toBe(before[0]!.id);
    expect(await listScannerRuns(deps, { layer: 'layer0', limit: 10 })).toHaveLength(before.length);

    // As of 2025-08-13: FIVEM, whose bars start 2025-07-25, had 14 days of history (< 20).
    const then = await runScanner(deps, { layer: 'layer1', config: CONFIG, asOf: new Date('2025-08-14T00:00:00Z') });
    expect(then.layer0).toMatchObject({ layer: 'layer0', asOf: '2025-08-13T00:00:00.000Z' });
    expect(then.run.inputRunId).toBe(then.layer0!.id);
    expect(then.layer0!.results.find((r) => r.symbol === 'FIVEM')!.reasons).toEqual(['history_too_short: 14 trading days with bars, needs 20']);
    expect(then.run.results.map((r) => r.symbol)).not.toContain('FIVEM');
  });

  it('counts only the 5m bars that had ended at asOf', async () => {
    // 10:00 ET: the bars 09:30 … 09:55 (6 × 10,000 shares) have ended; the one starting at 10:00 has not.
    const { run } = await runScanner(deps, { layer: 'layer0', config: CONFIG, asOf: new Date(`${SCAN}T14:00:00Z`) });
    expect(run.results.find((r) => r.symbol === 'FIVEM')!.metrics).toMatchObject({ lastVolume: '60000', lastClose: '40' });
  });

  it('records a failed run with its error, writes no results, and keeps the last good run as the latest', async () => {
    const good = await latestLayerRun(deps, 'layer0');
    const n = events.length;
    const err = await runScanner(deps, { layer: 'layer0', config: CONFIG, asOf: new Date('2031-01-10T15:00:00Z') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ScannerRunError);
    expect((err as Error).message).toMatch(/^scanner layer0 run [0-9a-f-]{36} failed: NYSE calendar covers 2024–2027/);
    const [failed] = await listScannerRuns(deps, { layer: 'layer0', limit: 1 });
    expect((err as ScannerRunError).runId).toBe(failed!.id);
    expect(failed).toMatchObject({ status: 'failed', error: expect.stringMatching(/NYSE calendar covers 2024–2027; 2031-01-10 is outside it/), symbolsOut: 0 });
    expect(failed!.finishedAt).not.toBeNull();
    expect((await getScannerRun(deps, failed!.id))!.results).toEqual([]);
    expect((await latestLayerRun(deps, 'layer0'))!.runId).toBe(good!.runId);
    expect(events.slice(n)).toEqual(['scanner', 'scanner']);
    expect(logLines.some((l) => l.level === 50 && l.scannerRun === failed!.id)).toBe(true);
  });

  it('stores an empty layer1 run when layer0 passed nothing', async () => {
    const { run, layer0 } = await runScanner(deps, { layer: 'layer1', config: { ...CONFIG, layer0: { symbols: ['NODATA'] } }, asOf: AS_OF });
    expect(layer0).toMatchObject({ status: 'succeeded', symbolsIn: 1, symbolsOut: 0, asOf: AS_OF.toISOString() }); // no bar: asOf stays the cut-off
    expect(run).toMatchObject({ status: 'succeeded', symbolsIn: 0, symbolsOut: 0, results: [], alerts: [] });
    expect(await latestLayerSymbols(deps, 'layer1')).toEqual([]);
  });

  it('refuses a configuration that does not parse before creating a run', async () => {
    const before = (await listScannerRuns(deps, { limit: 100 })).length;
    await expect(runScanner(deps, { layer: 'layer0', config: { layer1: { minBars: 30, lookbackDays: 20 } } })).rejects.toThrow(/must not exceed lookbackDays/);
    expect(await listScannerRuns(deps, { limit: 100 })).toHaveLength(before);
  });
});
