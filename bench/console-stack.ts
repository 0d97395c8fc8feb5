// Shared by the console benches: a throwaway database and Redis prefix (createTestRuntime), an admin, the BUILT
// console (`server.mjs`, the console's production server, serving apps/console/.next-bench, built here when missing) and a realistic book seeded in SQL.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createTestRuntime, type TestRuntime } from '@ai-trader/adapters/testing';
import { upsertPasswordUser } from '@ai-trader/api';

const root = path.resolve(import.meta.dirname, '..');
const consoleDir = path.join(root, 'apps/console');
export const DIST_DIR = process.env.NEXT_DIST_DIR ?? '.next-bench';

export const pct = (xs: number[], p: number) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface ConsoleStack {
  rt: TestRuntime;
  base: string;
  admin: { email: string; password: string };
  /** A signed-in session's Cookie header (better-auth's sign-in, like the login page). */
  signIn(): Promise<string>;
  stop(): Promise<void>;
}

/** Builds the console into DIST_DIR unless a build is there (delete the dir to rebuild). */
function ensureBuild(): void {
  if (existsSync(path.join(consoleDir, DIST_DIR, 'BUILD_ID'))) return;
  console.log(`building the console into apps/console/${DIST_DIR} (1-2 minutes)…`);
  const r = spawnSync(path.join(consoleDir, 'node_modules/.bin/next'), ['build'], {
    cwd: consoleDir, stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, NEXT_DIST_DIR: DIST_DIR, NEXT_TELEMETRY_DISABLED: '1' },
  });
  if (r.status !== 0) throw new Error(`next build into apps/console/${DIST_DIR} failed (exit ${r.status})`);
}

export async function startConsoleStack(name: string, port: number, env: Record<string, string> = {}): Promise<ConsoleStack> {
  ensureBuild();
  const rt = await createTestRuntime(name, { LOG_LEVEL: 'silent', ...env });
  const admin = { email: 'bench-admin@example.com', password: `bench-${randomBytes(12).toString('hex')}` };
  let child: ChildProcess | null = null;
  const stop = async () => {
    if (child && child.exitCode === null) {
      const c = child;
      c.kill('SIGTERM');
      await new Promise((r) => c.once('exit', r));
    }
    await rt.cleanup();
  };
  try {
    await upsertPasswordUser(rt.deps.prisma, { email: admin.email, name: 'Bench Admin', password: admin.password, role: 'admin' });
    const base = `http://localhost:${port}`;
    // BENCH_NODE_ARGS: options for the console's node (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"; NODE_OPTIONS refuses those).
    const nodeArgs = process.env.BENCH_NODE_ARGS?.split(/\s+/).filter(Boolean) ?? [];
    child = spawn(process.execPath, [...nodeArgs, 'server.mjs', '--port', String(port)], {
      cwd: consoleDir,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: {
        ...process.env, NODE_ENV: 'production', NEXT_TELEMETRY_DISABLED: '1', NEXT_DIST_DIR: DIST_DIR,
        DATABASE_URL: rt.config.DATABASE_URL, REDIS_URL: rt.config.REDIS_URL, REDIS_PREFIX: rt.config.REDIS_PREFIX,
        SESSION_SECRET: randomBytes(48).toString('base64url'), PORT: String(port), PUBLIC_URL: base, LOG_LEVEL: 'warn', ...env,
      },
    });
    const exited = new Promise<never>((_, reject) => child!.once('exit', (code) => reject(new Error(`next start on port ${port} exited early (code ${code}); is the port free?`))));
    exited.catch(() => undefined);
    const deadline = Date.now() + 60_000;
    for (;;) {
      const ok = await Promise.race([fetch(`${base}/api/health`).then((r) => r.ok, () => false), exited]);
      if (ok) break;
      if (Date.now() > deadline) throw new Error(`the console on port ${port} did not answer /api/health within 60 s`);
      await sleep(250);
    }
    return {
      rt, base, admin, stop,
      async signIn() {
        const res = await fetch(`${base}/api/auth/sign-in/email`, {
          method: 'POST', headers: { 'content-type': 'application/json', origin: base }, body: JSON.stringify({ email: admin.email, password: admin.password }),
        });
        if (!res.ok) throw new Error(`sign-in as ${admin.email} failed: ${res.status} ${await res.text()}`);
        return res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
      },
    };
  } catch (e) {
    await stop().catch(() => undefined);
    throw e;
  }
}

