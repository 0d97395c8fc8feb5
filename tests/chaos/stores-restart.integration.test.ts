// Redis, then Postgres, "restart" under a real workers process (execution, broker stream, portfolio) while intents
// keep arriving: a TCP proxy between the workers and the shared servers cuts every connection and refuses new ones
// for a few seconds. Afterwards every intent is exactly one broker order, processing resumed within 10 s of each
// restore, and the fills booked from the stream equal the broker's positions (no fill booked twice). The backlog an
// outage leaves is sent within Alpaca's request limit: in the full run it takes about a minute, the limit's window.
// CHAOS_FULL=1 (`npm run chaos`): longer outages and more intents.
import { randomBytes } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestRuntime, type TestRuntime } from '@ai-trader/adapters/testing';
import { startFakeAlpaca, type FakeAlpaca } from '@ai-trader/adapters/testing/fake-alpaca';
import { checkRisk, clientOrderIdFor, getTradingState, ingestBar, lastReconciliation } from '@ai-trader/core';
import { killAll, startWorkersProcess, until, type WorkersProcess } from '../helpers/processes.ts';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.ts';

const FULL = process.env.CHAOS_FULL === '1';
const OUTAGE_MS = FULL ? 8000 : 3000;
const RESUME_LIMIT_MS = 10_000;
const KEY = `PK${randomBytes(8).toString('hex').toUpperCase()}`;
const SECRET = `sk-${randomBytes(16).toString('hex')}`;
const SYMBOLS = ['SPY', 'QQQ', 'IWM', 'DIA'];
const BAR_TS = '2025-06-04T14:00:00Z'; // 10:00 New York: the session is open at the signals' bar time

