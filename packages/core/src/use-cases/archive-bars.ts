// Old bar partitions leave the database for compressed files under ARCHIVE_DIR, and single days come back on demand.
// Archive, per partition wholly older than the cut-off, in one transaction: lock it against writes, stream its rows
// merged with any earlier archive of it into a new file, fsync and read it back, put its manifest in place, check the
// partition still holds exactly the rows streamed, then drop it. Nothing is dropped before its file is durable and
// verified; a failure rolls the drop back and leaves the older archive intact. Restore checks the file and the day's
// lines against the manifest, loads them (ON CONFLICT DO NOTHING: running it twice changes nothing) and checks that
// the stored rows read back give the manifest's checksum. A restored day's partition is archived again by the next
// archive run (the merge gives the same file).
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { TActor, TLastArchive, TTimeframe } from '@ai-trader/contracts';
import { copyInText, copyOut, datedPartitions, drainDefaultPartition, ensurePartitions, TIMEFRAME_TABLE, type PartitionRange, type PgPool, type Progress } from '@ai-trader/db';
import { ArchiveError, archiveDayOf, archiveRecords, archiveSelect, csvRecords, listManifests, mergeRecords, readManifest, verifyArchiveFile, writeArchive, ARCHIVE_COLUMNS, type ArchiveRecord } from '../infra/bar-archive.ts';
import { keys } from '../infra/redis.ts';
import type { Deps } from '../ports.ts';

export { ArchiveError } from '../infra/bar-archive.ts';

type BarTable = (typeof TIMEFRAME_TABLE)[TTimeframe];
const ALL_TIMEFRAMES = Object.keys(TIMEFRAME_TABLE) as TTimeframe[];

export interface ArchivedPartition {
  table: string;
  partition: string;
  from: string;
  to: string;
  /** Rows taken out of the database now. */
  rows: number;
  /** Rows in the archive file (with those archived earlier). */
  fileRows: number;
  file: string;
  sha256: string;
}

export interface ArchiveResult {
  olderThanDays: number;
  cutoff: string;
  dir: string;
  dryRun: boolean;
  /** Archived and dropped (or, in a dry run, what would be). */
  partitions: ArchivedPartition[];
}

type ArchiveDeps = Pick<Deps, 'pool' | 'config' | 'clock' | 'logger' | 'redis' | 'prisma' | 'events'>;

/** Archives and drops every bar partition that ends at least `days` days ago. */
export async function archiveBars(
  deps: ArchiveDeps,
  input: { days: number; timeframes?: TTimeframe[]; dryRun?: boolean; actor?: Pick<TActor, 'id' | 'email'>; onProgress?: (p: Progress) => void },
): Promise<ArchiveResult> {
  if (!Number.isInteger(input.days) || input.days < 1) throw new RangeError(`--days ${input.days}: must be a whole number of days, at least 1`);
  const now = deps.clock.now();
  const cutoff = new Date(now.getTime() - input.days * 86_400_000);
  const tables = (input.timeframes ?? ALL_TIMEFRAMES).map((tf) => TIMEFRAME_TABLE[tf]);
  const due: Array<{ table: BarTable; p: PartitionRange }> = [];
  for (const table of tables) {
    // Old rows waiting in DEFAULT get their partition first, so they are archived with it.
    if (!input.dryRun) await drainDefaultPartition(deps.pool, table);
    for (const p of await datedPartitions(deps.pool, table)) if (p.to <= cutoff) due.push({ table, p });
  }
  const result: ArchiveResult = { olderThanDays: input.days, cutoff: cutoff.toISOString(), dir: deps.config.ARCHIVE_DIR, dryRun: input.dryRun ?? false, partitions: [] };
  if (input.dryRun) {
    result.partitions = due.map(({ table, p }) => ({ table, partition: p.name, from: p.from.toISOString(), to: p.to.toISOString(), rows: 0, fileRows: 0, file: '', sha256: '' }));
    return result;
  }
  for (const [i, { table, p }] of due.entries()) {
    input.onProgress?.({ done: i, total: due.length, item: p.name });
    const a = await archivePartition(deps.pool, path.join(deps.config.ARCHIVE_DIR, table), table, p, now, (rows) => input.onProgress?.({ done: i, total: due.length, item: `${p.name}: ${rows} rows` }));
    result.partitions.push(a);
    deps.logger.info({ category: 'data', ...a }, `archived and dropped ${p.name} (${a.rows} rows)`);
  }
  input.onProgress?.({ done: due.length, total: due.length, item: 'done' });
  if (due.length) {
    const rows = result.partitions.reduce((s, x) => s + x.rows, 0);
    const last: TLastArchive = { at: now.toISOString(), dir: result.dir, olderThanDays: input.days, partitions: result.partitions.map((x) => x.partition), rows };
    await deps.redis.set(keys(deps.config.REDIS_PREFIX).dbLastArchive, JSON.stringify(last));
    if (input.actor) {
      await deps.prisma.auditLog.create({ data: { at: now, actorId: input.actor.id, actorEmail: input.actor.email, action: 'db.archive', reason: `archive bars older than ${input.days} days`, after: { dir: result.dir, partitions: result.partitions.map(({ partition, rows, file, sha256 }) => ({ partition, rows, file, sha256 })) } } });
      await deps.events.publish('audit');
    }
  }
  return result;
}