/** Ticker-like symbols: AAA, AAB, … (deterministic). */
export const symbols = (n: number, prefix = '') =>
  Array.from({ length: n }, (_, i) => prefix + String.fromCharCode(65 + ((i / 676) | 0) % 26, 65 + ((i / 26) | 0) % 26, 65 + (i % 26)));

/**
 * A book like a busy month's: `positions` symbols (80% open with armed exits, 20% flat with realised P&L), two
 * bars each (the last price), `orders` approved decisions — mostly filled, some cancelled, rejected, expired,
 * working (SELLs among them close positions), partly filled, and intents pending, blocked or failed without an
 * order — each with its signal, decision and fills, plus `denied` decisions; spread over the last days.
 */
export async function seedBook(rt: TestRuntime, o: { positions: number; orders: number; denied: number }): Promise<string[]> {
  const syms = symbols(o.positions);
  const q = (sql: string, params: unknown[] = []) => rt.deps.pool.query(sql, params);
  const now = Date.parse('2025-06-04T19:55:00Z');
  await q(`INSERT INTO market_data_5m (symbol, ts, open, high, low, close, volume, source)
    SELECT s, $2::timestamptz - (k * interval '5 minutes'), px, px * 1.002, px * 0.998, px * (1 + (k - 0.5) * 0.004), 1000 + i * 3, 'bench'
      FROM unnest($1::text[]) WITH ORDINALITY AS u(s, i), LATERAL (SELECT round((20 + (i * 37 % 480) + (i % 100) / 100.0)::numeric, 2) AS px) p, generate_series(0, 1) k`,
  [syms, new Date(now)]);
  await q(`INSERT INTO positions (symbol, qty, "avgCost", "realizedPnl", "stopPrice", "targetPrice", "trailPct", "highWater", "exitsFrom", "updatedAt")
    SELECT s, CASE WHEN open THEN 1 + i * 7 % 400 ELSE 0 END, CASE WHEN open THEN ac ELSE 0 END, ((i * 13 % 2000) - 1000) / 10.0,
           CASE WHEN open THEN round(ac * 0.97, 2) END, CASE WHEN open THEN round(ac * 1.06, 2) END, CASE WHEN open AND i % 3 = 0 THEN 1.5 END,
           CASE WHEN open AND i % 3 = 0 THEN ac * 1.01 END, CASE WHEN open THEN $2::timestamptz - interval '3 days' END, $2::timestamptz - (i * interval '1 minute')
      FROM unnest($1::text[]) WITH ORDINALITY AS u(s, i),
           LATERAL (SELECT i % 5 <> 0 AS open, round((20 + (i * 37 % 480)) * (0.95 + (i % 10) / 100.0), 4) AS ac) a`,
  [syms, new Date(now)]);
  // One row per approved decision; k % 100 picks the outcome.
  const approved = `
    SELECT g, md5('s' || g)::uuid AS sid, md5('d' || g)::uuid AS did, md5('i' || g)::uuid AS iid, md5('o' || g)::uuid AS oid,
           ($1::text[])[1 + g % array_length($1::text[], 1)] AS sym, CASE WHEN g % 3 = 0 THEN 'SELL' ELSE 'BUY' END::"OrderSide" AS side,
           (ARRAY['ma-cross-5-20', 'rsi-reversion', 'model-gbm', 'exits', 'manual'])[1 + g % 5] AS strat,
           $2::timestamptz - (($3::int - g) * interval '7 minutes') AS at, round((20 + (g * 37 % 480) + (g % 100) / 100.0)::numeric, 2) AS px,
           1 + g % 60 AS qty, g % 100 AS r
      FROM generate_series(1, $3::int) g`;
  const p = [syms, new Date(now), o.orders];
  await q(`INSERT INTO signals (id, strategy, symbol, "barTs", side, price, detail, score, "createdAt")
    SELECT sid, strat, sym, date_trunc('hour', at) + floor(extract(minute FROM at) / 5) * interval '5 minutes' - interval '5 minutes', side, px,
           jsonb_build_object('reason', CASE WHEN side = 'BUY' THEN 'fast SMA crossed above slow' ELSE 'fast SMA crossed below slow' END), (g % 200 - 100) / 100.0, at - interval '80 ms'
      FROM (${approved}) a`, p);
  await q(`INSERT INTO risk_decisions (id, "signalId", outcome, message, "createdAt") SELECT did, sid, 'APPROVED', 'all checks passed', at - interval '40 ms' FROM (${approved}) a`, p);
  await q(`INSERT INTO order_intents (id, "riskDecisionId", symbol, side, qty, "refPrice", "isEntry", status, "statusReason", "failCause", "stopLoss", "takeProfit", "trailPct", "exitReason", "createdAt", "updatedAt")
    SELECT iid, did, sym, side, qty, px, side = 'BUY',
           (CASE WHEN r BETWEEN 93 AND 94 THEN 'PENDING' WHEN r BETWEEN 95 AND 96 THEN 'BLOCKED' WHEN r >= 97 THEN 'FAILED' ELSE 'SUBMITTED' END)::"IntentStatus",
           CASE WHEN r BETWEEN 95 AND 96 THEN 'trading state HALTED at submission' WHEN r >= 97 THEN 'broker unreachable after 8 attempts' END,
           CASE WHEN r >= 97 THEN 'broker_down' END,
           CASE WHEN side = 'BUY' THEN round(px * 0.97, 2) END, CASE WHEN side = 'BUY' THEN round(px * 1.06, 2) END, CASE WHEN side = 'BUY' AND g % 2 = 0 THEN 1.5 END,
           CASE WHEN side = 'SELL' THEN (ARRAY['signal', 'stop_loss', 'take_profit', 'trailing_stop', 'manual'])[1 + g % 5] END, at, at + interval '30 ms'
      FROM (${approved}) a`, p);
  await q(`INSERT INTO orders (id, "intentId", "clientOrderId", "brokerOrderId", broker, symbol, side, qty, "filledQty", "avgFillPrice", status, "rejectReason", "rejectCause", "submittedAt", "createdAt", "updatedAt")
    SELECT oid, iid, 'ait-' || substr(md5('c' || g), 1, 32), 'sim-' || g, 'sim', sym, side, qty,
           CASE WHEN st = 'filled' THEN qty WHEN st = 'partially_filled' THEN ceil(qty / 2.0) ELSE 0 END,
           CASE WHEN st IN ('filled', 'partially_filled') THEN px * 1.0004 END, st::"OrderStatus",
           CASE WHEN st = 'rejected' THEN 'insufficient buying power' END, CASE WHEN st = 'rejected' THEN 'insufficient_buying_power' END,
           at + interval '12 ms', at + interval '10 ms', at + interval '5 minutes'
      FROM (SELECT *, CASE WHEN r < 70 THEN 'filled' WHEN r < 78 THEN 'canceled' WHEN r < 83 THEN 'rejected' WHEN r < 88 THEN 'new'
                           WHEN r < 90 THEN 'partially_filled' ELSE 'expired' END AS st FROM (${approved}) a WHERE r < 93) o`, p);
  await q(`INSERT INTO fills (id, "executionId", "orderId", symbol, side, qty, price, "filledAt", "createdAt")
    SELECT md5('f' || o.id)::uuid, 'exec-' || o."clientOrderId", o.id, o.symbol, o.side, o."filledQty", o."avgFillPrice", o."createdAt" + interval '5 minutes', o."updatedAt"
      FROM orders o WHERE o."filledQty" > 0`);
  const denied = `
    SELECT g, md5('ds' || g)::uuid AS sid, md5('dd' || g)::uuid AS did, ($1::text[])[1 + (g + 500) % array_length($1::text[], 1)] AS sym,
           (ARRAY['ma-cross-5-20', 'rsi-reversion', 'model-gbm'])[1 + g % 3] AS strat, $2::timestamptz - (($3::int - g) * interval '28 minutes' + interval '3 minutes') AS at,
           (ARRAY['DUPLICATE_SIGNAL', 'MAX_POSITION_NOTIONAL', 'MAX_GROSS_EXPOSURE', 'STALE_DATA', 'TRADING_HALTED'])[1 + g % 5] AS code
      FROM generate_series(1, $3::int) g`;
  const dp = [syms, new Date(now), o.denied];
  await q(`INSERT INTO signals (id, strategy, symbol, "barTs", side, price, detail, "createdAt")
    SELECT sid, strat, sym, date_trunc('hour', at) + floor(extract(minute FROM at) / 5) * interval '5 minutes', 'BUY', 100 + g % 50, '{"reason": "fast SMA crossed above slow"}', at - interval '50 ms'
      FROM (${denied}) a ON CONFLICT DO NOTHING`, dp); // a small book can put one on an approved signal's bar
  await q(`INSERT INTO risk_decisions (id, "signalId", outcome, "reasonCode", message, "createdAt")
    SELECT did, sid, 'DENIED', code, 'denied by the pre-trade check ' || code, at FROM (${denied}) a WHERE EXISTS (SELECT 1 FROM signals WHERE id = a.sid)`, dp);
  await q('VACUUM ANALYZE');
  return syms;
}
