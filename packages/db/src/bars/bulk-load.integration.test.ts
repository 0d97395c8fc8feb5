// COPY-based loading against a real partitioned table: fresh ranges go straight in, re-loads store
// nothing, changed bars are reported and never overwrite, rows end up in their dated partitions.
import type { TBar } from '@ai-trader/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../testing/test-database.ts';
import { createPgPool, type PgPool } from '../pg-pool.ts';
import { ensurePartitions, existingPartitions, partitionFor } from '../partitions.ts';
import { batched, loadBars, loadBarsInTransaction, partitionMaker, type LoadResult } from './bulk-load.ts';
import { copyBinary } from './copy-binary.ts';

function bars(symbol: string, start: string, n: number, px = 100): TBar[] {
  const t0 = Date.parse(start);
  return Array.from({ length: n }, (_, i) => {
    const p = (px + i / 100).toFixed(2);
    return { symbol, timeframe: '5m' as const, ts: new Date(t0 + i * 300_000).toISOString(), open: p, high: p, low: p, close: p, volume: String(100 + i), source: 'test' };
  });
}

/** Times as `…:00Z` (the form COPY sends as binary; `….000Z` goes as text). */
const zulu = (b: TBar[]): TBar[] => b.map((x) => ({ ...x, ts: x.ts.replace('.000Z', 'Z') }));

