// The execution worker is SIGKILLed again and again while orders are in flight at the broker (the local
// Alpaca-compatible server, which holds each order's answer back for a while): after the restarts every approved
// intent is one order at Alpaca and one orders row; the repeats were answered 422 and resolved by lookup.
// Short in `npm test` (60 intents, 5 kills); CHAOS_FULL=1 (`npm run chaos`) is the 500 intents and 20 kills.
import { randomBytes } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestRuntime, type TestRuntime } from '@ai-trader/adapters/testing';
import { startFakeAlpaca, type FakeAlpaca, type FakeAlpacaRequest } from '@ai-trader/adapters/testing/fake-alpaca';
import { checkRisk, clientOrderIdFor, ingestBar } from '@ai-trader/core';
import { killAll, startWorkersProcess, until, type WorkersProcess } from '../../tests/helpers/processes.ts';

const KEY = `PK${randomBytes(8).toString('hex').toUpperCase()}`;
const SECRET = `sk-${randomBytes(16).toString('hex')}`;
const SYMBOLS = ['SPY', 'QQQ', 'IWM', 'DIA', 'MSFT', 'AAPL'];
const FULL = process.env.CHAOS_FULL === '1';
const N = FULL ? 500 : 60; // intents
const KILLS = FULL ? 20 : 5;
const BAR_TS = '2025-06-04T14:00:00Z'; // 10:00 New York: the session is open at the signals' bar time

