// The system under test for the Playwright journeys: a fresh migrated database, a private Redis
// prefix, the seeded admin, the pipeline workers (without the feed: the journey starts it) and the
// built console. Writes e2e/.stack.json for the specs; removes everything on SIGTERM.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { createTestDatabase } from '@ai-trader/db/testing';
import { createRedis } from '@ai-trader/core';

const root = path.resolve(import.meta.dirname, '..');
const port = Number(process.env.E2E_PORT ?? 3210);
export const STACK_FILE = path.join(root, 'e2e', port === 3210 ? '.stack.json' : `.stack-${port}.json`);

const db = await createTestDatabase('e2e');
const prefix = `e2e-${randomBytes(4).toString('hex')}`;
const admin = { email: 'e2e-admin@example.com', password: `e2e-${randomBytes(12).toString('hex')}` };
const env: Record<string, string> = {
  ...(process.env as Record<string, string>),
  NODE_ENV: 'production',
  NEXT_TELEMETRY_DISABLED: '1',
  DATABASE_URL: db.url,
  REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
  REDIS_PREFIX: prefix,
  SESSION_SECRET: randomBytes(48).toString('base64url'),
  KEYS_ENCRYPTION_KEYS: `e2e:${randomBytes(32).toString('base64')}`,
  PORT: String(port),
  PUBLIC_URL: `http://localhost:${port}`,
  REPLAY_DATA_DIR: path.resolve(root, '../shared/data'),
  REPLAY_SYMBOLS: 'SPY,QQQ,AAPL,MSFT',
  REPLAY_START: '2025-06-04',
  REPLAY_SPEED: '1500',
  DEMO_ADMIN_EMAIL: admin.email,
  DEMO_ADMIN_PASSWORD: admin.password,
  LOG_LEVEL: 'warn',
};
writeFileSync(STACK_FILE, JSON.stringify({ env, admin }, null, 2), { mode: 0o600 });

const children: ChildProcess[] = [];
function run(name: string, cmd: string, args: string[], cwd: string, extra: Record<string, string> = {}) {
  const c = spawn(cmd, args, { cwd, env: { ...env, ...extra }, stdio: ['ignore', 'inherit', 'inherit'] });
  c.on('exit', (code, sig) => {
    if (!stopping) console.error(`[e2e stack] ${name} exited early (code ${code}, signal ${sig})`);
  });
  children.push(c);
  return c;
}

const tsx = path.join(root, 'node_modules', '.bin', 'tsx');
await new Promise<void>((resolve, reject) => {
  const seed = spawn(tsx, ['prisma/seed.ts'], { cwd: root, env, stdio: 'inherit' });
  seed.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`seed exited with ${code}`))));
});
run('workers', process.execPath, ['bin/workers.mjs'], path.join(root, 'workers'), { WORKER_ROLES: 'ingest,scoring,risk,execution,broker,portfolio' });
run('console', process.execPath, ['server.mjs', '--port', String(port)], path.join(root, 'apps/console'));

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  for (const c of children) c.kill('SIGTERM');
  await Promise.all(children.map((c) => (c.exitCode !== null ? null : new Promise((r) => c.once('exit', r)))));
  const r = createRedis(env.REDIS_URL!, { name: 'e2e-cleanup' });
  const found = await r.keys(`${prefix}:*`);
  if (found.length) await r.del(...found);
  await r.quit();
  await db.drop();
  rmSync(STACK_FILE, { force: true });
  process.exit(0);
}
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
