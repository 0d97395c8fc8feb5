// Prisma migrations without the native schema engine: drives @prisma/schema-engine-wasm through
// @prisma/adapter-pg (patched, see migrate-factory.ts) as in /work/shared/recipes/prisma-offline.md.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';
// The package root imports the .wasm as an ES module, which Node 20 refuses; load the glue instead.
import * as bg from '@prisma/schema-engine-wasm/schema_engine_bg';
import type { MigrationList, SchemaFilter, SchemasContainer } from '@prisma/schema-engine-wasm/schema_engine_bg';
import { MigrateError, ensureDatabase, parseDatabaseUrl } from './database-url.ts';
import { resetReason, toMigrateError } from './engine-errors.ts';
import { MigrateFactory } from './migrate-factory.ts';
import { readMigrationsList, writeMigration } from './migrations-dir.ts';

export { MigrateError } from './database-url.ts';

export interface MigrateOptions {
  databaseUrl: string;
  /** Default: the repo's prisma/schema.prisma. */
  schemaPath?: string;
  /** Default: the repo's prisma/migrations. */
  migrationsDir?: string;
}

// Resolved from this file, not cwd, so tests and scripts started anywhere find the same files.
const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
export const DEFAULT_SCHEMA_PATH = path.join(REPO_ROOT, 'prisma', 'schema.prisma');
export const DEFAULT_MIGRATIONS_DIR = path.join(REPO_ROOT, 'prisma', 'migrations');

const FILTERS: SchemaFilter = { externalTables: [], externalEnums: [] };
const EMPTY_MIGRATION = '-- This is an empty migration.';

// The engine arms setTimeouts it never clears (a ~10 s one after applyMigrations kept processes
// alive). We track them and unref the leftovers once no engine session is running, so a finished
// migration never delays exit, while timers the engine awaits mid-operation still keep Node alive.
const engineTimers = new Set<NodeJS.Timeout>();
let activeSessions = 0;

function trackTimers(imports: Record<string, unknown>): Record<string, unknown> {
  const wrapped = { ...imports };
  for (const [key, fn] of Object.entries(imports)) {
    if (!key.startsWith('__wbg_setTimeout_') || typeof fn !== 'function') continue;
    wrapped[key] = (callback: () => void, ms: number) => {
      const timer: NodeJS.Timeout = fn(() => {
        engineTimers.delete(timer);
        callback();
      }, ms);
      if (activeSessions === 0) timer.unref();
      else engineTimers.add(timer);
      return timer;
    };
  }
  return wrapped;
}

function releaseTimers(): void {
  if (activeSessions > 0) return;
  for (const timer of engineTimers) timer.unref();
  engineTimers.clear();
}

let wasmLoaded = false;
function loadWasm(): void {
  if (wasmLoaded) return;
  const glue = createRequire(import.meta.url).resolve('@prisma/schema-engine-wasm');
  const bytes = readFileSync(path.join(path.dirname(glue), 'schema_engine_bg.wasm'));
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {
    './schema_engine_bg.js': trackTimers(bg) as WebAssembly.ModuleImports,
  });
  bg.__wbg_set_wasm(instance.exports);
  (instance.exports as { __wbindgen_start: () => void }).__wbindgen_start();
  wasmLoaded = true;
}

// ---------- engine session ----------

interface Session {
  engine: bg.SchemaEngine;
  schema: SchemasContainer;
  migrationsList: MigrationList;
  migrationsDir: string;
  configDir: string;
  database: string;
}

function readSchema(schemaPath: string): string {
  try {
    return readFileSync(schemaPath, 'utf8');
  } catch (error) {
    throw new MigrateError(`cannot read schema ${schemaPath}: ${(error as Error).message}`);
  }
}

async function withEngine<T>(
  opts: MigrateOptions,
  createDb: boolean,
  fn: (session: Session) => Promise<T>,
): Promise<T> {
  const cfg = parseDatabaseUrl(opts.databaseUrl);
  const schemaPath = path.resolve(opts.schemaPath ?? DEFAULT_SCHEMA_PATH);
  const migrationsDir = path.resolve(opts.migrationsDir ?? DEFAULT_MIGRATIONS_DIR);
  const schemaText = readSchema(schemaPath);
  const migrationsList = readMigrationsList(migrationsDir);
  await ensureDatabase(cfg, createDb);
  loadWasm();
  const factory = new MigrateFactory(cfg);
  let engine: bg.SchemaEngine | undefined;
  activeSessions += 1;
  try {
    engine = await bg.SchemaEngine.new(
      { datamodels: [[schemaPath, schemaText]] },
      (log: string) => {
        if (process.env.MIGRATE_DEBUG) process.stderr.write(`[schema-engine] ${log}\n`);
      },
      bindMigrationAwareSqlAdapterFactory(factory),
    );
    const schema = { files: [{ path: schemaPath, content: schemaText }] };
    return await fn({ engine, schema, migrationsList, migrationsDir, configDir: path.dirname(schemaPath), database: cfg.database });
  } catch (error) {
    throw toMigrateError(error);
  } finally {
    engine?.free();
    await factory.disposeAll();
    activeSessions -= 1;
    releaseTimers();
  }
}

