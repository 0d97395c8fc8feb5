// `ai-trader db …`: the database's lifecycle — migrations, partitions ahead, archive of old partitions and restore of
// a day, backup and restore of the whole database, and upkeep (vacuum, reindex, sizes, connections, slow queries).
// Each verb parses its options, calls one use-case and prints the result (`--json` on the read verbs).
import { ZTimeframe, type TTimeframe } from '@ai-trader/contracts';
import {
  ArchiveError, archiveBars, createLogger, killIdleConnections, listConnections, MaintenanceInputError, maintainPartitions, parseDuration, partitionStatus, reindexDatabase,
  restoreArchivedBars, restoreBackup, RestoreError, slowQueries, tableSizes, takeBackup, vacuumDatabase,
} from '@ai-trader/core';
import type { Command } from 'commander';
import { paint } from '../colour.ts';
import { CliError, cliActor, type CliContext } from '../context.ts';
import { bytes, withProgress } from '../progress.ts';

const json = (v: unknown) => console.log(JSON.stringify(v, null, 2));

/** Expected failures become one line: bad input exit 2, refused or failed work exit 1. */
async function expected<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    if (e instanceof RangeError || e instanceof MaintenanceInputError) throw new CliError(e.message, 2);
    if (e instanceof RestoreError) throw new CliError(`error: ${e.message}`, e.kind === 'refused' ? 2 : 1);
    if (e instanceof ArchiveError) throw new CliError(`error: ${e.message}`, 1);
    throw e;
  }
}

/** A whole number option, kept as typed until here so a mistake is quoted as typed. */
function whole(option: string, raw: string, min: number): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < min) throw new CliError(`${option} ${raw}: must be a whole number${min ? ` of at least ${min}` : ''}`, 2);
  return n;
}

function timeframes(list: string | undefined): TTimeframe[] | undefined {
  if (!list) return undefined;
  return list.split(',').map((s) => {
    const tf = ZTimeframe.safeParse(s.trim());
    if (!tf.success) throw new CliError(`--timeframe ${s}: must be one of 1m, 5m, 1h, 1d (comma-separated)`, 2);
    return tf.data;
  });
}

function registerPartitions(db: Command, ctx: () => CliContext) {
  db.command('migrate')
    .description('apply pending migrations (creates the database if missing)')
    .action(async () => {
      const { migrateDeploy } = await import('@ai-trader/db/migrate');
      const { applied } = await migrateDeploy({ databaseUrl: ctx().config.DATABASE_URL });
      console.log(applied.length ? `applied ${applied.length} migration(s): ${applied.join(', ')}` : 'no pending migrations');
    });
  db.command('partitions')
    .description('create the dated partitions of bars and news ahead of time (idempotent), and move rows waiting in DEFAULT into theirs')
    .option('--days-ahead <n>', 'days ahead of today to cover', '30')
    .option('--from <date>', 'also cover from this date (YYYY-MM-DD)')
    .option('--json', 'print JSON')
    .action(async (o: { daysAhead: string; from?: string; json?: boolean }) => {
      const daysAhead = whole('--days-ahead', o.daysAhead, 0);
      if (o.from && !/^\d{4}-\d{2}-\d{2}$/.test(o.from)) throw new CliError(`--from ${o.from}: must be a date like 2024-01-02`, 2);
      const { deps } = ctx().runtime();
      const r = await expected(() => maintainPartitions(deps, { daysAhead, from: o.from ? new Date(`${o.from}T00:00:00Z`) : undefined }));
      const status = await partitionStatus(deps);
      if (o.json) return json({ ...r, status });
      const all = Object.values(r.created).flat();
      console.log(all.length ? `created ${all.length} partition(s): ${all.join(', ')}` : 'all partitions already exist');
      for (const s of status)
        console.log(`  ${s.table.padEnd(15)} ${String(s.count).padStart(4)} partitions, up to ${s.coveredUntil?.slice(0, 10) ?? '—'} (${s.daysAhead ?? '—'} days ahead)${s.defaultRows ? paint.yellow(`, ${s.defaultRows} row(s) still in DEFAULT`) : ''}`);
    });
}

