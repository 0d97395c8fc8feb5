// Fast, idempotent bulk loading of bars with COPY. A batch whose (symbol, time range) holds no stored
// bar is copied straight into the partitioned table; only a batch that overlaps stored bars goes through
// a temporary staging table and INSERT … ON CONFLICT DO NOTHING. So a fresh load runs at COPY speed and a
// re-load stores nothing new; a bar that differs from the stored one is counted as a conflict, never
// overwritten.
//
// A fresh range streams: the batches after the first go into the same COPY as they arrive, while the next
// ones are still being produced (ReadAhead), so Postgres and the producer (parsing, validation) work at
// the same time; that COPY goes in binary format when the bars allow (copy-binary.ts), which spares
// Postgres parsing times and decimals. Should a later batch hit a stored bar after all, the COPY fails
// whole and its batches take the batch-by-batch path above.
import type { TBar, TTimeframe } from '@ai-trader/contracts';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { once } from 'node:events';
import { ensurePartitions, existingPartitions, partitionsBetween, TIMEFRAME_TABLE, type PartitionedTable } from '../partitions.ts';
import { COPY_COLUMNS, copyText, fromCopyText } from './copy-text.ts';
import { BINARY_HEADER, BINARY_TRAILER, copyBinary, fromCopyBinary } from './copy-binary.ts';
import { ReadAhead } from './read-ahead.ts';

export interface LoadResult {
  received: number;
  inserted: number;
  duplicates: number; // already stored with the same values
  conflicts: number; // already stored with OTHER values (kept as stored; reported)
  directBatches: number;
  stagedBatches: number;
}

export interface LoadOptions {
  /** Called after each COPY or batch with the totals so far. */
  onProgress?: (r: Readonly<LoadResult>) => void;
}

const READ_AHEAD = 6_000; // bars produced ahead of the COPY: enough to keep it fed, few enough to die young
const RUN_MAX = 100_000; // bars in one streamed COPY at most: what a unique violation sends again batch by batch

/** One COPY … FROM STDIN being fed: `send` waits while the socket is behind, `finish` for Postgres' verdict.
 *  After an error nothing more is written (the stream is unusable then); `finish` rejects with it. */
function startCopy(client: pg.ClientBase, table: string, binary = false) {
  const copy = client.query(copyFrom(`COPY ${table} ${COPY_COLUMNS} FROM STDIN${binary ? ' (FORMAT binary)' : ''}`));
  let error: Error | null = null;
  const done = new Promise<void>((resolve, reject) => {
    copy.once('finish', resolve);
    copy.on('error', (e: Error) => {
      error ??= e;
      reject(e);
    });
  });
  done.catch(() => undefined); // awaited in finish; this only covers the time before
  return {
    failed: () => error !== null,
    async send(data: Buffer): Promise<void> {
      if (error || copy.write(data)) return;
      await once(copy, 'drain').catch(() => undefined); // an error rejects it, and shows in finish
    },
    async finish(): Promise<void> {
      if (!error) copy.end();
      await done;
    },
    /** Ends the COPY with nothing stored (CopyFail), so the connection can go on. */
    async abort(why: Error): Promise<void> {
      if (!error) copy.destroy(why);
      await done.catch(() => undefined);
    },
  };
}