async function* counted(records: AsyncIterable<ArchiveRecord>, count: { n: number }): AsyncGenerator<ArchiveRecord> {
  for await (const r of records) {
    count.n++;
    yield r;
  }
}

async function* none(): AsyncGenerator<ArchiveRecord> {}

async function archivePartition(pool: PgPool, dir: string, table: BarTable, p: PartitionRange, now: Date, onRow: (rows: number) => void): Promise<ArchivedPartition> {
  await mkdir(dir, { recursive: true });
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    // Waits at most 10 s for the locks (the drop needs a moment alone with the parent table) instead of queueing
    // every reader of the table behind it.
    await client.query(`SET LOCAL lock_timeout = '10s'`);
    await client.query(`LOCK TABLE "${p.name}" IN SHARE MODE`); // late writes to this month wait; reads go on
    const earlier = await readManifest(dir, p.name);
    const old = earlier ? archiveRecords(await verifyArchiveFile(dir, earlier)) : none();
    const fromDb = { n: 0 };
    const copy = copyOut(client, `COPY (${archiveSelect(`"${p.name}"`)}) TO STDOUT (FORMAT csv)`);
    const manifest = await writeArchive(dir, { table, partition: p.name, from: p.from, to: p.to, now }, mergeRecords(old, counted(csvRecords(copy), fromDb), p.name), onRow);
    const stored = (await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${p.name}"`)).rows[0]!.n;
    if (stored !== fromDb.n) throw new ArchiveError(`${p.name}: ${stored} rows stored but ${fromDb.n} archived; nothing was dropped`);
    await client.query(`DROP TABLE "${p.name}"`);
    await client.query('COMMIT');
    return { table, partition: p.name, from: p.from.toISOString(), to: p.to.toISOString(), rows: fromDb.n, fileRows: manifest.rows, file: path.join(dir, manifest.file), sha256: manifest.sha256 };
  } catch (e) {
    broken = e as Error;
    await client.query('ROLLBACK').catch(() => undefined);
    if ((e as { code?: string }).code === '55P03') throw new ArchiveError(`${p.name}: the table was busy for 10 s (lock timeout); nothing was dropped — run the archive again`);
    throw e;
  } finally {
    // A COPY abandoned half-way leaves the connection unusable: discard it rather than hand it back.
    client.release(broken);
  }
}

export interface RestoredPart {
  table: string;
  partition: string;
  rows: number;
  inserted: number;
  alreadyStored: number;
  sha256: string;
}