/** Bars per monthly partition, as the table should hold them. */
function byMonth(b: TBar[], table: string): { p: string; n: number }[] {
  const n = new Map<string, number>();
  for (const x of b) n.set(`${table}_m${x.ts.slice(0, 4)}_${x.ts.slice(5, 7)}`, (n.get(`${table}_m${x.ts.slice(0, 4)}_${x.ts.slice(5, 7)}`) ?? 0) + 1);
  return [...n].map(([p, count]) => ({ p, n: count }));
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

  it('streams fresh batches into one COPY, reporting progress, and keeps them in their partitions', async () => {
    const b = zulu(bars('NVDA', '2025-05-20T13:30:00Z', 5000)); // 5 000 five-minute bars: May into June
    const seen: number[] = [];
    const r = await loadBars(pool, '5m', batched(b, 700), { onProgress: (p) => seen.push(p.inserted) });
    expect(r).toMatchObject({ received: 5000, inserted: 5000, duplicates: 0, conflicts: 0, directBatches: 8, stagedBatches: 0 });
    expect(seen).toEqual([5000]); // one COPY for all eight batches: progress comes after each COPY
    const stored = await pool.query(`SELECT tableoid::regclass::text AS p, count(*)::int AS n FROM market_data_5m WHERE symbol = 'NVDA' GROUP BY 1 ORDER BY 1`);
    expect(stored.rows).toEqual(byMonth(b, 'market_data_5m'));
  });

  it('when a later batch of a streamed COPY meets stored bars, takes them one batch at a time: nothing lost, nothing twice', async () => {
    const b = zulu(bars('AMD', '2025-08-01T13:30:00Z', 900)); // goes as binary (INTC below: as text)
    await loadBars(pool, '5m', [b.slice(600, 700)]); // stored already: the middle of the third batch
    const changed = b.map((x, i) => (i === 650 ? { ...x, close: '999.99', high: '999.99' } : x));
    const copies: LoadResult[] = [];
    const r = await loadBars(pool, '5m', batched(changed, 300), { onProgress: (p) => copies.push({ ...p }) });
    // batch 1 and 2 fresh, batch 3 a third stored (one of them changed): the COPY of all three fails whole,
    // then each batch goes on its own
    expect(copies).toHaveLength(1);
    expect(r).toMatchObject({ received: 900, inserted: 800, duplicates: 99, conflicts: 1, directBatches: 2, stagedBatches: 1 });
    expect((await pool.query(`SELECT count(*)::int AS n FROM market_data_5m WHERE symbol = 'AMD'`)).rows[0].n).toBe(900);
    const kept = await pool.query(`SELECT close::text FROM market_data_5m WHERE symbol = 'AMD' AND ts = $1`, [b[650]!.ts]);
    expect(kept.rows[0].close).toBe(Number(b[650]!.close).toFixed(6));
  });

  it('inside a transaction: creates partitions as new months arrive, retries a COPY that met stored bars, and commits or rolls back as one', async () => {
    const b = bars('INTC', '2033-01-30T13:30:00Z', 12_000); // late January into March 2033: no partitions yet
    await loadBars(pool, '5m', [b.slice(1500, 1510)]); // a few stored already (their loader creates February)
    const load = async (commit: boolean): Promise<LoadResult> => {
      const client = await pool.connect();
      const partitions = partitionMaker(pool);
      try {
        await client.query('BEGIN');
        const r = await loadBarsInTransaction(client, partitions.ensure, '5m', batched(b, 1000));
        await client.query(commit ? 'COMMIT' : 'ROLLBACK');
        return r;
      } finally {
        client.release();
        await partitions.close();
      }
    };
    const rolledBack = await load(false);
    expect(rolledBack).toMatchObject({ received: 12_000, inserted: 11_990, duplicates: 10, conflicts: 0, directBatches: 11, stagedBatches: 1 });
    expect((await pool.query(`SELECT count(*)::int AS n FROM market_data_5m WHERE symbol = 'INTC'`)).rows[0].n).toBe(10);
    const r = await load(true);
    expect(r).toMatchObject({ received: 12_000, inserted: 11_990, duplicates: 10, conflicts: 0 });
    const stored = await pool.query(`SELECT tableoid::regclass::text AS p, count(*)::int AS n FROM market_data_5m WHERE symbol = 'INTC' GROUP BY 1 ORDER BY 1`);
    expect(stored.rows).toEqual(byMonth(b, 'market_data_5m'));
    expect(stored.rows.map((x) => x.p)).toEqual(['market_data_5m_m2033_01', 'market_data_5m_m2033_02', 'market_data_5m_m2033_03']);
  });

  it('stores the same values whether a COPY goes as binary or as text', async () => {
    let seed = 5;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648), Math.floor((seed / 2147483648) * n));
    const decimal = () => {
      const int = rnd(4) === 0 ? String(rnd(10 ** 9)) + String(rnd(10 ** 4)).padStart(4, '0') : String(rnd(1000));
      const frac = rnd(10);
      return frac ? `${int}.${String(rnd(10 ** Math.min(frac, 9))).padStart(frac, '0')}` : int; // up to 9 places: rounded to 6 by the column
    };
    const b = zulu(bars('DEC', '2030-01-02T00:00:00Z', 3000)).map((x, i) => ({
      ...x, open: decimal(), high: decimal(), low: i % 7 ? decimal() : '0.0000005', close: decimal(), volume: String(rnd(10 ** 9)),
    }));
    expect(copyBinary(b)).not.toBeNull(); // so the COPY below goes as binary
    const r = await loadBars(pool, '5m', [b]);
    expect(r).toMatchObject({ inserted: 3000, directBatches: 1 });
    // the same values as text, through Postgres' own parsing
    await pool.query(
      `INSERT INTO market_data_5m (symbol, ts, open, high, low, close, volume, source)
       SELECT 'DEC2', ts, open, high, low, close, volume, 'text' FROM jsonb_to_recordset($1::jsonb) AS x(ts timestamptz, open numeric, high numeric, low numeric, close numeric, volume bigint)`,
      [JSON.stringify(b.map(({ ts, open, high, low, close, volume }) => ({ ts, open, high, low, close, volume })))],
    );
    const differ = await pool.query(
      `SELECT count(*)::int AS n FROM (SELECT * FROM market_data_5m WHERE symbol = 'DEC') a FULL JOIN (SELECT * FROM market_data_5m WHERE symbol = 'DEC2') t USING (ts)
       WHERE (a.open::text, a.high::text, a.low::text, a.close::text, a.volume) IS DISTINCT FROM (t.open::text, t.high::text, t.low::text, t.close::text, t.volume)`,
    );
    expect(differ.rows[0].n).toBe(0);
    expect((await pool.query(`SELECT count(*)::int AS n FROM market_data_5m WHERE symbol = 'DEC2'`)).rows[0].n).toBe(3000);
  });

  it('ends the COPY when its producer fails midway: nothing of it stored, the connection usable at once', async () => {
    const b = zulu(bars('ORCL', '2025-09-01T13:30:00Z', 3000));
    async function* failing() {
      yield b.slice(0, 1000);
      yield b.slice(1000, 2000);
      await new Promise((r) => setTimeout(r, 50)); // the COPY is open, waiting for more
      throw new Error('disk read error at byte 123456');
    }
    await expect(loadBars(pool, '5m', failing())).rejects.toThrow('disk read error');
    const client = await pool.connect();
    const partitions = partitionMaker(pool);
    try {
      await client.query('BEGIN');
      await expect(loadBarsInTransaction(client, partitions.ensure, '5m', failing())).rejects.toThrow('disk read error');
      await client.query("SET LOCAL statement_timeout = '5s'");
      expect((await client.query(`SELECT count(*)::int AS n FROM market_data_5m WHERE symbol = 'ORCL'`)).rows[0].n).toBe(0);
      await client.query('ROLLBACK');
    } finally {
      client.release();
      await partitions.close();
    }
    expect((await pool.query(`SELECT count(*)::int AS n FROM market_data_5m WHERE symbol = 'ORCL'`)).rows[0].n).toBe(0);
  });
});
