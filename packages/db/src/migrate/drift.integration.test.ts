// Guards the migration history against schema.prisma: a fresh database migrates cleanly, nothing
// drifts either way, and a hand-made change to the database is caught as drift.
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../testing/test-database.ts';
import { dropDatabase, parseDatabaseUrl, withDatabase } from './database-url.ts';
import { DEFAULT_MIGRATIONS_DIR, checkDrift, createMigration, migrateDeploy, migrationStatus } from './engine.ts';

async function sql<T extends pg.QueryResultRow>(url: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

describe('migrations vs schema.prisma', () => {
  const databases: TestDatabase[] = [];
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase('drift');
    databases.push(db);
  });

  afterAll(async () => {
    await Promise.all(databases.map((d) => d.drop()));
  });

  it('deploys every migration to a blank database', async () => {
    const status = await migrationStatus({ databaseUrl: db.url });
    expect(status.pending).toEqual([]);
    expect(status.failed).toEqual([]);
    expect(status.edited).toEqual([]);
    expect(status.upToDate).toBe(true);
  });

  it('has no drift between schema.prisma, the database and the migrations', async () => {
    const drift = await checkDrift({ databaseUrl: db.url });
    expect(drift.dbToSchemaSql).toBe('');
    expect(drift.migrationsToSchemaSql).toBe('');
    expect(drift.dbMatchesSchema).toBe(true);
    expect(drift.migrationsMatchSchema).toBe(true);
  });

  it('applies nothing on a second deploy', async () => {
    expect(await migrateDeploy({ databaseUrl: db.url })).toEqual({ applied: [] });
  });

  it('creates the partitioned bars table and the trading_state singleton', async () => {
    const partitions = await sql<{ relname: string }>(
      db.url,
      `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
       WHERE i.inhparent = '"market_data_5m"'::regclass`,
    );
    expect(partitions.map((p) => p.relname)).toEqual(['market_data_5m_default']);
    const rows = await sql<{ id: number; state: string }>(db.url, 'SELECT "id", "state" FROM "trading_state"');
    expect(rows).toEqual([{ id: 1, state: 'ACTIVE' }]);
  });

  it('creates an empty migration when schema.prisma has no changes', async () => {
    // A copy of the folder, so the repository's prisma/migrations is never written to.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'aitrader-migrations-'));
    try {
      cpSync(DEFAULT_MIGRATIONS_DIR, dir, { recursive: true });
      const created = await createMigration('noop', { databaseUrl: db.url, migrationsDir: dir });
      expect(created.empty).toBe(true);
      expect(created.name).toMatch(/^\d{14}_noop$/);
      expect(readFileSync(path.join(created.path, 'migration.sql'), 'utf8')).toContain('empty migration');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports drift after a hand-made change to the database', async () => {
    const altered = await createTestDatabase('drift_neg');
    databases.push(altered);
    await sql(altered.url, 'ALTER TABLE "positions" ADD COLUMN "x" int');
    const drift = await checkDrift({ databaseUrl: altered.url });
    expect(drift.dbMatchesSchema).toBe(false);
    expect(drift.dbToSchemaSql).toContain('DROP COLUMN "x"');
    expect(drift.migrationsMatchSchema).toBe(true);
  });

  it('creates a missing database on deploy', async () => {
    const name = `aitrader_deploy_${Date.now().toString(36)}`;
    const url = withDatabase(db.url, name);
    databases.push({ url, drop: () => dropDatabase(parseDatabaseUrl(url), name) });
    const { applied } = await migrateDeploy({ databaseUrl: url });
    expect(applied.length).toBeGreaterThan(0);
    expect((await migrationStatus({ databaseUrl: url })).upToDate).toBe(true);
  });

  it('explains an unreachable server in one line without the password', async () => {
    const error = await migrationStatus({ databaseUrl: 'postgresql://postgres:secret@127.0.0.1:1/ai_trader' }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/^cannot reach Postgres at postgresql:\/\/postgres@127\.0\.0\.1:1\/ai_trader: /);
    expect((error as Error).message).not.toContain('secret');
    expect((error as Error).message).not.toContain('\n');
  });
});
