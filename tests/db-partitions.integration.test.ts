// Partitions ahead are created idempotently (twice, or twice at once, gives the same partitions and no error); a bar
// whose month has no partition still lands — in DEFAULT — and raises an alert; maintenance then creates the
// partition, which moves the bar into it, and resolves the alert. The CLI verb does the same as a process.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRuntime, type TestRuntime } from '@ai-trader/adapters/testing';
import { ingestBar, listAlerts, maintainPartitions, type Clock } from '@ai-trader/core';
import { existingPartitions, PARTITIONED_TABLES } from '@ai-trader/db';
import { runCli } from './helpers/processes.ts';

describe('partitions ahead and the DEFAULT partition', () => {
  let rt: TestRuntime;
  let now = new Date('2025-06-04T21:00:00Z');
  const clock: Clock = { now: () => now };
  const all = async () => Object.fromEntries(await Promise.all(PARTITIONED_TABLES.map(async (t) => [t, [...(await existingPartitions(rt.deps.pool, t))].sort()] as const)));

  beforeAll(async () => {
    rt = await createTestRuntime('dbparts');
    rt.deps.clock = clock;
  });
  afterAll(async () => rt?.cleanup());

  it('creates the partitions ahead once; running again, or twice at once, creates nothing more', async () => {
    const first = await maintainPartitions(rt.deps, { daysAhead: 30 });
    expect(first.created.market_data_5m).toEqual(['market_data_5m_m2025_06', 'market_data_5m_m2025_07']);
    expect(first.created.market_data_1h).toEqual(['market_data_1h_y2025']);
    expect(first.created.news).toEqual(['news_y2025']);
    const before = await all();
    expect(Object.values((await maintainPartitions(rt.deps, { daysAhead: 30 })).created).flat()).toEqual([]);
    now = new Date('2025-07-20T21:00:00Z'); // 30 days ahead now reaches August
    const both = await Promise.all([maintainPartitions(rt.deps, { daysAhead: 30 }), maintainPartitions(rt.deps, { daysAhead: 30 })]);
    const created = both.flatMap((r) => Object.values(r.created).flat()).sort();
    expect(created).toEqual(['market_data_1m_m2025_08', 'market_data_5m_m2025_08']); // once each, whoever won
    const after = await all();
    expect(after.market_data_5m).toEqual([...before.market_data_5m!, 'market_data_5m_m2025_08'].sort());
    await expect(maintainPartitions(rt.deps, { daysAhead: -1 })).rejects.toThrow('--days-ahead -1: must be a whole number of days from 0 to 3660');
  });

  it('a bar with no partition lands in DEFAULT and alerts; maintenance moves it into its new partition and resolves the alert', async () => {
    const bar = { symbol: 'AAPL', timeframe: '5m' as const, ts: '2031-03-03T15:00:00Z', open: '200', high: '201', low: '199.5', close: '200.5', volume: '1000', source: 'test' };
    expect(await ingestBar(rt.deps, bar)).toEqual({ inserted: true, quarantined: false });
    expect(await ingestBar(rt.deps, { ...bar, ts: '2031-03-03T15:05:00Z' })).toEqual({ inserted: true, quarantined: false });
    const where = await rt.deps.pool.query<{ part: string; n: number }>(`SELECT tableoid::regclass::text AS part, count(*)::int AS n FROM market_data_5m WHERE symbol = 'AAPL' GROUP BY 1`);
    expect(where.rows).toEqual([{ part: 'market_data_5m_default', n: 2 }]);
    const [alert] = await listAlerts(rt.deps, { open: true, limit: 5, keyPrefix: 'partition.default:' });
    expect(alert).toMatchObject({ key: 'partition.default:market_data_5m', level: 'warning', source: 'market-data', count: 1 });
    expect(alert!.message).toContain('no partition of market_data_5m covers 2031-03-03T15:00:00Z (AAPL)');

    const r = await maintainPartitions(rt.deps, { daysAhead: 30 });
    expect(r.created.market_data_5m).toEqual(['market_data_5m_m2031_03']);
    expect(r.defaultRows.market_data_5m).toBe(0);
    const moved = await rt.deps.pool.query<{ part: string; n: number }>(`SELECT tableoid::regclass::text AS part, count(*)::int AS n FROM market_data_5m WHERE symbol = 'AAPL' GROUP BY 1`);
    expect(moved.rows).toEqual([{ part: 'market_data_5m_m2031_03', n: 2 }]);
    expect(await listAlerts(rt.deps, { open: true, limit: 5, keyPrefix: 'partition.default:' })).toEqual([]);
    // A bar of a month that has its partition raises nothing.
    await ingestBar(rt.deps, { ...bar, ts: '2031-03-04T15:00:00Z' });
    expect(await listAlerts(rt.deps, { open: true, limit: 5, keyPrefix: 'partition.default:' })).toEqual([]);
  });

  it('ai-trader db partitions --days-ahead 30, as a process, finds nothing left to create after the same work', async () => {
    const made = await maintainPartitions({ ...rt.deps, clock: { now: () => new Date() } }, { daysAhead: 30 });
    expect(made.created.market_data_5m.length).toBeGreaterThan(0); // today's months did not exist yet
    const env = { DATABASE_URL: rt.config.DATABASE_URL, REDIS_URL: rt.config.REDIS_URL, REDIS_PREFIX: rt.config.REDIS_PREFIX, LOG_LEVEL: 'warn' };
    const cli = await runCli(['db', 'partitions', '--days-ahead', '30', '--json'], env);
    expect(cli.stderr).toBe('');
    expect(cli.status).toBe(0);
    const out = JSON.parse(cli.stdout) as { created: Record<string, string[]>; status: Array<{ table: string; daysAhead: number; defaultRows: number }> };
    expect(Object.values(out.created).flat()).toEqual([]);
    expect(out.status.find((s) => s.table === 'market_data_5m')!.daysAhead).toBeGreaterThanOrEqual(30);
    expect(out.status.every((s) => s.defaultRows === 0)).toBe(true);
  });
});
