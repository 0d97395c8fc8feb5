// pg_dump / pg_restore as child processes: the password goes in the environment (never on a command line other
// users can read with ps), verbose lines are handed to the caller (progress), and a failure is one line saying
// which tool failed and its last words.
import { spawn } from 'node:child_process';

export class PgToolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PgToolError';
  }
}

/** The URL without its password, and the environment that carries the password instead. */
export function toolConnection(databaseUrl: string): { url: string; env: Record<string, string | undefined> } {
  const u = new URL(databaseUrl);
  const password = u.password ? decodeURIComponent(u.password) : undefined;
  u.password = '';
  // The child needs PATH and the locale; PG* variables of our own environment would silently change the target.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PG')));
  return { url: u.toString(), env: { ...env, ...(password ? { PGPASSWORD: password } : {}) } };
}

/**
 * Runs `tool` with `args`; resolves with its stdout. `onLine` receives each stderr line (pg_dump/pg_restore
 * --verbose report progress there). A non-zero exit rejects with the last error lines.
 */
export function runPgTool(tool: 'pg_dump' | 'pg_restore', args: string[], opts: { env?: Record<string, string | undefined>; onLine?: (line: string) => void } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(tool, args, { env: (opts.env ?? process.env) as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let rest = '';
    const problems: string[] = [];
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      const lines = (rest + d).split('\n');
      rest = lines.pop()!;
      for (const l of lines) {
        if (/error|fatal|could not|warning/i.test(l)) problems.push(l);
        opts.onLine?.(l);
      }
    });
    child.on('error', (e: NodeJS.ErrnoException) =>
      reject(new PgToolError(e.code === 'ENOENT' ? `${tool} is not installed or not on PATH (Debian: apt-get install postgresql-client-15)` : `${tool}: ${e.message}`)));
    child.on('close', (code) => {
      if (rest) {
        if (/error|fatal|could not/i.test(rest)) problems.push(rest);
        opts.onLine?.(rest);
      }
      if (code === 0) resolve(stdout);
      else reject(new PgToolError(`${tool} failed (exit ${code}): ${problems.slice(-3).join(' | ') || 'no message'}`));
    });
  });
}

/** The entries of a custom-format dump's table of contents (also proves the file is a readable dump). */
export async function dumpContents(file: string): Promise<string[]> {
  const out = await runPgTool('pg_restore', ['--list', file]);
  return out.split('\n').filter((l) => l.trim() && !l.startsWith(';'));
}
