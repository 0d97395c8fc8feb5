// What every command needs: the validated configuration and, lazily, the runtime and a pg pool.
// Errors a person can act on are printed as one line and exit non-zero (CliError).
import { hostname, userInfo } from 'node:os';
import { ConfigError, parseConfig, type TConfig } from '@ai-trader/contracts';
import { createRuntime, type Runtime } from '@ai-trader/adapters';
import { createLogger, LogFiles, resolveLogDir } from '@ai-trader/core';
import { createPgPool, type PgPool } from '@ai-trader/db';

export class CliError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
  }
}

/** Who runs this command, for the audit log (a signed-in CLI identity arrives with accounts and roles). */
export function cliActor(): { id: string; email: string } {
  const user = (() => {
    try {
      return userInfo().username;
    } catch {
      return process.env.USER ?? 'unknown';
    }
  })();
  return { id: `cli:${user}`, email: `cli:${user}@${hostname()}` };
}

export interface CliContext {
  config: TConfig;
  runtime(): Runtime;
  pool(): PgPool;
  close(): Promise<void>;
}

export function createContext(env: Record<string, string | undefined> = process.env): CliContext {
  let config: TConfig;
  try {
    config = parseConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) throw new CliError(e.message, 2);
    throw e;
  }
  let rt: Runtime | null = null;
  let pool: PgPool | null = null;
  return {
    config,
    runtime: () => (rt ??= createRuntime(config, { name: 'cli', logger: cliLogger(config, env) })),
    pool: () => (pool ??= createPgPool(config.DATABASE_URL, { name: 'cli-direct', max: config.PG_POOL_MAX, acquireTimeoutMs: config.PG_POOL_ACQUIRE_TIMEOUT_MS })),
    async close() {
      await rt?.close();
      await pool?.end();
    },
  };
}

/**
 * The CLI's logger: warnings and worse on stdout (LOG_LEVEL), and — like the console and the workers — the runbook's
 * category files under LOG_DIR at LOG_FILE_LEVEL, so what an operator's command did is in logs/ too. Written
 * synchronously: a short command can end before an asynchronous file has even opened.
 */
function cliLogger(config: TConfig, env: Record<string, string | undefined>) {
  const dir = resolveLogDir(config);
  const files = dir ? new LogFiles({ dir, format: config.LOG_FILE_FORMAT, sync: true }) : undefined;
  return createLogger({ name: 'cli', level: env.LOG_LEVEL ?? 'warn', files, fileLevel: config.LOG_FILE_LEVEL });
}
