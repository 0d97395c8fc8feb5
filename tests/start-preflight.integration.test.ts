// scripts/preflight.ts as `npm start` runs it: one actionable message per unreachable service (URL with the
// password hidden, how to start it), exit 1 and no stack trace; exit 0 when Postgres and Redis answer.
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');
const tsxCli = createRequire(import.meta.url).resolve('tsx/cli');

// Port 1 on loopback: nothing listens there, so the connection is refused at once.
const DEAD_DATABASE_URL = 'postgresql://postgres:pg-secret-123@127.0.0.1:1/ai_trader';
const DEAD_REDIS_URL = 'redis://:redis-secret-456@127.0.0.1:1';
const realDatabaseUrl = process.env.DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/ai_trader';
const realRedisUrl = process.env.REDIS_URL || 'redis://127.0.0.1:6379';

function preflight(env: Record<string, string>): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [tsxCli, 'scripts/preflight.ts'],
      { cwd: root, env: { ...process.env, ...env }, timeout: 30_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? -1) : 0, output: `${stdout}${stderr}` }),
    );
  });
}

const STACK_FRAME = /^\s+at\s/m;

describe('scripts/preflight.ts', () => {
  it('explains an unreachable Postgres: URL without its password, how to start it, exit 1, no stack trace', async () => {
    const { code, output } = await preflight({ DATABASE_URL: DEAD_DATABASE_URL, REDIS_URL: realRedisUrl });
    expect(code).toBe(1);
    expect(output).toContain('Postgres is not reachable at postgresql://postgres:***@127.0.0.1:1/ai_trader');
    expect(output).toContain('ECONNREFUSED');
    expect(output).toContain('docker compose up -d postgres');
    expect(output).toMatch(/pg_ctlcluster \d+ main start/);
    expect(output).not.toContain('pg-secret-123');
    expect(output).not.toContain('Redis');
    expect(output).not.toMatch(STACK_FRAME);
  });

  it('explains an unreachable Redis the same way', async () => {
    const { code, output } = await preflight({ DATABASE_URL: realDatabaseUrl, REDIS_URL: DEAD_REDIS_URL });
    expect(code).toBe(1);
    expect(output).toContain('Redis is not reachable at redis://:***@127.0.0.1:1');
    expect(output).toContain('docker compose up -d redis');
    expect(output).toContain('redis-server --daemonize yes');
    expect(output).not.toContain('redis-secret-456');
    expect(output).not.toContain('Postgres');
    expect(output).not.toMatch(STACK_FRAME);
  });

  it('reports both when both are down', async () => {
    const { code, output } = await preflight({ DATABASE_URL: DEAD_DATABASE_URL, REDIS_URL: DEAD_REDIS_URL });
    expect(code).toBe(1);
    expect(output).toContain('Postgres is not reachable');
    expect(output).toContain('Redis is not reachable');
    expect(output).not.toMatch(STACK_FRAME);
  });

  it('exits 0 when both answer, even before the app database exists', async () => {
    // A database name nobody created: the preflight talks to the server's `postgres` database.
    const notYetCreated = new URL(realDatabaseUrl);
    notYetCreated.pathname = '/ai_trader_preflight_never_created';
    const { code, output } = await preflight({ DATABASE_URL: notYetCreated.toString(), REDIS_URL: realRedisUrl });
    expect(output).toContain('Postgres answers at');
    expect(code).toBe(0);
  });
});
