// Backup and restore of a whole database. A backup is pg_dump's custom format taken from an exported snapshot,
// plus a manifest with the file's sha256 and a fingerprint of every table read from the same snapshot; a restore
// checks the file against its manifest, refuses a database that is not empty unless forced, restores in one
// transaction and compares the result's fingerprint with the manifest — row counts and contents, table by table.
import { mkdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { createDatabase, dropDatabase, ensureDatabase, parseDatabaseUrl, withClient } from '../migrate/database-url.ts';
import { durableRename, fsyncPath, sha256File, writeFileDurably } from './durable-files.ts';
import { compareFingerprints, fingerprintDatabase, userTables, type DatabaseFingerprint } from './fingerprint.ts';
import { dumpContents, runPgTool, toolConnection } from './pg-tools.ts';
import type { Progress } from './progress.ts';

export interface BackupManifest {
  version: 1;
  /** File name of the dump, in the same directory as the manifest. */
  file: string;
  database: string;
  createdAt: string;
  bytes: number;
  sha256: string;
  serverVersion: string;
  tables: DatabaseFingerprint;
}

export class RestoreError extends Error {
  /** usage: the caller asked for something refused (exit 2); else a failure (exit 1). */
  constructor(message: string, readonly kind: 'refused' | 'failed' = 'failed') {
    super(message);
    this.name = 'RestoreError';
  }
}

export const manifestPathOf = (dumpFile: string) => `${dumpFile}.manifest.json`;

/** 2025-01-31T12:00:00.123Z → 20250131T120000Z */
export const utcStamp = (d: Date) => d.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');

/**
 * pg_dump (custom format) of the database into `dir`, named `<database>-<UTC time>.dump`, with its manifest.
 * The dump and the fingerprint read one exported snapshot, so the manifest describes exactly what the file holds.
 */
export async function backupDatabase(opts: { databaseUrl: string; dir: string; now: Date; onProgress?: (p: Progress) => void }): Promise<BackupManifest & { path: string }> {
  const cfg = parseDatabaseUrl(opts.databaseUrl);
  await mkdir(opts.dir, { recursive: true });
  let name = `${cfg.database}-${utcStamp(opts.now)}.dump`;
  for (let i = 2; await exists(path.join(opts.dir, name)); i++) name = `${cfg.database}-${utcStamp(opts.now)}-${i}.dump`;
  const file = path.join(opts.dir, name);
  const partial = `${file}.partial`;
  const client = new pg.Client({ connectionString: opts.databaseUrl, application_name: 'ai-trader:backup' });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const snapshot = (await client.query<{ id: string }>('SELECT pg_export_snapshot() AS id')).rows[0]!.id;
    const serverVersion = (await client.query<{ v: string }>('SHOW server_version')).rows[0]!.v;
    const tables = (await userTables(client)).length;
    let dumped = 0, fingerprinted = 0;
    const report = (item: string) => opts.onProgress?.({ done: dumped + fingerprinted, total: 2 * tables, item });
    const conn = toolConnection(opts.databaseUrl);
    const [, fingerprint] = await Promise.all([
      runPgTool('pg_dump', ['--format=custom', '--verbose', '--no-password', `--snapshot=${snapshot}`, `--file=${partial}`, `--dbname=${conn.url}`], {
        env: conn.env,
        onLine: (l) => {
          const m = /dumping contents of table "?([^"]+)"?/.exec(l);
          if (m && dumped < tables) {
            dumped++;
            report(`dumped ${m[1]}`);
          }
        },
      }),
      fingerprintDatabase(client, (t) => {
        fingerprinted++;
        report(`counted ${t}`);
      }),
    ]);
    await client.query('COMMIT');
    await fsyncPath(partial);
    const sum = await sha256File(partial);
    await durableRename(partial, file);
    const manifest: BackupManifest = { version: 1, file: name, database: cfg.database, createdAt: opts.now.toISOString(), ...sum, serverVersion, tables: fingerprint };
    await writeFileDurably(manifestPathOf(file), `${JSON.stringify(manifest, null, 2)}\n`);
    return { ...manifest, path: file };
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The manifest next to a dump, checked against the file (size and sha256); null when there is none. */
export async function verifyBackupFile(file: string): Promise<BackupManifest | null> {
  if (!(await exists(file))) throw new RestoreError(`${file}: no such file`, 'refused');
  const mPath = manifestPathOf(file);
  if (!(await exists(mPath))) return null;
  const manifest = JSON.parse(await readFile(mPath, 'utf8')) as BackupManifest;
  const sum = await sha256File(file);
  if (sum.sha256 !== manifest.sha256 || sum.bytes !== manifest.bytes)
    throw new RestoreError(`${file} does not match its manifest (sha256 ${sum.sha256.slice(0, 12)}…, ${sum.bytes} bytes; manifest ${manifest.sha256.slice(0, 12)}…, ${manifest.bytes} bytes): the file is damaged or not the one backed up`);
  return manifest;
}