// ---------- public API ----------

/** Like `prisma migrate deploy`: applies pending migrations, creating the database if needed. */
export async function migrateDeploy(opts: MigrateOptions): Promise<{ applied: string[] }> {
  return withEngine(opts, true, async ({ engine, migrationsList }) => {
    const out = await engine.applyMigrations({ migrationsList, filters: FILTERS });
    return { applied: out.appliedMigrationNames };
  });
}

/**
 * Like `prisma migrate dev --create-only`: brings the dev database up to date, refuses when it
 * drifted, then writes the SQL that takes the migrations to the schema (empty if none, to edit).
 */
export async function createMigration(
  name: string,
  opts: MigrateOptions,
): Promise<{ name: string; path: string; empty: boolean }> {
  if (!/^[A-Za-z0-9_]{1,200}$/.test(name)) {
    throw new MigrateError(`invalid migration name "${name}": use letters, digits and _ only`);
  }
  return withEngine(opts, true, async ({ engine, schema, migrationsList, migrationsDir, database }) => {
    await engine.applyMigrations({ migrationsList, filters: FILTERS });
    // Fills the engine's shadow-database cache; createMigration fails without it.
    const diagnostic = await engine.devDiagnostic({ migrationsList, filters: FILTERS });
    if (diagnostic.action.tag === 'reset') throw resetReason(diagnostic.action.reason, database);
    const out = await engine.createMigration({ draft: true, migrationName: name, migrationsList, schema, filters: FILTERS });
    const sql = out.migrationScript ?? EMPTY_MIGRATION;
    const folder = writeMigration(migrationsDir, out.generatedMigrationName, sql);
    return { name: out.generatedMigrationName, path: folder, empty: sql.trim() === EMPTY_MIGRATION };
  });
}

/** Like `prisma migrate resolve --rolled-back`: after fixing a failed migration, lets deploy retry it. */
export async function markRolledBack(migrationName: string, opts: MigrateOptions): Promise<void> {
  await withEngine(opts, false, async ({ engine }) => {
    await engine.markMigrationRolledBack({ migrationName });
  });
}

export interface MigrationStatus {
  /** In the folder, not applied to the database. */
  pending: string[];
  /** Started but never finished (must be resolved by hand). */
  failed: string[];
  /** Applied, but migration.sql changed since (checksum mismatch). */
  edited: string[];
  /** Applied to the database but absent from the folder. */
  missingLocally: string[];
  upToDate: boolean;
}

/** Like `prisma migrate status`. */
export async function migrationStatus(opts: MigrateOptions): Promise<MigrationStatus> {
  return withEngine(opts, false, async ({ engine, migrationsList }) => {
    const out = await engine.diagnoseMigrationHistory({ migrationsList, optInToShadowDatabase: false, filters: FILTERS });
    const history = out.history;
    const pending = history && history.diagnostic !== 'migrationsDirectoryIsBehind' ? history.unappliedMigrationNames : [];
    const missingLocally = history && history.diagnostic !== 'databaseIsBehind' ? history.unpersistedMigrationNames : [];
    const failed = out.failedMigrationNames;
    const edited = out.editedMigrationNames;
    const upToDate = [pending, missingLocally, failed, edited].every((list) => list.length === 0);
    return { pending, failed, edited, missingLocally, upToDate };
  });
}

export interface DriftReport {
  dbMatchesSchema: boolean;
  migrationsMatchSchema: boolean;
  /** SQL that would take the database to schema.prisma ('' when they match). */
  dbToSchemaSql: string;
  /** SQL that would take the migrations' result to schema.prisma ('' when they match). */
  migrationsToSchemaSql: string;
}

/** Compares schema.prisma with the live database and with the migrations replayed on a shadow db. */
export async function checkDrift(opts: MigrateOptions): Promise<DriftReport> {
  return withEngine(opts, false, async ({ engine, schema, migrationsList, configDir }) => {
    const to = { tag: 'schemaDatamodel' as const, ...schema };
    const fromDb = await engine.diff({
      from: { tag: 'schemaDatasource', ...schema, configDir },
      to,
      script: true,
      exitCode: true,
      filters: FILTERS,
    });
    const fromMigrations = await engine.diff({
      from: { tag: 'migrations', ...migrationsList },
      to,
      script: true,
      exitCode: true,
      filters: FILTERS,
    });
    return {
      dbMatchesSchema: fromDb.exitCode === 0,
      migrationsMatchSchema: fromMigrations.exitCode === 0,
      dbToSchemaSql: fromDb.exitCode === 0 ? '' : (fromDb.stdout ?? '').trim(),
      migrationsToSchemaSql: fromMigrations.exitCode === 0 ? '' : (fromMigrations.stdout ?? '').trim(),
    };
  });
}
