// Archive and restore of bar partitions: old partitions go to gzip CSV files whose checksums match their manifests
// and are dropped; a day of one symbol comes back with exactly the rows it had (compared by a checksum computed here,
// independently of the archive's), twice changes nothing, and archiving the restored day again gives the same file.
// A stored bar that differs from its archive, or a damaged archive file, stops the work before anything is dropped
// or written.
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRuntime, type TestRuntime } from '@ai-trader/adapters/testing';
import { archiveBars, keys, restoreArchivedBars, type Clock } from '@ai-trader/core';
import { existingPartitions, loadBars } from '@ai-trader/db';
import type { TBar } from '@ai-trader/contracts';
import { runCli } from './helpers/processes.ts';

const bar = (symbol: string, ts: string, close: string, timeframe: TBar['timeframe'] = '5m'): TBar =>
  ({ symbol, timeframe, ts, open: close, high: (Number(close) + 0.5).toFixed(2), low: (Number(close) - 0.5).toFixed(4), close, volume: '1200', source: 'test' });
/** Every 5 minutes from `from` for `n` bars. */
const run = (symbol: string, from: string, n: number, base: number) =>
  Array.from({ length: n }, (_, i) => bar(symbol, new Date(Date.parse(from) + i * 300_000).toISOString().replace('.000Z', 'Z'), (base + i * 0.01).toFixed(2)));