/** Loads the archived bars of one symbol and day back (every timeframe archived, or those given). */
export async function restoreArchivedBars(
  deps: Pick<Deps, 'pool' | 'config' | 'logger'>,
  input: { date: string; symbol: string; timeframes?: TTimeframe[]; onProgress?: (p: Progress) => void },
): Promise<{ date: string; symbol: string; parts: RestoredPart[]; rows: number; inserted: number }> {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(input.date) || Number.isNaN(Date.parse(`${input.date}T00:00:00Z`))) throw new RangeError(`--date ${input.date}: must be a date like 2024-01-02`);
  if (!/^[A-Z][A-Z0-9.]{0,9}$/.test(input.symbol)) throw new RangeError(`--symbol ${input.symbol}: must be an upper-case ticker like AAPL`);
  const found: Array<{ table: BarTable; dir: string; m: Awaited<ReturnType<typeof listManifests>>[number] }> = [];
  for (const tf of input.timeframes ?? ALL_TIMEFRAMES) {
    const table = TIMEFRAME_TABLE[tf];
    const dir = path.join(deps.config.ARCHIVE_DIR, table);
    for (const m of await listManifests(dir)) if (m.index[input.symbol]?.[input.date]) found.push({ table, dir, m });
  }
  if (!found.length) throw new ArchiveError(`no archived bars of ${input.symbol} on ${input.date} under ${deps.config.ARCHIVE_DIR}`);
  const parts: RestoredPart[] = [];
  for (const [i, { table, dir, m }] of found.entries()) {
    input.onProgress?.({ done: i, total: found.length, item: `${m.partition}: checking` });
    const entry = m.index[input.symbol]![input.date]!;
    const file = await verifyArchiveFile(dir, m);
    // The day's lines, checked against the manifest before anything is written.
    const day = archiveDayOf(table);
    const hash = createHash('sha256');
    const lines: string[] = [];
    let first = '', last = '';
    for await (const r of archiveRecords(file)) {
      if (r.symbol < input.symbol) continue;
      if (r.symbol > input.symbol) break;
      if (day(r.ts) !== input.date) continue;
      hash.update(r.line);
      lines.push(r.line);
      first ||= r.ts;
      last = r.ts;
    }
    const sha256 = hash.digest('hex');
    if (lines.length !== entry.rows || sha256 !== entry.sha256)
      throw new ArchiveError(`${m.file}: the lines of ${input.symbol} on ${input.date} do not match the manifest (${lines.length} rows, expected ${entry.rows}); nothing restored`);
    input.onProgress?.({ done: i, total: found.length, item: `${m.partition}: loading ${lines.length} rows` });
    await ensurePartitions(deps.pool, table, new Date(first), new Date(last));
    const loaded = await loadAndVerify(deps.pool, table, lines, sha256, `${input.symbol} on ${input.date}`);
    parts.push({ table, partition: m.partition, rows: lines.length, inserted: loaded.inserted, alreadyStored: lines.length - loaded.inserted, sha256 });
    deps.logger.info({ category: 'data', table, partition: m.partition, symbol: input.symbol, date: input.date, rows: lines.length, inserted: loaded.inserted }, 'archived bars restored');
  }
  input.onProgress?.({ done: found.length, total: found.length, item: 'done' });
  return { date: input.date, symbol: input.symbol, parts, rows: parts.reduce((s, x) => s + x.rows, 0), inserted: parts.reduce((s, x) => s + x.inserted, 0) };
}

async function loadAndVerify(pool: PgPool, table: BarTable, lines: string[], sha256: string, what: string): Promise<{ inserted: number }> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    await client.query(`CREATE TEMP TABLE ait_restore (LIKE "${table}" INCLUDING DEFAULTS) ON COMMIT DROP`);
    const cols = ARCHIVE_COLUMNS.map((c) => `"${c}"`).join(', ');
    await copyInText(client, `COPY ait_restore (${cols}) FROM STDIN (FORMAT csv)`, lines.join(''));
    const differ = await client.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ait_restore s JOIN "${table}" t USING (symbol, ts)
       WHERE (t.open, t.high, t.low, t.close, t.volume, t.source) IS DISTINCT FROM (s.open, s.high, s.low, s.close, s.volume, s.source)`,
    );
    if (differ.rows[0]!.n) throw new ArchiveError(`${differ.rows[0]!.n} stored bars of ${what} differ from the archive; nothing restored (compare them before deleting the stored ones)`);
    const ins = await client.query(`INSERT INTO "${table}" (${cols}) SELECT ${cols} FROM ait_restore ON CONFLICT (symbol, ts) DO NOTHING`);
    // Read back from the table exactly as archived: the same bytes, so the same checksum.
    const back = createHash('sha256');
    let rows = 0;
    const out = copyOut(client, `COPY (${archiveSelect(`"${table}" t`, '(t.symbol, t.ts) IN (SELECT symbol, ts FROM ait_restore)')}) TO STDOUT (FORMAT csv)`);
    for await (const r of csvRecords(out)) {
      back.update(r.line);
      rows++;
    }
    if (rows !== lines.length || back.digest('hex') !== sha256) throw new ArchiveError(`${what}: the rows read back from ${table} do not match the archive; nothing restored`);
    await client.query('COMMIT');
    return { inserted: ins.rowCount ?? 0 };
  } catch (e) {
    broken = e as Error;
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    client.release(broken);
  }
}