async function copyInto(client: pg.ClientBase, table: string, bars: TBar[]): Promise<void> {
  const copy = startCopy(client, table);
  for (let i = 0; i < bars.length && !copy.failed(); i += 10_000) await copy.send(copyText(bars.slice(i, i + 10_000)));
  await copy.finish();
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
    // The time bounds prune the join to the batch's partitions: a scan of all of them would hold the DEFAULT
    // partition locked until the transaction ends, and creating a partition (another connection) waits for that.
    let min = bars[0]!.ts, max = min;
    for (const b of bars) {
      if (b.ts < min) min = b.ts;
      if (b.ts > max) max = b.ts;
    }
    const conflicts = await client.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM ${stage} s JOIN ${table} m USING (symbol, ts)
       WHERE m.ts BETWEEN $1 AND $2 AND (m.open, m.high, m.low, m.close, m.volume) IS DISTINCT FROM (s.open, s.high, s.low, s.close, s.volume)`,
      [min, max],
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
 * Loads already-validated bars of one timeframe in batches. Each COPY is all-or-nothing (a streamed run of
 * fresh batches, or one batch), so a crash leaves whole batches stored and a re-run completes the rest
 * without duplicates.
 */
export async function loadBars(pool: pg.Pool, timeframe: TTimeframe, bars: AsyncIterable<TBar[]> | Iterable<TBar[]>, opts: LoadOptions = {}): Promise<LoadResult> {
  const client = await pool.connect();
  try {
    return await loadWith(client, false, (table, from, to) => ensurePartitions(client, table, from, to), timeframe, bars, opts);
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
  opts: LoadOptions = {},
): Promise<LoadResult> {
  return loadWith(client, true, ensure, timeframe, bars, opts);
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

/** The UTC month of a bar's time as year × 12 + month index (by arithmetic for `YYYY-MM-DDTHH:MM:SSZ`). */
function monthOf(ts: string): number {
  if (ts.length === 20 && ts.charCodeAt(19) === 90 /* Z */ && ts.charCodeAt(4) === 45 && ts.charCodeAt(7) === 45) {
    let y = 0;
    for (let i = 0; i < 4; i++) y = y * 10 + ts.charCodeAt(i) - 48;
    const m = (ts.charCodeAt(5) - 48) * 10 + ts.charCodeAt(6) - 48;
    if (y >= 0 && y <= 9999 && m >= 1 && m <= 12) return y * 12 + m - 1;
  }
  const d = new Date(ts);
  return d.getUTCFullYear() * 12 + d.getUTCMonth(); // NaN for a time that does not parse
}

/** The partitions the bars of `batches` belong in, and the months they span; null when there is no bar. */
function partitionsOf(table: PartitionedTable, batches: readonly (readonly TBar[])[]): { from: Date; to: Date; names: string[] } | null {
  let lo = Infinity, hi = -Infinity;
  for (const batch of batches)
    for (let i = 0; i < batch.length; i++) {
      const m = monthOf(batch[i]!.ts);
      if (m < lo) lo = m;
      if (m > hi) hi = m;
    }
  if (lo === Infinity) return null;
  const from = new Date(Date.UTC(Math.floor(lo / 12), lo % 12, 1)), to = new Date(Date.UTC(Math.floor(hi / 12), hi % 12, 1));
  return { from, to, names: partitionsBetween(table, from, to).map((p) => p.name) };
}

async function loadWith(
  client: pg.ClientBase, nested: boolean, ensure: (table: PartitionedTable, from: Date, to: Date) => Promise<unknown>, timeframe: TTimeframe,
  bars: AsyncIterable<TBar[]> | Iterable<TBar[]>, opts: LoadOptions,
): Promise<LoadResult> {
  const table = TIMEFRAME_TABLE[timeframe];
  const res: LoadResult = { received: 0, inserted: 0, duplicates: 0, conflicts: 0, directBatches: 0, stagedBatches: 0 };
  // Partitions known to exist. A COPY only gets bars whose partition existed when it started: one attached
  // while it runs is not in its routing, so a new month ends the COPY and the next one starts after `ensure`.
  const ready = new Set<string>();
  const isReady = (batch: TBar[]) => partitionsOf(table, [batch])?.names.every((n) => ready.has(n)) ?? true;
  // Asked at once, while the first bars are still being produced (a stale answer only means a needless ensure).
  let existing: Promise<Set<string>> | null = existingPartitions(client, table);
  existing.catch(() => undefined); // awaited in prepare
  /** Partitions for these batches; only between statements (with loadBars, `ensure` uses this client). */
  async function prepare(batches: readonly TBar[][]): Promise<void> {
    const span = partitionsOf(table, batches);
    if (!span || span.names.every((n) => ready.has(n))) return;
    const known = existing ?? existingPartitions(client, table);
    existing = null;
    for (const n of await known) ready.add(n);
    if (span.names.every((n) => ready.has(n))) return;
    await ensure(table, span.from, span.to);
    for (const n of span.names) ready.add(n);
  }

  /** One batch on its own: direct when its range holds no stored bar, else staged (or skipped when identical). */
  async function loadBatch(batch: TBar[], overlapping: boolean): Promise<void> {
    // no stored bar in its range: straight in, unless another loader stored some since we looked
    if (!(overlapping || (await overlaps(client, table, batch))) && (await directCopy(client, table, batch, nested))) {
      res.inserted += batch.length;
      res.directBatches++;
      return;
    }
    if (await alreadyStored(client, table, batch)) {
      res.duplicates += batch.length;
    } else {
      const r = await stagedInsert(client, table, batch, nested);
      res.inserted += r.inserted;
      res.conflicts += r.conflicts;
      res.duplicates += batch.length - r.inserted - r.conflicts;
    }
    res.stagedBatches++;
  }

  /** A fresh range: `first` and the batches after it, while their partitions exist, in one COPY. */
  async function streamRun(first: TBar[], ahead: ReadAhead<TBar>): Promise<void> {
    // Binary when the first batch has the exact binary form (the usual case), else text. A later batch that
    // does not fit the run's format, or needs a partition the COPY started without, ends the run.
    const firstBinary = copyBinary(first);
    const binary = firstBinary !== null;
    const sent: Buffer[] = []; // kept as bytes, not bars: bars die young (cheap for the GC)
    let batches = 0, rows = 0;
    // Sent back to back with the COPY (pg queues them): no round trip in between.
    const savepoint = nested ? client.query('SAVEPOINT bars_direct') : null;
    savepoint?.catch(() => undefined); // awaited below
    const copy = startCopy(client, table, binary);
    try {
      if (binary) await copy.send(BINARY_HEADER);
      for (let batch = first, data = firstBinary ?? copyText(first); ; ) {
        sent.push(data);
        batches++;
        rows += batch.length;
        await copy.send(data);
        if (copy.failed() || rows >= RUN_MAX) break;
        const next = await ahead.take(); // the producer's error, if it fails now
        if (!next) break;
        const nextData = copy.failed() || !isReady(next) ? null : binary ? copyBinary(next) : copyText(next);
        if (!nextData) {
          ahead.putBack(next);
          break;
        }
        res.received += next.length;
        batch = next;
        data = nextData;
      }
      if (binary && !copy.failed()) await copy.send(BINARY_TRAILER);
      await savepoint;
    } catch (e) {
      // The COPY must end before anything else can use the connection (the caller's ROLLBACK, say).
      await copy.abort(e as Error);
      if (nested) await savepoint?.then(() => client.query('ROLLBACK TO SAVEPOINT bars_direct')).catch(() => undefined);
      throw e;
    }
    try {
      await copy.finish();
      if (nested) await client.query('RELEASE SAVEPOINT bars_direct');
      res.inserted += rows;
      res.directBatches += batches;
    } catch (e) {
      if (nested) await client.query('ROLLBACK TO SAVEPOINT bars_direct');
      if ((e as { code?: string }).code !== '23505') throw e;
      // A stored bar after all (a later batch's range, or another loader meanwhile): batch by batch.
      for (const data of sent) await loadBatch(binary ? fromCopyBinary(data, timeframe) : fromCopyText(data, timeframe), false);
    }
  }

  const ahead = new ReadAhead(bars, READ_AHEAD);
  try {
    for (let batch = await ahead.take(); batch; batch = await ahead.take()) {
      if (!batch.length) continue;
      res.received += batch.length;
      await prepare([batch, ...ahead.queued()]);
      if (await overlaps(client, table, batch)) await loadBatch(batch, true);
      else await streamRun(batch, ahead);
      opts.onProgress?.(res);
    }
  } finally {
    ahead.stop();
    await existing?.catch(() => undefined); // never left running on a connection handed back
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
