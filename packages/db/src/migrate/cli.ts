// Command line for the offline migrator: `tsx packages/db/src/migrate/cli.ts deploy|create <name>|status|drift`
// (+ `resolve <name>` to mark a failed migration rolled back).
// Exit codes: 0 ok, 1 error, 2 not in sync (status/drift). Always exits explicitly (see bottom).
import path from 'node:path';
import { redactUrl } from './database-url.ts';
import { MigrateError, checkDrift, createMigration, markRolledBack, migrateDeploy, migrationStatus } from './engine.ts';

const USAGE = 'usage: cli.ts deploy | create <name> | status | drift | resolve <name>   (DATABASE_URL from env)';
const databaseUrl = process.env.DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/ai_trader';
const opts = { databaseUrl };

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

function rel(file: string): string {
  return path.relative(process.cwd(), file) || file;
}

async function run(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  switch (command) {
    case 'deploy': {
      const { applied } = await migrateDeploy(opts);
      console.log(
        applied.length
          ? `applied ${plural(applied.length, 'migration')}: ${applied.join(', ')}`
          : `no pending migrations: ${redactUrl(databaseUrl)} is up to date`,
      );
      return 0;
    }
    case 'create': {
      const name = rest[0];
      if (!name || rest.length > 1) throw new MigrateError(`create needs exactly one name. ${USAGE}`);
      const created = await createMigration(name, opts);
      const file = rel(path.join(created.path, 'migration.sql'));
      console.log(
        created.empty
          ? `no schema changes: created empty ${file} for hand-written SQL (delete the folder if unwanted)`
          : `created ${file}: review the SQL, then commit it (deploy applies it)`,
      );
      return 0;
    }
    case 'status': {
      const status = await migrationStatus(opts);
      if (status.upToDate) {
        console.log(`up to date: ${redactUrl(databaseUrl)}`);
        return 0;
      }
      const lines: [string, string[]][] = [
        ['pending', status.pending],
        ['failed (fix it, then `resolve <name>`)', status.failed],
        ['edited after being applied', status.edited],
        ['applied but missing from prisma/migrations', status.missingLocally],
      ];
      for (const [label, names] of lines) if (names.length) console.log(`${label}: ${names.join(', ')}`);
      return 2;
    }
    case 'drift': {
      const drift = await checkDrift(opts);
      if (drift.dbMatchesSchema && drift.migrationsMatchSchema) {
        console.log('no drift: the database and the migrations both match schema.prisma');
        return 0;
      }
      if (!drift.dbMatchesSchema) {
        console.log(`database differs from schema.prisma; SQL to bring it in line:\n${drift.dbToSchemaSql}\n`);
      }
      if (!drift.migrationsMatchSchema) {
        console.log(`migrations differ from schema.prisma (create a migration); missing SQL:\n${drift.migrationsToSchemaSql}\n`);
      }
      return 2;
    }
    case 'resolve': {
      const name = rest[0];
      if (!name || rest.length > 1) throw new MigrateError(`resolve needs exactly one migration name. ${USAGE}`);
      await markRolledBack(name, opts);
      console.log(`marked ${name} rolled back: the next deploy applies it again`);
      return 0;
    }
    default:
      throw new MigrateError(command ? `unknown command "${command}". ${USAGE}` : USAGE);
  }
}

let code: number;
try {
  code = await run(process.argv.slice(2));
} catch (error) {
  // Expected failures (MigrateError) are complete one-liners; anything else is a bug, so keep
  // its stack behind MIGRATE_DEBUG to stay readable by default.
  const message = error instanceof Error ? error.message : String(error);
  console.error(`error: ${message}`);
  if (process.env.MIGRATE_DEBUG && error instanceof Error && !(error instanceof MigrateError)) console.error(error.stack);
  code = 1;
}
// The wasm engine leaves a ~10 s timer pending after applyMigrations; don't make people wait on it.
process.exit(code);