describe('Redis and Postgres restarted under the workers', () => {
  let rt: TestRuntime;
  let fake: FakeAlpaca;
  let redisProxy: TcpProxy;
  let pgProxy: TcpProxy;
  const running = new Set<ChildProcess>();
  let stopFeeder: () => Promise<void> = async () => {};
  beforeEach(async () => {
    fake = await startFakeAlpaca({ keyId: KEY, secretKey: SECRET, cash: '100000000', prices: Object.fromEntries(SYMBOLS.map((s) => [s, '100'])), rateLimit: null });
    // Risk runs here, straight on the servers (the simulated broker's wiring, market open from the bar time): the
    // intents keep coming while the workers' side is cut, as they would from a risk worker elsewhere.
    rt = await createTestRuntime('chaosstores', {
      STALE_AFTER_SECONDS: '86400', // the bars are ingested once at the start; the full run outlasts the default limit
      ORDER_NOTIONAL: '1000', RISK_MAX_OPEN_ORDERS: '10000', RISK_MAX_ORDERS_PER_MINUTE: '10000', SIM_STARTING_CASH: '100000000',
      RISK_MAX_POSITION_QTY: '1000000', RISK_MAX_POSITION_NOTIONAL: '100000000', RISK_MAX_GROSS_EXPOSURE: '100000000', RISK_MAX_NET_EXPOSURE: '100000000',
    });
    const pg = new URL(rt.config.DATABASE_URL);
    const redis = new URL(rt.config.REDIS_URL);
    pgProxy = await startTcpProxy({ host: pg.hostname, port: Number(pg.port || 5432) });
    redisProxy = await startTcpProxy({ host: redis.hostname, port: Number(redis.port || 6379) });
  });
  afterEach(async () => {
    await stopFeeder().catch(() => undefined); // a failed assertion must not leave it writing to a dropped database
    await killAll(running);
    await redisProxy?.close();
    await pgProxy?.close();
    await rt?.cleanup();
    await fake?.close();
  });

  it('loses no intent, resumes within 10 s of each restore, and places each order once', async () => {
    const p = rt.deps.prisma;
    for (const symbol of SYMBOLS) await ingestBar(rt.deps, { symbol, timeframe: '5m', ts: BAR_TS, open: '100', high: '100', low: '100', close: '100', volume: '1000', source: 'test' });
    const c = rt.config;
    const w: WorkersProcess = startWorkersProcess({
      DATABASE_URL: pgProxy.url(c.DATABASE_URL), REDIS_URL: redisProxy.url(c.REDIS_URL), REDIS_PREFIX: c.REDIS_PREFIX,
      WORKER_ROLES: 'execution,broker,portfolio', LOG_LEVEL: 'info',
      BROKER: 'alpaca', ALPACA_KEY_ID: KEY, ALPACA_SECRET_KEY: SECRET, ALPACA_BASE_URL: fake.restUrl, ALPACA_STREAM_URL: fake.wsUrl,
      WORKER_LOCK_DURATION_MS: '3000', WORKER_STALLED_INTERVAL_MS: '1000',
    }, running);

    // The stream of intents: one approved intent every 100 ms, each of its own strategy (no DUPLICATE_SIGNAL).
    let made = 0;
    let feeding = true;
    const feeder = (async () => {
      while (feeding) {
        const s = await p.signal.create({ data: { strategy: `chaos-${made}`, symbol: SYMBOLS[made % SYMBOLS.length]!, barTs: new Date(BAR_TS), side: 'BUY', price: '100', detail: {} } });
        const d = await checkRisk(rt.deps, { signalId: s.id });
        if (d.outcome !== 'APPROVED') throw new Error(`intent ${made} not approved: ${d.message ?? d.outcome} (${(await getTradingState(p)).reason})`);
        made++;
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    stopFeeder = async () => {
      feeding = false;
      await feeder;
    };
    const orderPosts = () => fake.requests.filter((r) => r.method === 'POST' && r.path === '/v2/orders');
    const fail = (e: Error) => {
      throw new Error(`${e.message}\n${w.output().slice(-4000)}`);
    };
    await until('the workers to place orders', async () => orderPosts().length >= 10, 60_000).catch(fail);

    // A cut while jobs run; the time from the restore to the next order POST (a job that went through Redis and Postgres).
    const outage = async (name: string, proxy: TcpProxy) => {
      const acceptedBefore = proxy.accepted();
      proxy.cut();
      await new Promise((r) => setTimeout(r, OUTAGE_MS));
      const restoredAt = Date.now();
      proxy.restore();
      await until(`an order after the ${name} restore`, async () => orderPosts().some((r) => r.at > restoredAt), 30_000).catch(fail);
      const resumedMs = Math.round(orderPosts().find((r) => r.at > restoredAt)!.at - restoredAt);
      console.log(`[chaos] ${name} cut for ${OUTAGE_MS} ms: first order ${resumedMs} ms after the restore; ${proxy.accepted() - acceptedBefore} reconnections`);
      expect(proxy.accepted()).toBeGreaterThan(acceptedBefore); // the workers really reconnected through the proxy
      expect(resumedMs).toBeLessThan(RESUME_LIMIT_MS);
      expect(w.child.exitCode, w.output().slice(-3000)).toBeNull(); // the process rode it out
    };
    await outage('Redis', redisProxy);
    const placed = orderPosts().filter((r) => r.status === 200).length;
    await until('more orders', async () => orderPosts().filter((r) => r.status === 200).length >= placed + 10, 30_000).catch(fail);
    await outage('Postgres', pgProxy);
    await new Promise((r) => setTimeout(r, FULL ? 5000 : 1000));
    await stopFeeder();

    // The outages were repaired, not mistaken for drift: entries were never stopped (REDUCING would block them).
    const state = await getTradingState(p);
    expect(`${state.state} ${state.reason}`).toMatch(/^ACTIVE /);
    // Everything catches up: every intent submitted and filled in our books.
    // A submission job lost with a connection (failed for good while a store was away) is requeued by the outbox
    // sweep (every 30 s, intents PENDING for OUTBOX_SWEEP_AFTER_SECONDS): the wait allows for one such round.
    const catchUp = Date.now();
    await until('every intent to be submitted and filled', async () =>
      (await p.orderIntent.count({ where: { status: 'SUBMITTED' } })) === made && (await p.order.count({ where: { status: 'filled' } })) === made, 150_000,
    ).catch(async (e: Error) => {
      const stuck = await p.orderIntent.findMany({ where: { status: { not: 'SUBMITTED' } }, select: { id: true, status: true, createdAt: true } });
      const lines = w.output().split('\n').filter((l) => stuck.some((x) => l.includes(x.id)) || /outbox|reconcil|failed|error/i.test(l)).slice(-40);
      const st = await getTradingState(p);
      throw new Error(`${e.message}: ${await p.orderIntent.count({ where: { status: 'SUBMITTED' } })} submitted, ${await p.order.count({ where: { status: 'filled' } })} filled of ${made}; trading ${st.state} (${st.reason}); last reconciliation ${JSON.stringify(await lastReconciliation(rt.deps))}; stuck ${JSON.stringify(stuck.slice(0, 5))}\n${lines.join('\n')}`, { cause: e });
    });
    // The catch-up is paced by Alpaca's request limit (200 a minute, 20 of them kept from entries), not by the outage:
    // the backlog never pushed the account past it in any minute at the broker.
    const at = fake.requests.map((r) => r.at).sort((x, y) => x - y);
    let busiest = 0;
    for (let i = 0, j = 0; i < at.length; i++) {
      while (at[i]! - at[j]! >= 60_000) j++;
      busiest = Math.max(busiest, i - j + 1);
    }
    console.log(`[chaos] stores restart: caught up ${Date.now() - catchUp} ms after the intents stopped; busiest minute at the broker ${busiest} requests (limit 200)`);
    expect(busiest).toBeLessThanOrEqual(200);
    await until('the books to equal the broker', async () => {
      const ours = await p.position.findMany({ where: { qty: { not: 0 } } });
      return ours.length === SYMBOLS.length && ours.every((x) => fake.positions().find((b) => b.symbol === x.symbol)?.qty === x.qty.toFixed());
    }, 30_000).catch(fail);
    w.child.kill('SIGTERM');
    const stopped = await w.exited;
    expect(stopped.code, stopped.out.slice(-3000)).toBe(0);
    console.log(`[chaos] stores restart: ${made} intents, ${orderPosts().length} order POSTs (${orderPosts().filter((r) => r.status === 422).length} repeats answered 422)`);

    // Exactly one broker order per intent, under the intent's id, and the one our books hold.
    const rows = await p.orderIntent.findMany({ include: { order: { include: { fills: true } } } });
    expect(rows).toHaveLength(made);
    const theirs = fake.orders();
    expect(theirs).toHaveLength(made);
    expect(new Set(theirs.map((o) => o.client_order_id)).size).toBe(made);
    const byCid = new Map(theirs.map((o) => [o.client_order_id, o]));
    for (const i of rows) {
      const o = byCid.get(clientOrderIdFor(i.id));
      expect(o, `intent ${i.id} has no broker order`).toBeDefined();
      expect(i.order!.brokerOrderId).toBe(o!.id);
      // No fill booked twice: the quantity filled in our books is the broker's.
      expect(i.order!.fills.reduce((n, f) => n + Number(f.qty), 0)).toBe(Number(o!.filled_qty));
    }
  }, FULL ? 600_000 : 120_000);
});