describe('execution worker killed mid-submission', () => {
  let rt: TestRuntime;
  let fake: FakeAlpaca;
  const running = new Set<ChildProcess>();
  beforeEach(async () => {
    fake = await startFakeAlpaca({
      keyId: KEY, secretKey: SECRET, cash: '10000000', prices: Object.fromEntries(SYMBOLS.map((s) => [s, '100'])), orderAnswerDelayMs: [20, 100],
    });
    // Risk runs here on the simulated broker's wiring (market open from the bar time): its clock and asset calls
    // would spend Alpaca's shared 200-a-minute budget that the execution workers need.
    rt = await createTestRuntime('killexec', {
      ORDER_NOTIONAL: '1000', RISK_MAX_OPEN_ORDERS: '1000', RISK_MAX_ORDERS_PER_MINUTE: '1000', SIM_STARTING_CASH: '10000000',
      // The full run's 500 intents: up to ~84 000 per symbol and 500 000 in all, past the default exposure limits.
      RISK_MAX_POSITION_NOTIONAL: '1000000', RISK_MAX_GROSS_EXPOSURE: '5000000', RISK_MAX_NET_EXPOSURE: '5000000',
    });
  });
  afterEach(async () => {
    await killAll(running); // a failed assertion must not leave a worker behind
    await rt?.cleanup();
    await fake?.close();
  });

  it('places exactly one broker order per intent across repeated SIGKILLs', async () => {
    const p = rt.deps.prisma;
    for (const symbol of SYMBOLS) await ingestBar(rt.deps, { symbol, timeframe: '5m', ts: BAR_TS, open: '100', high: '100', low: '100', close: '100', volume: '1000', source: 'test' });
    // One strategy per signal: a second working BUY of a strategy and symbol would be a DUPLICATE_SIGNAL.
    for (let i = 0; i < N; i++) {
      const s = await p.signal.create({ data: { strategy: `kill-${i}`, symbol: SYMBOLS[i % SYMBOLS.length]!, barTs: new Date(BAR_TS), side: 'BUY', price: '100', detail: {} } });
      const d = await checkRisk(rt.deps, { signalId: s.id }); // approves and queues execution.submit
      expect(d.outcome, d.message ?? '').toBe('APPROVED');
    }
    const intents = await p.orderIntent.findMany({ select: { id: true } });
    expect(intents).toHaveLength(N);

    const c = rt.config;
    const env = {
      DATABASE_URL: c.DATABASE_URL, REDIS_URL: c.REDIS_URL, REDIS_PREFIX: c.REDIS_PREFIX, WORKER_ROLES: 'execution', LOG_LEVEL: 'info',
      BROKER: 'alpaca', ALPACA_KEY_ID: KEY, ALPACA_SECRET_KEY: SECRET, ALPACA_BASE_URL: fake.restUrl, ALPACA_STREAM_URL: fake.wsUrl,
      // A killed worker's job is taken over after its lock lapses and a stalled check runs: seconds, not BullMQ's 30 s.
      WORKER_LOCK_DURATION_MS: '3000', WORKER_STALLED_INTERVAL_MS: '1000',
    };
    const orderPosts = () => fake.requests.filter((r) => r.method === 'POST' && r.path === '/v2/orders');
    const inFlight = () => orderPosts().filter((r) => r.status === null);
    const logs: string[] = [];
    const killedInFlight: string[] = []; // client order ids whose answer the killed worker never read
    const plan: number[] = [];

    for (let k = 0; k < KILLS; k++) {
      const w: WorkersProcess = startWorkersProcess(env, running);
      const before = orderPosts().length;
      const after = 1 + Math.floor(Math.random() * 4); // a random moment: after 1–4 orders of this worker
      plan.push(after);
      const end = Date.now() + 30_000;
      // Polled every few ms in this process (the fake's own): the kill lands while an answer is held back.
      while (!(orderPosts().length - before >= after && inFlight().length > 0)) {
        if (w.child.exitCode !== null) throw new Error(`worker ${k + 1} exited by itself:\n${w.output()}`);
        if (Date.now() > end) throw new Error(`worker ${k + 1} sent no order in 30 s (plan ${plan.join(',')}):\n${w.output().slice(-3000)}`);
        await new Promise((r) => setTimeout(r, 2));
      }
      const flying = inFlight().map((r) => r.clientOrderId!);
      w.child.kill('SIGKILL');
      const { signal, out } = await w.exited;
      expect(signal).toBe('SIGKILL');
      killedInFlight.push(...flying);
      logs.push(out);
    }
    expect(killedInFlight.length).toBeGreaterThanOrEqual(KILLS);

    // The last worker finishes: fresh jobs at once, the killed ones once their lock has lapsed and a stalled check runs.
    const last = startWorkersProcess(env, running);
    const finishing = Date.now();
    await until('every intent to be submitted', async () => (await p.orderIntent.count({ where: { status: 'SUBMITTED' } })) === N, FULL ? 400_000 : 100_000).catch((e: Error) => {
      throw new Error(`${e.message} (plan ${plan.join(',')}; ${N} intents)\n${last.output().slice(-4000)}`);
    });
    console.log(`[chaos] kill-execution: ${N} intents, ${KILLS} SIGKILLs (after ${plan.join(',')} orders), ${killedInFlight.length} orders in flight at a kill; the last worker finished in ${Date.now() - finishing} ms`);
    await until('the held-back answers to be sent', async () => inFlight().length === 0, 5000);
    last.child.kill('SIGTERM');
    const stopped = await last.exited;
    expect(stopped.code, stopped.out.slice(-3000)).toBe(0);

    // Our books: every intent SUBMITTED with exactly one order, under the id derived from the intent.
    const rows = await p.orderIntent.findMany({ include: { order: true } });
    expect(rows.filter((i) => i.status !== 'SUBMITTED' || !i.order)).toEqual([]);
    expect(await p.order.count()).toBe(N);
    for (const i of rows) expect(i.order!.clientOrderId).toBe(clientOrderIdFor(i.id));
    const ours = new Map(rows.map((i) => [i.order!.clientOrderId, i.order!]));

    // The broker's: exactly one order per client_order_id, none without an intent, and it is the one we recorded.
    const theirs = fake.orders();
    expect(theirs).toHaveLength(N);
    expect(new Set(theirs.map((o) => o.client_order_id)).size).toBe(N);
    for (const o of theirs) {
      expect(ours.has(o.client_order_id), `broker order ${o.client_order_id} has no intent`).toBe(true);
      expect(ours.get(o.client_order_id)!.brokerOrderId).toBe(o.id);
    }

    // Every POST either created its order (once per intent) or was a repeat refused 422 and then looked up.
    const posts = orderPosts();
    const created = posts.filter((r) => r.status === 200);
    expect(created).toHaveLength(N);
    expect(new Set(created.map((r) => r.clientOrderId)).size).toBe(N);
    const repeats = posts.filter((r) => r.status === 422);
    expect(posts.length).toBe(created.length + repeats.length);
    const repeated = new Set(repeats.map((r) => r.clientOrderId!));
    // An order whose answer died with its worker was sent again by the job's next run, and found.
    for (const cid of killedInFlight) expect(repeated.has(cid), `order ${cid} in flight at a kill was never sent again`).toBe(true);
    const lookups = fake.requests.filter((r: FakeAlpacaRequest) => r.method === 'GET' && r.path.startsWith('/v2/orders:by_client_order_id') && r.status === 200);
    for (const cid of repeated) expect(lookups.some((r) => new URL(r.path, fake.restUrl).searchParams.get('client_order_id') === cid), `no lookup after the 422 of ${cid}`).toBe(true);
    expect(logs.join('') + stopped.out).toContain('Alpaca already has this order');
  }, FULL ? 900_000 : 120_000);
});
