// The features pipeline against real Postgres and real bars: the CLI's batch and the worker's bar-by-bar
// updates store the same rows as computeFeatures in memory; re-runs change nothing; a gap, a retry or an
// old bar makes the worker rebuild its engine from stored bars and still agree with the batch.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createTestRuntime, SHARED_DATA_DIR, type TestRuntime } from '@ai-trader/adapters/testing';
import type { TBar } from '@ai-trader/contracts';
import { loadBars, type PgPool } from '@ai-trader/db';
import { computeFeatures, FEATURE_SET_VERSION, type FeatureVector } from '@ai-trader/domain';
import { UnrecoverableError } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeStoredFeatures, FeaturesInputError, MAX_FEATURE_ENGINES, readFeatures, updateFeaturesForBar } from './features.ts';

function realBars(symbol: string, n: number): TBar[] {
  const lines = readFileSync(path.join(SHARED_DATA_DIR, 'bars/5m', `${symbol}.csv`), 'utf8').trim().split('\n').slice(1, n + 1);
  return lines.map((line) => {
    const [ts, open, high, low, close, volume] = line.split(',');
    return { symbol, timeframe: '5m', ts: ts!, open: open!, high: high!, low: low!, close: close!, volume: volume!, source: 'test' };
  });
}
const ALL = { from: '2000-01-01T00:00:00Z', to: '2100-01-01T00:00:00Z' };
const LONG_MEMORY = ['rsi_14', 'macd', 'macd_signal', 'macd_hist', 'atr_pct', 'ema_12_dev'] as const;

/** Equal, except the long-memory features (EMA, Wilder): after a rebuild from 180 bars their start-up error is
 *  weighted by (13/14)^180 ≈ 1.6e-6, so they agree to 1e-5 relative. */
function expectClose(a: FeatureVector, b: FeatureVector, label: string) {
  for (const [n, x] of Object.entries(a) as [keyof FeatureVector, number | null][]) {
    const y = b[n];
    if ((LONG_MEMORY as readonly string[]).includes(n) && x !== null && y !== null) expect(Math.abs(x - y), `${label} ${n}`).toBeLessThanOrEqual(1e-5 * Math.max(1e-3, Math.abs(y)));
    else expect(x, `${label} ${n}`).toBe(y);
  }
}

