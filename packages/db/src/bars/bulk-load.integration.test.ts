// COPY-based loading against a real partitioned table: fresh ranges go straight in, re-loads store
// nothing, changed bars are reported and never overwrite, rows end up in their dated partitions.
import type { TBar } from '@ai-trader/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../testing/test-database.ts';
import { createPgPool, type PgPool } from '../pg-pool.ts';
import { ensurePartitions, existingPartitions, partitionFor } from '../partitions.ts';
import { batched, loadBars } from './bulk-load.ts';

function bars(symbol: string, start: string, n: number, px = 100): TBar[] {
  const t0 = Date.parse(start);
  return Array.from({ length: n }, (_, i) => {
    const p = (px + i / 100).toFixed(2);
    return { symbol, timeframe: '5m' as const, ts: new Date(t0 + i * 300_000).toISOString(), open: p, high: p, low: p, close: p, volume: String(100 + i), source: 'test' };
  });
}

describe('loadBars', () => {
  let db: TestDatabase;
  let pool: PgPool;
  beforeAll(async () => {
    db = await createTestDatabase('bulkload');
    pool = createPgPool(db.url);
  });
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  it('copies a fresh range directly, and a re-load stores nothing', async () => {
    const b = bars('AAPL', '2025-06-30T20:00:00Z', 500); // crosses into July
    const first = await loadBars(pool, '5m', batched(b, 200));
    expect(first).toMatchObject({ received: 500, inserted: 500, duplicates: 0, conflicts: 0, directBatches: 3, stagedBatches: 0 });
    const again = await loadBars(pool, '5m', batched(b, 200));
    expect(again).toMatchObject({ received: 500, inserted: 0, duplicates: 500, conflicts: 0, directBatches: 0, stagedBatches: 3 });
    expect((await pool.query('SELECT count(*)::int AS n FROM market_data_5m')).rows[0].n).toBe(500);
    const parts = await pool.query(`SELECT tableoid::regclass::text AS p, count(*)::int AS n FROM market_data_5m GROUP BY 1 ORDER BY 1`);
    expect(parts.rows).toEqual([{ p: 'market_data_5m_m2025_06', n: 48 }, { p: 'market_data_5m_m2025_07', n: 452 }]);
  });

  it('inserts only the new part of an overlapping batch and reports changed bars without overwriting', async () => {
    const b = bars('MSFT', '2025-07-01T13:30:00Z', 100);
    await loadBars(pool, '5m', [b.slice(0, 60)]);
    const changed = b.map((x, i) => (i === 10 ? { ...x, close: '999.99', high: '999.99' } : x));
    const r = await loadBars(pool, '5m', [changed]);
    expect(r).toMatchObject({ inserted: 40, duplicates: 59, conflicts: 1, stagedBatches: 1 });
    const kept = await pool.query(`SELECT close::text FROM market_data_5m WHERE symbol = 'MSFT' AND ts = $1`, [b[10]!.ts]);
    expect(kept.rows[0].close).toBe(Number(b[10]!.close).toFixed(6));
  });

  it('moves rows waiting in the default partition into a newly created partition', async () => {
    await pool.query(`INSERT INTO market_data_5m (symbol, ts, open, high, low, close, volume, source) VALUES ('TSLA', '2031-03-05T15:00:00Z', 1, 1, 1, 1, 1, 'x')`);
    expect((await pool.query(`SELECT tableoid::regclass::text AS p FROM market_data_5m WHERE symbol = 'TSLA'`)).rows[0].p).toBe('market_data_5m_default');
    const created = await ensurePartitions(pool, 'market_data_5m', new Date('2031-03-01T00:00:00Z'), new Date('2031-04-15T00:00:00Z'));
    expect(created).toEqual(['market_data_5m_m2031_03', 'market_data_5m_m2031_04']);
    expect((await pool.query(`SELECT tableoid::regclass::text AS p FROM market_data_5m WHERE symbol = 'TSLA'`)).rows[0].p).toBe('market_data_5m_m2031_03');
    expect(await ensurePartitions(pool, 'market_data_5m', new Date('2031-03-01T00:00:00Z'), new Date('2031-04-15T00:00:00Z'))).toEqual([]);
    // concurrent callers do not trip over each other
    const many = await Promise.all([1, 2, 3].map(() => ensurePartitions(pool, 'market_data_1d', new Date('2030-01-01'), new Date('2032-06-01'))));
    expect(many.flat().sort()).toEqual(['market_data_1d_y2030', 'market_data_1d_y2031', 'market_data_1d_y2032']);
    expect((await existingPartitions(pool, 'market_data_1d')).has(partitionFor('market_data_1d', new Date('2031-07-01')).name)).toBe(true);
  });
});
