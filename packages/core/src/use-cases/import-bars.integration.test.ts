// importBars against a real partitioned Postgres: streamed validation gives validateSeries' verdicts, the
// whole import is one transaction (a failure midway stores nothing, quarantines nothing), a bar far out of
// place falls back to whole-file validation with the same outcome, and readers are never locked out.
import type { TBar } from '@ai-trader/contracts';
import { createPgPool, existingPartitions, type PgPool } from '@ai-trader/db';
import { createTestDatabase, type TestDatabase } from '@ai-trader/db/testing';
import { regularSession, validateSeries } from '@ai-trader/domain';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { importBars, type ParsedRow } from './import-bars.ts';

const T0 = Date.parse('2024-06-03T13:30:00Z'); // a Monday, 09:30 EDT (no DST switch until November)
/** A regular-session 5m series over `days` trading days, prices wandering by cents. */
function series(days: number): TBar[] {
  const out: TBar[] = [];
  let px = 100;
  for (let d = 0, day = 0; day < days; d++) {
    const start = T0 + d * 86_400_000;
    if (regularSession(new Date(start).toISOString().slice(0, 10))?.close !== 16 * 60) continue; // weekends, holidays, early closes
    day++;
    for (let i = 0; i < 78; i++) {
      const o = px, c = px + (((out.length * 7919) % 11) - 5) / 100;
      const f = (x: number) => x.toFixed(2);
      out.push({ symbol: 'TST', timeframe: '5m', ts: new Date(start + i * 300_000).toISOString().replace('.000Z', 'Z'), open: f(o), high: f(Math.max(o, c) + 0.02), low: f(Math.min(o, c) - 0.02), close: f(c), volume: String(1000 + i), source: 'test' });
      px = c;
    }
  }
  return out;
}
const chunks = (rows: ParsedRow[], size = 700): ParsedRow[][] => Array.from({ length: Math.ceil(rows.length / size) }, (_, i) => rows.slice(i * size, (i + 1) * size));
const opts = { symbol: 'TST', timeframe: '5m' as const, source: 'test', session: 'regular' as const };

describe('importBars', () => {
  let db: TestDatabase;
  let pool: PgPool;
  const count = async (table: string) => (await pool.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n as number;
  beforeAll(async () => {
    db = await createTestDatabase('importbars');
    pool = createPgPool(db.url);
  });
  beforeEach(async () => {
    await pool.query('TRUNCATE market_data_5m, bar_quarantine');
  });
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  it('streams a series with planted defects to the same outcome as validateSeries, creating partitions as it goes', async () => {
    const bars = series(40); // 3 120 bars over two months: partitions are created mid-transaction
    bars[500] = { ...bars[500]!, high: '1.00' }; // ohlc_inconsistent
    bars[1500] = { ...bars[1500]!, low: String((Number(bars[1500]!.close) * 0.9).toFixed(2)) }; // a bad print
    const rows: ParsedRow[] = [...bars.map((bar) => ({ bar })), { error: { line: 9999, detail: "high 'x' is not a number", raw: 'x' } }];
    const r = await importBars({ pool }, () => chunks(rows), { ...opts, settleAfter: 100 });
    const whole = validateSeries(bars, { timeframe: '5m', session: 'regular' });
    expect(r.mode).toBe('stream');
    expect(r.load.inserted).toBe(whole.goodCount);
    expect(r.rejected).toBe(2);
    expect(r.malformed).toBe(1);
    expect(await count('market_data_5m')).toBe(bars.length - 2);
    expect((await pool.query(`SELECT kind FROM bar_quarantine ORDER BY kind`)).rows.map((x) => x.kind)).toEqual(['malformed', 'ohlc_inconsistent', 'outlier']);
    expect([...(await existingPartitions(pool, 'market_data_5m'))].filter((p) => /2024_0[67]/.test(p)).sort()).toEqual(['market_data_5m_m2024_06', 'market_data_5m_m2024_07']);

    const again = await importBars({ pool }, () => chunks(rows), { ...opts, settleAfter: 100 });
    expect(again.load).toMatchObject({ inserted: 0, duplicates: whole.goodCount });
  });

  it('stores nothing and quarantines nothing when the input fails midway, and lets readers read meanwhile', async () => {
    const bars = series(20);
    let readerSaw: number | null = null;
    function* failing(): Generator<ParsedRow[]> {
      yield bars.slice(0, 800).map((bar) => ({ bar }));
      yield [{ error: { line: 3, detail: 'bad', raw: 'x' } }];
      yield bars.slice(800, 1200).map((bar) => ({ bar }));
      throw new Error('disk read error at byte 123456');
    }
    // A reader on another connection while the import's transaction is open (with a lock wait, it would time out).
    const reader = async function* (): AsyncGenerator<ParsedRow[]> {
      let i = 0;
      for (const c of failing()) {
        if (i++ === 2) {
          const c2 = await pool.connect();
          try {
            await c2.query("SET statement_timeout = '3s'");
            readerSaw = (await c2.query(`SELECT count(*)::int AS n FROM market_data_5m WHERE symbol = 'TST'`)).rows[0].n;
          } finally {
            c2.release();
          }
        }
        yield c;
      }
    };
    await expect(importBars({ pool }, () => reader(), { ...opts, settleAfter: 50 })).rejects.toThrow('disk read error');
    expect(readerSaw).toBe(0); // not blocked, and it does not see uncommitted bars
    expect(await count('market_data_5m')).toBe(0);
    expect(await count('bar_quarantine')).toBe(0);
  });

  it('validates the whole file first when a bar arrives far out of place, with the same outcome', async () => {
    const bars = series(10);
    const late = bars[100]!;
    const input = [...bars.slice(0, 100), ...bars.slice(101), late];
    let opened = 0;
    const r = await importBars({ pool }, () => (opened++, chunks(input.map((bar) => ({ bar })), 97)), { ...opts, settleAfter: 20 });
    expect(r.mode).toBe('whole-file');
    expect(opened).toBe(2);
    expect(r.load.inserted).toBe(bars.length);
    expect(r.warnings).toBe(1); // out_of_order, sorted into place
    expect(await count('market_data_5m')).toBe(bars.length);
    expect(await count('bar_quarantine')).toBe(0);
  });
});
