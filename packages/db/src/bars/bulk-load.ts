// Fast, idempotent bulk loading of bars with COPY. A batch whose (symbol, time range) holds no stored
// bar is copied straight into the partitioned table; only a batch that overlaps stored bars goes through
// a temporary staging table and INSERT … ON CONFLICT DO NOTHING. So a fresh load runs at COPY speed and a
// re-load stores nothing new; a bar that differs from the stored one is counted as a conflict, never
// overwritten.
import type { TBar, TTimeframe } from '@ai-trader/contracts';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { ensurePartitions, TIMEFRAME_TABLE, type PartitionedTable } from '../partitions.ts';

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

async function copyInto(client: pg.ClientBase, table: string, bars: TBar[]): Promise<void> {
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

async function overlaps(client: pg.ClientBase, table: string, bars: TBar[]): Promise<boolean> {
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

/**
 * Re-load fast path: per symbol, compare the batch with the stored bars of its time range by count and by
 * exact integer sums of every field (prices in micro-units, times in seconds from the batch start). Equal
 * means "already stored identically" and the batch is skipped without sending a row or writing anything.
 * Any difference — or numbers too large for exact double sums — takes the staged path, which finds
 * exactly what is new and what conflicts. (A change that leaves all six sums and the count unchanged would
 * go unreported as a conflict; it would still never overwrite a stored bar.)
 */
const MICRO = 1_000_000;
async function alreadyStored(client: pg.ClientBase, table: string, bars: TBar[]): Promise<boolean> {
  const groups = new Map<string, TBar[]>();
  for (const b of bars) (groups.get(b.symbol) ?? groups.set(b.symbol, []).get(b.symbol)!).push(b);
  for (const [symbol, rows] of groups) {
    let min = rows[0]!.ts, max = min;
    for (const b of rows) {
      if (b.ts < min) min = b.ts;
      if (b.ts > max) max = b.ts;
    }
    const t0 = Date.parse(min);
    const sums = [0, 0, 0, 0, 0, 0];
    for (const b of rows) {
      sums[0]! += (Date.parse(b.ts) - t0) / 1000;
      sums[1]! += Math.round(Number(b.open) * MICRO);
      sums[2]! += Math.round(Number(b.high) * MICRO);
      sums[3]! += Math.round(Number(b.low) * MICRO);
      sums[4]! += Math.round(Number(b.close) * MICRO);
      sums[5]! += Number(b.volume);
    }
    if (sums.some((x) => !Number.isSafeInteger(x))) return false;
    const r = await client.query<{ n: string; s: string[] }>(
      `SELECT count(*)::text AS n, ARRAY[sum(extract(epoch FROM ts - $2::timestamptz))::bigint, sum(open * ${MICRO})::bigint, sum(high * ${MICRO})::bigint,
              sum(low * ${MICRO})::bigint, sum(close * ${MICRO})::bigint, sum(volume)::bigint]::text[] AS s
       FROM ${table} WHERE symbol = $1 AND ts BETWEEN $2 AND $3`,
      [symbol, min, max],
    );
    const row = r.rows[0]!;
    if (Number(row.n) !== rows.length || row.s.some((v, i) => Number(v) !== sums[i])) return false;
  }
  return true;
}

/** The new bars of a batch that overlaps stored ones, through a temporary staging table and INSERT … ON
 *  CONFLICT DO NOTHING. Its own transaction, or a savepoint inside the caller's. */
async function stagedInsert(client: pg.ClientBase, table: string, bars: TBar[], nested: boolean): Promise<{ inserted: number; conflicts: number }> {
  const stage = `bars_stage_${table}`;
  await client.query(nested ? 'SAVEPOINT bars_staged' : 'BEGIN');
  try {
    await client.query(`CREATE TEMP TABLE IF NOT EXISTS ${stage} (LIKE ${table} INCLUDING DEFAULTS) ON COMMIT DROP`);
    await client.query(`TRUNCATE ${stage}`);
    await copyInto(client, stage, bars);
    const conflicts = await client.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM ${stage} s JOIN ${table} m USING (symbol, ts)
       WHERE (m.open, m.high, m.low, m.close, m.volume) IS DISTINCT FROM (s.open, s.high, s.low, s.close, s.volume)`,
    );
    const ins = await client.query(`INSERT INTO ${table} SELECT * FROM ${stage} ON CONFLICT (symbol, ts) DO NOTHING`);
    await client.query(nested ? 'RELEASE SAVEPOINT bars_staged' : 'COMMIT');
    return { inserted: ins.rowCount ?? 0, conflicts: Number(conflicts.rows[0]!.n) };
  } catch (e) {
    await client.query(nested ? 'ROLLBACK TO SAVEPOINT bars_staged' : 'ROLLBACK').catch(() => undefined);
    throw e;
  }
}

/** A COPY straight into the table; false when another loader stored some of these bars since we looked
 *  (unique violation), which leaves nothing behind: the caller takes the staged path instead. */
async function directCopy(client: pg.ClientBase, table: string, bars: TBar[], nested: boolean): Promise<boolean> {
  if (nested) await client.query('SAVEPOINT bars_direct');
  try {
    await copyInto(client, table, bars);
    if (nested) await client.query('RELEASE SAVEPOINT bars_direct');
    return true;
  } catch (e) {
    if (nested) await client.query('ROLLBACK TO SAVEPOINT bars_direct');
    if ((e as { code?: string }).code !== '23505') throw e;
    return false;
  }
}

/**
 * Loads already-validated bars of one timeframe in batches. Each batch is all-or-nothing, so a crash
 * leaves whole batches stored and a re-run completes the rest without duplicates.
 */
export async function loadBars(pool: pg.Pool, timeframe: TTimeframe, bars: AsyncIterable<TBar[]> | Iterable<TBar[]>): Promise<LoadResult> {
  const client = await pool.connect();
  try {
    return await loadWith(client, false, (table, from, to) => ensurePartitions(client, table, from, to), timeframe, bars);
  } finally {
    client.release();
  }
}

/**
 * The same, inside a transaction the caller holds open on `client` (BEGIN … COMMIT around it): everything
 * it stores commits or rolls back with the caller's other writes. Partitions cannot be created in that
 * transaction without locking readers out of the table until it ends, so `ensure` creates them on another
 * connection (see partitionMaker).
 */
export function loadBarsInTransaction(
  client: pg.ClientBase, ensure: (table: PartitionedTable, from: Date, to: Date) => Promise<unknown>, timeframe: TTimeframe, bars: AsyncIterable<TBar[]> | Iterable<TBar[]>,
): Promise<LoadResult> {
  return loadWith(client, true, ensure, timeframe, bars);
}

/**
 * Creates partitions on its own connection (opened on first use, from the pool's settings), for a loader
 * inside a long transaction. A lock wait longer than `lockTimeoutMs` fails with Postgres' message instead
 * of waiting for a transaction that may be our own caller's.
 */
export function partitionMaker(pool: pg.Pool, lockTimeoutMs = 10_000) {
  let client: pg.Client | null = null;
  return {
    async ensure(table: PartitionedTable, from: Date, to: Date): Promise<string[]> {
      if (!client) {
        const c = new pg.Client(pool.options);
        await c.connect();
        await c.query(`SET lock_timeout = ${Math.round(lockTimeoutMs)}`);
        client = c;
      }
      return ensurePartitions(client, table, from, to);
    },
    async close(): Promise<void> {
      await client?.end().catch(() => undefined);
      client = null;
    },
  };
}

async function loadWith(
  client: pg.ClientBase, nested: boolean, ensure: (table: PartitionedTable, from: Date, to: Date) => Promise<unknown>, timeframe: TTimeframe, bars: AsyncIterable<TBar[]> | Iterable<TBar[]>,
): Promise<LoadResult> {
  const table = TIMEFRAME_TABLE[timeframe];
  const res: LoadResult = { received: 0, inserted: 0, duplicates: 0, conflicts: 0, directBatches: 0, stagedBatches: 0 };
  const known = new Set<string>();
  // Read ahead: the next batch is parsed and validated while Postgres ingests this one (2 cores, 2 jobs).
  const it = (Symbol.asyncIterator in bars ? bars[Symbol.asyncIterator]() : (bars as Iterable<TBar[]>)[Symbol.iterator]()) as AsyncIterator<TBar[]> | Iterator<TBar[]>;
  const pull = () => {
    const p = Promise.resolve(it.next());
    p.catch(() => undefined); // awaited below; this only stops an abandoned read-ahead from crashing the process
    return p;
  };
  let next = pull();
  for (;;) {
    const step = await next;
    if (step.done) break;
    next = pull();
    const batch = step.value;
    if (!batch.length) continue;
    res.received += batch.length;
    let min = batch[0]!.ts, max = min;
    for (const b of batch) {
      if (b.ts < min) min = b.ts;
      if (b.ts > max) max = b.ts;
    }
    const span = `${min.slice(0, 7)}|${max.slice(0, 7)}`;
    if (!known.has(span)) {
      await ensure(table, new Date(min), new Date(max));
      known.add(span);
    }
    let staged = await overlaps(client, table, batch);
    if (!staged) {
      if (await directCopy(client, table, batch, nested)) {
        res.inserted += batch.length;
        res.directBatches++;
      } else staged = true;
    }
    if (staged && (await alreadyStored(client, table, batch))) {
      res.duplicates += batch.length;
      res.stagedBatches++;
    } else if (staged) {
      const r = await stagedInsert(client, table, batch, nested);
      res.inserted += r.inserted;
      res.conflicts += r.conflicts;
      res.duplicates += batch.length - r.inserted - r.conflicts;
      res.stagedBatches++;
    }
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