/** Relations (tables, views, sequences, …) outside the system schemas: a database with none is empty. */
export async function countUserRelations(databaseUrl: string): Promise<number> {
  const cfg = parseDatabaseUrl(databaseUrl);
  return withClient(cfg, async (c) => {
    const r = await c.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%' AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')`,
    );
    return r.rows[0]!.n;
  });
}

export interface RestoreResult {
  database: string;
  file: string;
  tables: number;
  rows: number;
  /** Compared with the manifest's fingerprint (false: the dump had no manifest). */
  verified: boolean;
  /** The backup of what was there before, when --force replaced a database that was not empty. */
  safetyBackup: string | null;
}

/**
 * Restores `file` into the database of `databaseUrl` (created when missing). A database that is not empty is
 * refused unless `force`; then it is backed up into `safetyBackupDir` first, dropped (connections ended) and
 * created again. pg_restore runs as one transaction: a failure leaves the database empty, not half restored.
 */
export async function restoreDatabase(opts: {
  databaseUrl: string; file: string; force: boolean; safetyBackupDir: string; now: Date; onProgress?: (p: Progress) => void;
}): Promise<RestoreResult> {
  const cfg = parseDatabaseUrl(opts.databaseUrl);
  const manifest = await verifyBackupFile(opts.file);
  const toc = await dumpContents(opts.file).catch((e: Error) => {
    throw new RestoreError(`${opts.file} is not a pg_dump custom-format file: ${e.message}`, 'refused');
  });
  await ensureDatabase(cfg, true);
  const existing = await countUserRelations(opts.databaseUrl);
  let safetyBackup: string | null = null;
  if (existing > 0) {
    if (!opts.force)
      throw new RestoreError(`database ${cfg.database} is not empty (${existing} tables, sequences or views): restore refuses to overwrite it; add --force to replace it (a backup of it is written first)`, 'refused');
    opts.onProgress?.({ done: 0, total: toc.length, item: `backing up ${cfg.database} before replacing it` });
    safetyBackup = (await backupDatabase({ databaseUrl: opts.databaseUrl, dir: opts.safetyBackupDir, now: opts.now })).path;
    await dropDatabase(cfg, cfg.database);
    await createDatabase(cfg, cfg.database);
  }
  const conn = toolConnection(opts.databaseUrl);
  let done = 0;
  await runPgTool('pg_restore', ['--verbose', '--exit-on-error', '--single-transaction', '--no-password', `--dbname=${conn.url}`, opts.file], {
    env: conn.env,
    onLine: (l) => {
      const m = /^pg_restore: (?:creating|processing data for table|executing) (.*)$/.exec(l);
      if (m) opts.onProgress?.({ done: Math.min(++done, toc.length), total: toc.length, item: m[1]! });
    },
  }).catch((e: Error) => {
    throw new RestoreError(`restore into ${cfg.database} failed and was rolled back: ${e.message}`);
  });
  const client = new pg.Client({ connectionString: opts.databaseUrl, application_name: 'ai-trader:restore' });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const restored = await fingerprintDatabase(client);
    await client.query('COMMIT');
    if (manifest) {
      const problems = compareFingerprints(manifest.tables, restored);
      if (problems.length) throw new RestoreError(`the restored database ${cfg.database} differs from the backup: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? ` (+${problems.length - 5} more)` : ''}`);
    }
    const rows = Object.values(restored).reduce((s, t) => s + t.rows, 0);
    return { database: cfg.database, file: opts.file, tables: Object.keys(restored).length, rows, verified: manifest !== null, safetyBackup };
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(() => true, () => false);
}
