// Rewrites the schema engine's multi-line errors (Rust span traces, code frames) into one-line
// MigrateErrors that say which migration failed and what Postgres said.
import { MigrateError } from './database-url.ts';

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

/** Drops the tracing backtrace the engine appends ("0: sql_schema_connector::…", "at …", "with …"). */
function meaningfulLines(message: string): string[] {
  return message
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !/^\d+: \w+::/.test(line) && !/^(at|with) /.test(line));
}

function schemaErrors(message: string): string | undefined {
  const errors: string[] = [];
  const lines = message.split('\n');
  lines.forEach((line, i) => {
    const text = /^error: (.*)/.exec(line)?.[1];
    if (!text) return;
    const where = /^\s*-->\s*(\S+)/.exec(lines[i + 1] ?? '')?.[1];
    errors.push(where ? `${text} (${where})` : text);
  });
  return errors.length ? errors.join('; ') : undefined;
}

export function toMigrateError(error: unknown): Error {
  if (error instanceof MigrateError) return error;
  if (!(error instanceof Error)) return new MigrateError(String(error));
  if (process.env.MIGRATE_DEBUG) console.error('schema engine error:', error);
  const message = error.message;
  const pgMessage = /Error querying the database: (?:ERROR: )?(.*)/.exec(message)?.[1];

  const shadow = /Migration `([^`]+)` failed to apply cleanly to the shadow database/.exec(message);
  if (shadow) {
    const why = pgMessage ?? meaningfulLines(message).slice(1).join(' ');
    return new MigrateError(`migration ${shadow[1]} failed on a scratch (shadow) database: ${why}`);
  }
  const applying = /with migration_name="([^"]+)"/.exec(message);
  if (applying && pgMessage) {
    // The patched executeScript runs the file as one implicit transaction: nothing of it stayed.
    return new MigrateError(
      `migration ${applying[1]} failed: ${pgMessage} (its SQL was rolled back: fix migration.sql, ` +
        `mark it with \`cli.ts resolve ${applying[1]}\`, deploy again)`,
    );
  }
  const failedEarlier = /The `([^`]+)` migration started at (.+?) failed/.exec(message);
  if (failedEarlier) {
    return new MigrateError(
      `migration ${failedEarlier[1]} failed earlier (started ${failedEarlier[2]}), so no migration will be applied: ` +
        `fix it, mark it with \`cli.ts resolve ${failedEarlier[1]}\`, deploy again`,
    );
  }
  const invalidSchema = schemaErrors(message);
  if (invalidSchema) return new MigrateError(`schema.prisma is invalid: ${invalidSchema}`);
  return new MigrateError(oneLine(meaningfulLines(message).join('\n')) || error.name);
}

/** devDiagnostic's reason for a reset, shortened to its summary of differences. */
export function resetReason(reason: string, database: string): MigrateError {
  const drift = /^Drift detected:[\s\S]*?to the actual schema\.\s*([\s\S]*)$/.exec(reason);
  if (drift) {
    return new MigrateError(
      `database "${database}" drifted from the migration history (${oneLine(drift[1] ?? '')}): ` +
        'revert that change by hand, or drop the dev database and deploy again',
    );
  }
  return new MigrateError(`database "${database}" must be reset first: ${oneLine(reason)}`);
}