describe('features pipeline', () => {
  let rt: TestRuntime;
  let pool: PgPool;
  const aapl = realBars('AAPL', 2000); // ~11 days, extended hours included (zero volume, wild wicks)
  const msft = realBars('MSFT', 1200);
  const count = async () => (await pool.query(`SELECT count(*)::int AS n FROM features`)).rows[0].n as number;

  beforeAll(async () => {
    rt = await createTestRuntime('features');
    pool = rt.deps.pool;
    await loadBars(pool, '5m', [aapl]);
  });
  afterAll(async () => {
    await rt?.cleanup();
  });

  it('the batch stores exactly what computeFeatures gives in memory; a re-run writes nothing', async () => {
    const progress: number[] = [];
    const r = await computeStoredFeatures({ pool }, { symbols: ['AAPL'], timeframe: '5m', onProgress: (p) => progress.push(p.done) });
    expect(r.symbols[0]).toMatchObject({ symbol: 'AAPL', bars: aapl.length, written: aapl.length, unchanged: 0, warmup: 0, first: aapl[0]!.ts, last: aapl.at(-1)!.ts });
    expect(progress.at(-1)).toBe(aapl.length);
    const stored = await readFeatures({ pool }, { symbol: 'AAPL', timeframe: '5m', ...ALL });
    expect(stored.map((x) => x.ts)).toEqual(aapl.map((b) => b.ts));
    expect(stored.every((x) => x.setVersion === FEATURE_SET_VERSION)).toBe(true);
    expect(stored.map((x) => x.values)).toEqual(computeFeatures(aapl, '5m')); // jsonb round-trips every double

    const again = await computeStoredFeatures({ pool }, { symbols: ['AAPL'], timeframe: '5m' });
    expect(again.symbols[0]).toMatchObject({ bars: aapl.length, written: 0, unchanged: aapl.length });
    const after = await readFeatures({ pool }, { symbol: 'AAPL', timeframe: '5m', ...ALL });
    expect(after.map((x) => x.computedAt)).toEqual(stored.map((x) => x.computedAt)); // not even touched
  });

  it('a range warms up on the bars before it and gives the rows of the full run', async () => {
    const full = computeFeatures(aapl, '5m');
    await pool.query(`DELETE FROM features`);
    const r = await computeStoredFeatures({ pool }, { symbols: ['AAPL', 'NONE'], timeframe: '5m', from: '2025-06-12', to: '2025-06-13' });
    const inRange = aapl.filter((b) => b.ts >= '2025-06-12T04:00:00Z' && b.ts < '2025-06-14T04:00:00Z'); // New York midnights (EDT)
    expect(r.symbols[0]).toMatchObject({ bars: inRange.length, warmup: 1000, first: inRange[0]!.ts, last: inRange.at(-1)!.ts });
    expect(r.symbols[1]).toMatchObject({ symbol: 'NONE', bars: 0, first: null });
    const stored = await readFeatures({ pool }, { symbol: 'AAPL', timeframe: '5m', ...ALL });
    expect(stored.length).toBe(inRange.length);
    // 1000 warm-up bars leave the long-memory features a start-up error of (13/14)^1000: none at all in doubles
    expect(stored.map((x) => x.values)).toEqual(full.filter((_, i) => aapl[i]!.ts >= inRange[0]!.ts && aapl[i]!.ts <= inRange.at(-1)!.ts));
  });

  it('bad ranges are input errors', async () => {
    await expect(computeStoredFeatures({ pool }, { symbols: ['AAPL'], timeframe: '5m', from: '2025-06-31' })).rejects.toThrow(FeaturesInputError);
    await expect(computeStoredFeatures({ pool }, { symbols: ['AAPL'], timeframe: '5m', from: '2025-06-12', to: '2025-06-11' })).rejects.toThrow(/after to/);
  });

  it('the worker, bar by bar, stores the same rows as the batch; a retry is a no-op', async () => {
    await pool.query(`DELETE FROM features`);
    const hows: string[] = [];
    const first = aapl.slice(0, 600); // features of bar i depend on bars ≤ i only: a prefix is enough
    for (const b of first) hows.push((await updateFeaturesForBar({ pool }, { symbol: 'AAPL', timeframe: '5m', ts: b.ts })).how);
    expect(hows[0]).toBe('rebuilt');
    expect(hows.slice(1).every((h) => h === 'incremental')).toBe(true);
    const stored = await readFeatures({ pool }, { symbol: 'AAPL', timeframe: '5m', ...ALL });
    expect(stored.map((x) => x.values)).toEqual(computeFeatures(aapl, '5m').slice(0, first.length));

    const retry = await updateFeaturesForBar({ pool }, { symbol: 'AAPL', timeframe: '5m', ts: aapl[300]!.ts });
    expect(retry).toEqual({ ts: aapl[300]!.ts, values: stored[300]!.values, how: 'stored' });
    expect(await count()).toBe(first.length);
    // and the batch finds nothing to change in the worker's rows: it writes only the bars the worker did not see
    const batch = await computeStoredFeatures({ pool }, { symbols: ['AAPL'], timeframe: '5m' });
    expect(batch.symbols[0]).toMatchObject({ written: aapl.length - first.length, unchanged: first.length });
  });

  it('a row of another feature-set version is recomputed', async () => {
    const ts = aapl[1500]!.ts;
    await pool.query(`UPDATE features SET "setVersion" = 0, "values" = '{}' WHERE symbol = 'AAPL' AND ts = $1`, [ts]);
    const r = await updateFeaturesForBar({ pool }, { symbol: 'AAPL', timeframe: '5m', ts });
    expect(r.how).not.toBe('stored');
    const [row] = await readFeatures({ pool }, { symbol: 'AAPL', timeframe: '5m', from: ts, to: ts });
    expect(row).toMatchObject({ setVersion: FEATURE_SET_VERSION });
    expectClose(row!.values, computeFeatures(aapl, '5m')[1500]!, ts);
  });

  it('a gap since the last update forces a rebuild from stored bars that agrees with the batch', async () => {
    await loadBars(pool, '5m', [msft.slice(0, 100)]);
    for (const b of msft.slice(0, 100)) await updateFeaturesForBar({ pool }, { symbol: 'MSFT', timeframe: '5m', ts: b.ts });
    // bars 100..139 arrive without the worker (a backfill), then the live edge moves on
    await loadBars(pool, '5m', [msft.slice(100, 141)]);
    const r = await updateFeaturesForBar({ pool }, { symbol: 'MSFT', timeframe: '5m', ts: msft[140]!.ts });
    expect(r.how).toBe('rebuilt');
    const batch = computeFeatures(msft.slice(0, 141), '5m');
    expect(r.values).toEqual(batch[140]); // fewer bars than the rebuild window: the same engine state, exactly
    // a long way on (the rebuild window no longer reaches the first bar): equal within the long-memory tolerance
    await loadBars(pool, '5m', [msft.slice(141)]);
    const far = await updateFeaturesForBar({ pool }, { symbol: 'MSFT', timeframe: '5m', ts: msft[1100]!.ts });
    expect(far.how).toBe('rebuilt');
    expectClose(far.values, computeFeatures(msft.slice(0, 1101), '5m')[1100]!, 'bar 1100');
    const next = await updateFeaturesForBar({ pool }, { symbol: 'MSFT', timeframe: '5m', ts: msft[1101]!.ts });
    expect(next.how).toBe('incremental');
    // an older bar (late backfill) is computed on the side and does not rewind the live engine
    const old = await updateFeaturesForBar({ pool }, { symbol: 'MSFT', timeframe: '5m', ts: msft[500]!.ts });
    expect(old.how).toBe('rebuilt');
    expect((await updateFeaturesForBar({ pool }, { symbol: 'MSFT', timeframe: '5m', ts: msft[1102]!.ts })).how).toBe('incremental');
  });

  it(`keeps at most ${MAX_FEATURE_ENGINES} engines: the least recently used one is rebuilt when its symbol returns`, async () => {
    const t0 = Date.parse('2025-09-02T13:30:00Z');
    const syms = Array.from({ length: MAX_FEATURE_ENGINES + 1 }, (_, i) => `L${String(i).padStart(3, '0')}`);
    const bar = (symbol: string, k: number): TBar => ({ symbol, timeframe: '5m', ts: new Date(t0 + k * 300_000).toISOString().replace('.000Z', 'Z'), open: '10', high: '11', low: '9', close: String(10 + k), volume: '100', source: 'test' });
    await loadBars(pool, '5m', [syms.flatMap((s) => [bar(s, 0), bar(s, 1)])]);
    for (const s of syms) expect((await updateFeaturesForBar({ pool }, { symbol: s, timeframe: '5m', ts: bar(s, 0).ts })).how).toBe('rebuilt');
    expect((await updateFeaturesForBar({ pool }, { symbol: syms.at(-1)!, timeframe: '5m', ts: bar(syms.at(-1)!, 1).ts })).how).toBe('incremental');
    expect((await updateFeaturesForBar({ pool }, { symbol: syms[0]!, timeframe: '5m', ts: bar(syms[0]!, 1).ts })).how).toBe('rebuilt'); // evicted
    expect((await updateFeaturesForBar({ pool }, { symbol: syms[2]!, timeframe: '5m', ts: bar(syms[2]!, 1).ts })).how).toBe('incremental');
  });

  it('a stored bar the engine refuses stops the batch and the worker with a message naming it', async () => {
    const ts = '2025-09-03T13:30:00Z';
    await pool.query(`INSERT INTO market_data_5m (symbol, ts, open, high, low, close, volume, source) VALUES ('BAD', $1, 10, 9, 11, 10, 100, 'hand edit')`, [ts]);
    await expect(computeStoredFeatures({ pool }, { symbols: ['BAD'], timeframe: '5m' })).rejects.toThrow(`features BAD 5m bar ${ts}: high 9.000000 < low 11.000000`);
    const p = updateFeaturesForBar({ pool }, { symbol: 'BAD', timeframe: '5m', ts });
    await expect(p).rejects.toThrow(UnrecoverableError);
    await expect(p).rejects.toThrow(/high 9.000000 < low 11.000000/);
    expect(await readFeatures({ pool }, { symbol: 'BAD', timeframe: '5m', ...ALL })).toEqual([]);
  });

  it('a bar that is not stored is an unrecoverable error', async () => {
    const p = updateFeaturesForBar({ pool }, { symbol: 'AAPL', timeframe: '5m', ts: '2030-01-02T15:00:00Z' });
    await expect(p).rejects.toThrow(UnrecoverableError);
    await expect(updateFeaturesForBar({ pool }, { symbol: 'AAPL', timeframe: '5m', ts: '2030-01-02T15:00:00Z' })).rejects.toThrow(/no stored bar at 2030-01-02T15:00:00Z/);
  });
});