describe('db archive / restore-archive', () => {
  let rt: TestRuntime;
  let dir: string;
  const clock: Clock = { now: () => new Date('2025-06-04T21:00:00Z') };
  /** md5 over the stored rows of one symbol in [from, to), computed in SQL — nothing shared with the archive code. */
  const stored = async (table: string, symbol: string, from: string, to: string) =>
    (await rt.deps.pool.query<{ n: number; md5: string | null }>(
      `SELECT count(*)::int AS n, md5(string_agg(concat_ws('|', symbol, extract(epoch FROM ts)::text, open, high, low, close, volume, source), E'\\n' ORDER BY ts)) AS md5
       FROM ${table} WHERE symbol = $1 AND ts >= $2 AND ts < $3`, [symbol, from, to])).rows[0]!;
  // New York 2024-01-02 is 05:00Z to 05:00Z the next day; 2024-01-31 runs into the February partition.
  const JAN2 = ['2024-01-02T05:00:00Z', '2024-01-03T05:00:00Z'] as const;
  const JAN31 = ['2024-01-31T05:00:00Z', '2024-02-01T05:00:00Z'] as const;
  let before: { jan2: Awaited<ReturnType<typeof stored>>; jan31: Awaited<ReturnType<typeof stored>>; daily: Awaited<ReturnType<typeof stored>> };
  let firstSha: Record<string, string>;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'ait-archive-'));
    rt = await createTestRuntime('dbarchive', { ARCHIVE_DIR: dir });
    rt.deps.clock = clock;
    await loadBars(rt.deps.pool, '5m', [[
      ...run('AAPL', '2024-01-02T14:30:00Z', 30, 185), ...run('MSFT', '2024-01-02T14:30:00Z', 30, 370),
      bar('AAPL', '2024-01-03T00:30:00Z', '184.5'), // 19:30 New York on January 2nd (extended hours), stored as January 3rd UTC
      ...run('AAPL', '2024-01-31T23:30:00Z', 12, 184), // 18:30–19:25 New York on January 31st: half of it in February UTC
    ]]);
    await loadBars(rt.deps.pool, '5m', [run('AAPL', '2025-05-20T14:30:00Z', 5, 200)]); // recent: stays
    await loadBars(rt.deps.pool, '1d', [[bar('AAPL', '2024-01-02T00:00:00Z', '185.64', '1d'), bar('AAPL', '2024-01-03T00:00:00Z', '184.25', '1d')]]);
    before = { jan2: await stored('market_data_5m', 'AAPL', ...JAN2), jan31: await stored('market_data_5m', 'AAPL', ...JAN31), daily: await stored('market_data_1d', 'AAPL', '2024-01-02', '2024-01-03') };
    expect(before.jan2.n).toBe(31);
    expect(before.jan31.n).toBe(12);
  });
  afterAll(async () => {
    await rt?.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  it('archives partitions older than 90 days into files that match their manifests, then drops them', async () => {
    const dry = await archiveBars(rt.deps, { days: 90, dryRun: true });
    expect(dry.partitions.map((p) => p.partition)).toEqual(['market_data_5m_m2024_01', 'market_data_5m_m2024_02', 'market_data_1d_y2024']);
    expect(await existingPartitions(rt.deps.pool, 'market_data_5m')).toContain('market_data_5m_m2024_01'); // a dry run changes nothing

    const r = await archiveBars(rt.deps, { days: 90, actor: { id: 'test', email: 'test@example.com' } });
    expect(r.partitions.map((p) => [p.partition, p.rows])).toEqual([['market_data_5m_m2024_01', 67], ['market_data_5m_m2024_02', 6], ['market_data_1d_y2024', 2]]);
    const parts = await existingPartitions(rt.deps.pool, 'market_data_5m');
    expect(parts.has('market_data_5m_m2024_01') || parts.has('market_data_5m_m2024_02')).toBe(false);
    expect(parts.has('market_data_5m_m2025_05')).toBe(true);
    expect((await stored('market_data_5m', 'AAPL', '2020-01-01', '2030-01-01')).n).toBe(5); // only the recent bars are left

    // The files, read here with plain zlib and crypto: their sha256 and rows are what the manifests say.
    firstSha = {};
    for (const p of r.partitions) {
      const m = JSON.parse(await readFile(path.join(dir, p.table, `${p.partition}.manifest.json`), 'utf8')) as { file: string; sha256: string; rows: number; csvSha256: string };
      const gz = await readFile(path.join(dir, p.table, m.file));
      expect(createHash('sha256').update(gz).digest('hex')).toBe(m.sha256);
      const csv = gunzipSync(gz);
      expect(createHash('sha256').update(csv).digest('hex')).toBe(m.csvSha256);
      const lines = csv.toString().trimEnd().split('\n');
      expect(lines[0]).toBe('symbol,ts,open,high,low,close,volume,source');
      expect(lines.length - 1).toBe(m.rows);
      firstSha[p.partition] = m.sha256;
    }
    const jan = gunzipSync(await readFile(r.partitions[0]!.file)).toString().split('\n');
    expect(jan[1]).toBe('AAPL,2024-01-02T14:30:00.000Z,185.000000,185.500000,184.500000,185.000000,1200,test');

    const last = JSON.parse((await rt.deps.redis.get(keys(rt.config.REDIS_PREFIX).dbLastArchive))!) as { partitions: string[]; rows: number };
    expect(last).toMatchObject({ rows: 75, partitions: ['market_data_5m_m2024_01', 'market_data_5m_m2024_02', 'market_data_1d_y2024'] });
    expect(await rt.deps.prisma.auditLog.count({ where: { action: 'db.archive', actorEmail: 'test@example.com' } })).toBe(1);
  });

  it('restores one symbol and day exactly (checksums equal to before the archive), and twice changes nothing', async () => {
    const r = await restoreArchivedBars(rt.deps, { date: '2024-01-02', symbol: 'AAPL' });
    expect(r.parts.map((p) => [p.table, p.partition, p.rows, p.inserted])).toEqual([
      ['market_data_5m', 'market_data_5m_m2024_01', 31, 31],
      ['market_data_1d', 'market_data_1d_y2024', 1, 1],
    ]);
    expect(await stored('market_data_5m', 'AAPL', ...JAN2)).toEqual(before.jan2);
    expect(await stored('market_data_1d', 'AAPL', '2024-01-02', '2024-01-03')).toEqual(before.daily);
    expect((await stored('market_data_5m', 'MSFT', ...JAN2)).n).toBe(0); // only the symbol asked for

    const again = await restoreArchivedBars(rt.deps, { date: '2024-01-02', symbol: 'AAPL' });
    expect(again.parts.map((p) => [p.rows, p.inserted, p.alreadyStored])).toEqual([[31, 0, 31], [1, 0, 1]]);
    expect(await stored('market_data_5m', 'AAPL', ...JAN2)).toEqual(before.jan2);

    // A New York day across two monthly partitions comes back from both files (as a process, --json).
    const env = { DATABASE_URL: rt.config.DATABASE_URL, REDIS_URL: rt.config.REDIS_URL, REDIS_PREFIX: rt.config.REDIS_PREFIX, ARCHIVE_DIR: dir, LOG_LEVEL: 'warn' };
    const cli = await runCli(['db', 'restore-archive', '--date', '2024-01-31', '--symbol', 'AAPL', '--json'], env);
    expect(cli.stderr).toBe('');
    expect(cli.status).toBe(0);
    const out = JSON.parse(cli.stdout) as { rows: number; parts: Array<{ partition: string; rows: number }> };
    expect(out.parts.map((p) => [p.partition, p.rows])).toEqual([['market_data_5m_m2024_01', 6], ['market_data_5m_m2024_02', 6]]);
    expect(await stored('market_data_5m', 'AAPL', ...JAN31)).toEqual(before.jan31);

    await expect(restoreArchivedBars(rt.deps, { date: '2023-12-29', symbol: 'AAPL' })).rejects.toThrow(`no archived bars of AAPL on 2023-12-29 under ${dir}`);
  });

  it('archiving the restored days again gives the very same files', async () => {
    const r = await archiveBars(rt.deps, { days: 90 });
    expect(r.partitions.map((p) => [p.partition, p.rows, p.fileRows])).toEqual([
      ['market_data_5m_m2024_01', 37, 67], ['market_data_5m_m2024_02', 6, 6], ['market_data_1d_y2024', 1, 2],
    ]);
    for (const p of r.partitions) expect(p.sha256).toBe(firstSha[p.partition]);
  });

  it('a stored bar that differs from its archive stops the archive: nothing dropped, the old file kept', async () => {
    await restoreArchivedBars(rt.deps, { date: '2024-01-02', symbol: 'MSFT', timeframes: ['5m'] });
    await rt.deps.pool.query(`UPDATE market_data_5m SET close = 999 WHERE symbol = 'MSFT' AND ts = '2024-01-02T15:00:00Z'`);
    await expect(archiveBars(rt.deps, { days: 90 })).rejects.toThrow(/market_data_5m_m2024_01: the bar MSFT 2024-01-02T15:00:00.000Z is archived as .* but stored as .*999\.000000/);
    expect(await existingPartitions(rt.deps.pool, 'market_data_5m')).toContain('market_data_5m_m2024_01');
    const m = JSON.parse(await readFile(path.join(dir, 'market_data_5m', 'market_data_5m_m2024_01.manifest.json'), 'utf8')) as { sha256: string; file: string };
    expect(m.sha256).toBe(firstSha.market_data_5m_m2024_01);
    expect(createHash('sha256').update(await readFile(path.join(dir, 'market_data_5m', m.file))).digest('hex')).toBe(m.sha256);
    // Restoring over the changed bar is refused too, and writes nothing.
    await expect(restoreArchivedBars(rt.deps, { date: '2024-01-02', symbol: 'MSFT', timeframes: ['5m'] })).rejects.toThrow('1 stored bars of MSFT on 2024-01-02 differ from the archive; nothing restored');
  });

  it('a damaged archive file is refused before anything is loaded', async () => {
    const m = JSON.parse(await readFile(path.join(dir, 'market_data_5m', 'market_data_5m_m2024_02.manifest.json'), 'utf8')) as { file: string };
    await appendFile(path.join(dir, 'market_data_5m', m.file), 'x');
    await expect(restoreArchivedBars(rt.deps, { date: '2024-01-31', symbol: 'AAPL', timeframes: ['5m'] })).rejects.toThrow('does not match its manifest (sha256 or size differ): the archive is damaged');
    expect(await existingPartitions(rt.deps.pool, 'market_data_5m')).not.toContain('market_data_5m_m2024_02');
  });
});
