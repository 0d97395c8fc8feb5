// The daily market-data job: partitions ahead, then the last trading day's stored bars validated; problems
// open one alert with the counts, a clean day resolves it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRuntime, type TestRuntime } from '@ai-trader/adapters/testing';
import { dailyDataMaintenance, lastCompletedTradingDay, listAlerts, type Clock } from '@ai-trader/core';
import { existingPartitions, loadBars } from '@ai-trader/db';
import type { TBar } from '@ai-trader/contracts';

const DAY = '2025-06-04'; // a Wednesday: 78 regular 5m bars, 13:30Z–19:55Z
const bars = (skip: number[] = []): TBar[] =>
  Array.from({ length: 78 }, (_, i) => i)
    .filter((i) => !skip.includes(i))
    .map((i) => ({ symbol: 'SPY', timeframe: '5m' as const, ts: new Date(Date.parse(`${DAY}T13:30:00Z`) + i * 300_000).toISOString().replace('.000Z', 'Z'), open: '100', high: '100.1', low: '99.9', close: '100', volume: '10', source: 'test' }));

describe('daily data maintenance', () => {
  let rt: TestRuntime;
  let now = new Date('2025-06-04T21:00:00Z'); // 17:00 ET, after the close
  const clock: Clock = { now: () => now };
  beforeAll(async () => {
    rt = await createTestRuntime('dailydata', { REPLAY_SYMBOLS: 'SPY' });
    rt.deps.clock = clock;
  });
  afterAll(async () => rt?.cleanup());

  it('knows the last completed trading day', () => {
    expect(lastCompletedTradingDay(new Date('2025-06-04T21:00:00Z'))).toBe('2025-06-04'); // after the close
    expect(lastCompletedTradingDay(new Date('2025-06-04T15:00:00Z'))).toBe('2025-06-03'); // during the session
    expect(lastCompletedTradingDay(new Date('2025-07-07T12:00:00Z'))).toBe('2025-07-03'); // Monday morning after July 4th
  });

  it('creates partitions ahead, alerts on the gaps of the day, and resolves the alert once the day is complete', async () => {
    await loadBars(rt.deps.pool, '5m', [bars([10, 11, 40])]);
    const r = await dailyDataMaintenance(rt.deps);
    expect(r).toMatchObject({ date: DAY, counts: { missing_bar: 3 } });
    const parts = await existingPartitions(rt.deps.pool, 'market_data_5m');
    expect(parts.has('market_data_5m_m2025_06') && parts.has('market_data_5m_m2025_07')).toBe(true); // 30 days ahead of June 4
    const [alert] = await listAlerts(rt.deps, { open: true, limit: 5 });
    expect(alert).toMatchObject({ key: `data.validation:${DAY}`, level: 'warning' });
    expect(alert!.message).toBe(`stored 5m bars of ${DAY}: 3 missing_bar (SPY); see ai-trader validate --symbols SPY --days 1`);

    await loadBars(rt.deps.pool, '5m', [bars()]); // the gaps filled (a backfill)
    now = new Date(now.getTime() + 3_600_000);
    expect((await dailyDataMaintenance(rt.deps)).problems).toBe(0);
    expect(await listAlerts(rt.deps, { open: true, limit: 5 })).toEqual([]);
  });
});