function registerArchive(db: Command, ctx: () => CliContext) {
  db.command('archive')
    .description('move bar partitions older than --days to gzip CSV files with checksums under ARCHIVE_DIR, then drop them')
    .requiredOption('--days <n>', 'archive partitions that ended at least this many days ago')
    .option('--timeframe <list>', 'only these timeframes, e.g. 1m,5m (default: all)')
    .option('--dry-run', 'list the partitions that would be archived; change nothing')
    .option('--json', 'print JSON')
    .action(async (o: { days: string; timeframe?: string; dryRun?: boolean; json?: boolean }) => {
      const days = whole('--days', o.days, 1);
      const tfs = timeframes(o.timeframe);
      const { deps } = ctx().runtime();
      const r = await expected(() => withProgress('archive', (onProgress) => archiveBars(deps, { days, timeframes: tfs, dryRun: o.dryRun, actor: cliActor(), onProgress })));
      if (o.json) return json(r);
      if (!r.partitions.length) return console.log(`nothing to archive: no bar partition ended before ${r.cutoff.slice(0, 10)}`);
      if (r.dryRun) return console.log(`would archive ${r.partitions.length} partition(s) into ${r.dir}: ${r.partitions.map((p) => p.partition).join(', ')}`);
      for (const p of r.partitions) console.log(`archived ${p.partition}: ${p.rows} rows → ${p.file} (sha256 ${p.sha256.slice(0, 12)}…, ${p.fileRows} rows in the file); partition dropped`);
    });
  db.command('restore-archive')
    .description('load the archived bars of one symbol and day back into the database (checksums verified; running it twice changes nothing)')
    .requiredOption('--date <date>', 'the day (New York date for intraday bars, e.g. 2024-01-02)')
    .requiredOption('--symbol <symbol>', 'the ticker, e.g. AAPL')
    .option('--timeframe <list>', 'only these timeframes (default: every archived one)')
    .option('--json', 'print JSON')
    .action(async (o: { date: string; symbol: string; timeframe?: string; json?: boolean }) => {
      const { deps } = ctx().runtime();
      const tfs = timeframes(o.timeframe);
      const r = await expected(() => withProgress('restore-archive', (onProgress) => restoreArchivedBars(deps, { date: o.date, symbol: o.symbol, timeframes: tfs, onProgress })));
      if (o.json) return json(r);
      for (const p of r.parts) console.log(`${p.table}: ${p.rows} bars of ${r.symbol} on ${r.date} from ${p.partition} — ${p.inserted} restored, ${p.alreadyStored} already stored; checksum verified`);
      console.log(paint.dim('they stay until the next `db archive` run takes their month back to the archive'));
    });
}

function registerBackup(db: Command, ctx: () => CliContext) {
  db.command('backup')
    .description('pg_dump the whole database (custom format, named with the UTC time) into BACKUP_DIR, with a manifest of checksums and row counts')
    .option('--dir <dir>', 'instead of BACKUP_DIR')
    .option('--json', 'print JSON')
    .action(async (o: { dir?: string; json?: boolean }) => {
      const { deps } = ctx().runtime();
      const b = await expected(() => withProgress('backup', (onProgress) => takeBackup(deps, { dir: o.dir, onProgress })));
      if (o.json) return json({ ...b, tables: Object.keys(b.tables).length, rows: Object.values(b.tables).reduce((s, t) => s + t.rows, 0) });
      console.log(`backed up ${b.database} to ${b.path} (${bytes(b.bytes)}, ${Object.keys(b.tables).length} tables, sha256 ${b.sha256.slice(0, 12)}…)`);
    });
  db.command('restore')
    .argument('<file>', 'a backup written by `ai-trader db backup` (its .manifest.json next to it is checked when present)')
    .description('restore a backup into DATABASE_URL — an empty database; a non-empty one only with --force (backed up first)')
    .option('--force', 'replace a database that is not empty (it is backed up into BACKUP_DIR first, then dropped: every connection to it ends)')
    .option('--database-url <url>', 'restore into this database instead of DATABASE_URL')
    .option('--json', 'print JSON')
    .action(async (file: string, o: { force?: boolean; databaseUrl?: string; json?: boolean }) => {
      const c = ctx();
      // No runtime here: with --force the target database is dropped under our feet.
      const deps = { config: c.config, clock: { now: () => new Date() }, logger: createLogger({ name: 'cli', level: 'warn' }) };
      const r = await expected(() => withProgress('restore', (onProgress) => restoreBackup(deps, { file, force: o.force, databaseUrl: o.databaseUrl, onProgress })));
      if (o.json) return json(r);
      if (r.safetyBackup) console.log(`the database that was there is backed up in ${r.safetyBackup}`);
      console.log(`restored ${r.file} into ${r.database}: ${r.tables} tables, ${r.rows} rows${r.verified ? ', identical to the backup (row counts and checksums)' : paint.yellow(' (no manifest: not verified)')}`);
      console.log(paint.dim('flush the caches (ai-trader cache flush --confirm) and restart the workers before trading'));
    });
}

