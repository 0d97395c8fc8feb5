// Fast, idempotent bulk loading of bars with COPY. A batch whose (symbol, time range) holds no stored
// bar is copied straight into the partitioned table; only a batch that overlaps stored bars goes through
// a temporary staging table and INSERT … ON CONFLICT DO NOTHING. So a fresh load runs at COPY speed and a
// re-load stores nothing new; a bar that differs from the stored one is counted as a conflict, never
// overwritten.
import type { TBar, TTimeframe } from '@ai-trader/contracts';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { ensurePartitions, TIMEFRAME_TABLE } from '../partitions.ts';

export interface LoadResult {
  received: number;
  inserted: number;
  duplicates: number; // already stored with the same values
  conflicts: number; // already stored with OTHER values (kept as stored; reported)
  directBatches: number;
  stagedBatches: number;
}

const COLUMNS = '(symbol, ts, open, high, low, close, volume, source)';
// COPY text format: tab-separated; our values never contain tabs, newlines or backslashes (validated
// upstream: tickers, ISO times, decimal strings, integers); the source is escaped anyway.
const esc = (s: string) => s.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n');
const line = (b: TBar) => `${b.symbol}\t${b.ts}\t${b.open}\t${b.high}\t${b.low}\t${b.close}\t${b.volume}\t${esc(b.source)}\n`;

async function copyInto(client: pg.PoolClient, table: string, bars: TBar[]): Promise<void> {
  const CHUNK = 2000;
  function* chunks() {
    for (let i = 0; i < bars.length; i += CHUNK) {
      let s = '';
      for (let j = i; j < Math.min(i + CHUNK, bars.length); j++) s += line(bars[j]!);
      yield s;
    }
  }
  await pipeline(Readable.from(chunks()), client.query(copyFrom(`COPY ${table} ${COLUMNS} FROM STDIN`)));
}

async function overlaps(client: pg.PoolClient, table: string, bars: TBar[]): Promise<boolean> {
  const bySymbol = new Map<string, { min: string; max: string }>();
  for (const b of bars) {
    const r = bySymbol.get(b.symbol);
    if (!r) bySymbol.set(b.symbol, { min: b.ts, max: b.ts });
    else {
      if (b.ts < r.min) r.min = b.ts;
      if (b.ts > r.max) r.max = b.ts;
    }
  }
  for (const [symbol, r] of bySymbol) {
    const q = await client.query(`SELECT 1 FROM ${table} WHERE symbol = $1 AND ts BETWEEN $2 AND $3 LIMIT 1`, [symbol, r.min, r.max]);
    if (q.rowCount) return true;
  }
  return false;
}

async function stagedInsert(client: pg.PoolClient, table: string, bars: TBar[]): Promise<{ inserted: number; conflicts: number }> {
  await client.query('BEGIN');
  try {
    await client.query(`CREATE TEMP TABLE bars_stage (LIKE ${table} INCLUDING DEFAULTS) ON COMMIT DROP`);
    await copyInto(client, 'bars_stage', bars);
    const conflicts = await client.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM bars_stage s JOIN ${table} m USING (symbol, ts)
       WHERE (m.open, m.high, m.low, m.close, m.volume) IS DISTINCT FROM (s.open, s.high, s.low, s.close, s.volume)`,
    );
    const ins = await client.query(`INSERT INTO ${table} SELECT * FROM bars_stage ON CONFLICT (symbol, ts) DO NOTHING`);
    await client.query('COMMIT');
    return { inserted: ins.rowCount ?? 0, conflicts: Number(conflicts.rows[0]!.n) };
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  }
}

/**
 * Loads already-validated bars of one timeframe in batches. Each batch is all-or-nothing, so a crash
 * leaves whole batches stored and a re-run completes the rest without duplicates.
 */
export async function loadBars(pool: pg.Pool, timeframe: TTimeframe, bars: AsyncIterable<TBar[]> | Iterable<TBar[]>): Promise<LoadResult> {
  const table = TIMEFRAME_TABLE[timeframe];
  const res: LoadResult = { received: 0, inserted: 0, duplicates: 0, conflicts: 0, directBatches: 0, stagedBatches: 0 };
  const known = new Set<string>();
  const client = await pool.connect();
  try {
    for await (const batch of bars) {
      if (!batch.length) continue;
      res.received += batch.length;
      let min = batch[0]!.ts, max = min;
      for (const b of batch) {
        if (b.ts < min) min = b.ts;
        if (b.ts > max) max = b.ts;
      }
      const span = `${min.slice(0, 7)}|${max.slice(0, 7)}`;
      if (!known.has(span)) {
        await ensurePartitions(pool, table, new Date(min), new Date(max));
        known.add(span);
      }
      let staged = await overlaps(client, table, batch);
      if (!staged) {
        try {
          await copyInto(client, table, batch);
          res.inserted += batch.length;
          res.directBatches++;
        } catch (e) {
          // Another loader stored some of these bars since we looked: fall back to the conflict path.
          if ((e as { code?: string }).code !== '23505') throw e;
          staged = true;
        }
      }
      if (staged) {
        const r = await stagedInsert(client, table, batch);
        res.inserted += r.inserted;
        res.conflicts += r.conflicts;
        res.duplicates += batch.length - r.inserted - r.conflicts;
        res.stagedBatches++;
      }
    }
  } finally {
    client.release();
  }
  return res;
}

/** Splits a stream of bars into batches of at most `size`. */
export async function* batched<T>(items: AsyncIterable<T> | Iterable<T>, size: number): AsyncGenerator<T[]> {
  let buf: T[] = [];
  for await (const x of items) {
    buf.push(x);
    if (buf.length >= size) {
      yield buf;
      buf = [];
    }
  }
  if (buf.length) yield buf;
}