function registerUpkeep(db: Command, ctx: () => CliContext) {
  db.command('vacuum')
    .description('VACUUM (ANALYZE) every table (or --analyze-only: refresh the planner statistics)')
    .option('--analyze-only', 'ANALYZE only')
    .option('--table <name>', 'one table (a partitioned one with all its partitions)')
    .action(async (o: { analyzeOnly?: boolean; table?: string }) => {
      const { deps } = ctx().runtime();
      const r = await expected(() => withProgress(o.analyzeOnly ? 'analyze' : 'vacuum', (onProgress) => vacuumDatabase(deps, { ...o, actor: cliActor(), onProgress })));
      console.log(`${r.command}: ${r.tables.length} table(s) in ${(r.ms / 1000).toFixed(1)} s`);
    });
  db.command('reindex')
    .description('rebuild the indexes, table by table, without blocking writes (REINDEX CONCURRENTLY)')
    .option('--table <name>', 'one table (a partitioned one with all its partitions)')
    .action(async (o: { table?: string }) => {
      const { deps } = ctx().runtime();
      const r = await expected(() => withProgress('reindex', (onProgress) => reindexDatabase(deps, { ...o, actor: cliActor(), onProgress })));
      console.log(`reindexed ${r.tables.length} table(s) in ${(r.ms / 1000).toFixed(1)} s`);
    });
  db.command('sizes')
    .description('table and partition sizes')
    .option('--partitions', 'list every partition')
    .option('--json', 'print JSON')
    .action(async (o: { partitions?: boolean; json?: boolean }) => {
      const s = await tableSizes(ctx().runtime().deps.pool);
      if (o.json) return json(s);
      console.log(`${s.database}: ${bytes(s.sizeBytes)} (row counts are Postgres' estimates as of the last ANALYZE: ai-trader db vacuum --analyze-only)`);
      const rows = (n: number) => (n < 0 ? 'not analysed' : `~${n} rows`);
      for (const t of s.tables) {
        console.log(`  ${t.name.padEnd(32)} ${bytes(t.totalBytes).padStart(10)}  ${rows(t.rowsEstimate)}${t.kind === 'partitioned' ? `  (${t.partitions.length} partitions)` : ''}`);
        if (o.partitions) for (const p of t.partitions) console.log(paint.dim(`    ${p.name.padEnd(30)} ${bytes(p.totalBytes).padStart(10)}  ${rows(p.rowsEstimate)}`));
      }
    });
  db.command('connections')
    .description('connections to the database by state and application; --kill-idle ends those idle longer than a duration')
    .option('--kill-idle <duration>', 'end connections idle (or idle in a transaction) longer than this, e.g. 10m')
    .option('--json', 'print JSON')
    .action(async (o: { killIdle?: string; json?: boolean }) => {
      const { deps } = ctx().runtime();
      if (o.killIdle) {
        const idleMs = await expected(async () => parseDuration(o.killIdle!));
        const r = await killIdleConnections(deps, { idleMs, actor: cliActor() });
        if (o.json) return json(r);
        console.log(`ended ${r.killed.length} connection(s) idle longer than ${o.killIdle}`);
        for (const k of r.killed) console.log(`  pid ${k.pid}  ${k.application || '(none)'}  ${k.state} for ${k.idleSeconds} s`);
        return;
      }
      const r = await listConnections(deps.pool);
      if (o.json) return json(r);
      const s = r.summary;
      console.log(`${s.total} connection(s) to this database, ${s.serverTotal} of max_connections ${s.maxConnections} on the server; ${s.idleOver10m} idle > 10 min`);
      console.log(`  by state: ${Object.entries(s.byState).map(([k, v]) => `${k} ${v}`).join(', ')}`);
      for (const a of s.byApplication) console.log(`  ${a.application.padEnd(28)} ${a.count}`);
    });
  db.command('slow-queries')
    .description('the slowest statements by mean time (pg_stat_statements; says how to enable it when missing)')
    .option('--limit <n>', 'how many', '20')
    .option('--json', 'print JSON')
    .action(async (o: { limit: string; json?: boolean }) => {
      const limit = Math.min(whole('--limit', o.limit, 1), 1000);
      const r = await slowQueries(ctx().runtime().deps.pool, { limit });
      if (o.json) return json(r);
      if (!r.available) {
        console.log(paint.yellow(r.how));
        if (r.running.length) console.log('running for more than 1 s now:');
        for (const q of r.running) console.log(`  pid ${q.pid}  ${q.seconds} s  ${q.state}  ${q.query.replace(/\s+/g, ' ')}`);
        return;
      }
      for (const q of r.queries) console.log(`${String(q.meanMs).padStart(10)} ms mean  ${String(q.calls).padStart(8)} calls  ${q.maxMs} ms max  ${q.query.replace(/\s+/g, ' ').slice(0, 120)}`);
    });
}

export function registerDb(program: Command, ctx: () => CliContext) {
  const db = program.command('db').description('database lifecycle: migrate, partitions, archive / restore-archive, backup / restore, vacuum, reindex, sizes, connections, slow-queries');
  registerPartitions(db, ctx);
  registerArchive(db, ctx);
  registerBackup(db, ctx);
  registerUpkeep(db, ctx);
}
