// `ai-trader status --detailed --account --metrics` as a process: the health check's components with what each
// verdict rests on (heartbeats per role), the broker's own account and positions valued at the last close, and the
// New York day's signals, decisions, orders and fills with every queue's depth — from real Postgres and Redis.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRuntime, type TestRuntime } from '@ai-trader/adapters/testing';
import { keys } from '@ai-trader/core';
import { runCli } from './helpers/processes.ts';

describe('ai-trader status --detailed --account --metrics', () => {
  let rt: TestRuntime;
  let env: Record<string, string>;

  beforeAll(async () => {
    rt = await createTestRuntime('statuscli');
    env = { DATABASE_URL: rt.config.DATABASE_URL, REDIS_URL: rt.config.REDIS_URL, REDIS_PREFIX: rt.config.REDIS_PREFIX, LOG_LEVEL: 'warn' };
    const p = rt.deps.prisma;
    const prefix = rt.config.REDIS_PREFIX;
    // The broker's books (the sim keeps them in Postgres): 10 SPY bought at 500, cash what is left.
    await p.simAccount.update({ where: { id: 1 }, data: { cash: '95000' } });
    await p.simPosition.create({ data: { symbol: 'SPY', qty: '10', avgCost: '500' } });
    await rt.deps.redis.hset(`${prefix}:latest:5m`, 'SPY', JSON.stringify({ ts: '2025-06-04T19:55:00Z', close: '510.25' }));
    // Today: two signals, one denied, one approved and filled; yesterday's order is not counted.
    const now = new Date();
    const sig = (min: number) => p.signal.create({ data: { strategy: 'ma-cross-5-20', symbol: 'SPY', barTs: new Date(Date.UTC(2025, 5, 4, 14, min)), side: 'BUY', price: '500', detail: {} } });
    const [s1, s2, s3] = [await sig(0), await sig(5), await sig(10)];
    await p.riskDecision.create({ data: { signalId: s1.id, outcome: 'DENIED', reasonCode: 'MAX_OPEN_ORDERS', message: 'too many' } });
    const d = await p.riskDecision.create({ data: { signalId: s2.id, outcome: 'APPROVED', message: 'ok' } });
    const i = await p.orderIntent.create({ data: { riskDecisionId: d.id, symbol: 'SPY', side: 'BUY', qty: '10', refPrice: '500', isEntry: true, status: 'SUBMITTED' } });
    const o = await p.order.create({ data: { intentId: i.id, clientOrderId: 'ait-status-1', broker: 'sim', symbol: 'SPY', side: 'BUY', qty: '10', filledQty: '10', avgFillPrice: '500', status: 'filled' } });
    await p.fill.create({ data: { executionId: 'exec-status-1', orderId: o.id, symbol: 'SPY', side: 'BUY', qty: '10', price: '500', filledAt: now } });
    const old = new Date(now.getTime() - 3 * 86_400_000);
    await p.signal.update({ where: { id: s3.id }, data: { createdAt: old } });
    // A worker process alive with two roles; one job waiting.
    const k = keys(prefix);
    await rt.deps.redis.set(k.heartbeat('risk', 'host-4242-abcd'), now.toISOString(), 'EX', 60);
    await rt.deps.redis.set(k.heartbeat('execution', 'host-4242-abcd'), now.toISOString(), 'EX', 60);
    await rt.queues.queues.get('monitor.outbox')!.add('monitor.outbox', {});
  });
  afterAll(async () => {
    await rt?.cleanup();
  });

  it('prints the components in detail, the broker account and today\'s activity; --json has the same facts', async () => {
    const [text, json] = await Promise.all([
      runCli(['status', '--detailed', '--account', '--metrics'], env),
      runCli(['status', '--detailed', '--account', '--metrics', '--json'], env),
    ]);
    expect(text.status, text.stdout + text.stderr).toBe(0);
    const out = text.stdout;
    expect(out).toMatch(/^health: degraded \(checked .+\)$/m);
    expect(out).toMatch(/^ {2}postgres {11}ok {7}query ok\n {30}round trip: [\d.]+ ms\n {30}version: [\d.]+/m);
    expect(out).toMatch(/^ {2}worker\.execution {3}ok {7}1 process\(es\), last beat \d+ s ago$/m);
    expect(out).toMatch(/^ {2}worker\.risk {8}ok {7}1 process\(es\), last beat \d+ s ago$/m);
    expect(out).toMatch(/^ {2}worker\.feed {8}degraded no process has beaten for this role in the last 15 s$/m);
    expect(out).toMatch(/^ {2}feed {15}degraded no bar received yet\n {30}running: no/m);
    expect(out).toMatch(/^ {2}broker {13}ok {7}sim broker \(simulated in our database\)$/m);
    expect(out).toMatch(/^ {2}scheduler {10}(ok|degraded) /m);
    expect(out).toMatch(/^broker account \(sim\): equity 100102\.5 \(cash \+ positions at the last closes\), cash 95000, buying power 95000$/m);
    expect(out).toMatch(/^ {2}SPY +10 @ 500 {2}last 510\.25, value 5102\.5$/m);
    expect(out).toMatch(/^today \(New York \d{4}-\d{2}-\d{2}\): 2 signal\(s\), 1 approved \/ 1 denied, 1 order\(s\) \(1 filled\), 1 fill\(s\)$/m);
    expect(out).toMatch(/^ {2}monitor\.outbox +1 +0 +0 +0$/m);
    expect(out).toMatch(/^freshness: no bar has arrived yet$/m);
    // Since the start, as the metrics endpoint counts them: the filled order accepted, the denial; no position in our books.
    expect(out).toMatch(/^since the start \(as \/api\/metrics\): 1 accepted, 0 rejected, 1 denied, 0 blocked, 0 failed; 1 fill\(s\); 0 open position\(s\); P&L 0\.00 \(realised 0\.00\); drawdown 0\.00 %; risk score 0\.00; Redis maxmemory-policy noeviction$/m);

    expect(json.status, json.stdout.slice(0, 3000) + json.stderr).toBe(0);
    const j = JSON.parse(json.stdout);
    expect(j.tradingState.state).toBe('ACTIVE');
    expect(j.health.components.find((c: { name: string }) => c.name === 'redis').facts['eviction policy']).toBe('noeviction');
    expect(j.account).toMatchObject({ broker: 'sim', cash: '95000', buyingPower: '95000', equity: '100102.5', equitySource: 'last closes', positions: [{ symbol: 'SPY', qty: '10', lastPrice: '510.25', marketValue: '5102.5' }] });
    expect(j.metrics).toMatchObject({ signals: 2, decisions: { approved: 1, denied: 1 }, orders: { total: 1, byStatus: { filled: 1 } }, fills: 1 });
    expect(j.metrics.book).toMatchObject({ orders: { accepted: 1, rejected: 0, denied: 1 }, fills: 1, positionsOpen: 0, drawdown: 0, redisEvictionPolicy: 'noeviction' });
    expect(j.metrics.queues.find((q: { name: string }) => q.name === 'monitor.outbox')).toMatchObject({ waiting: 1, active: 0 });
  });

  it('with Redis unreachable: health down naming redis (and what cannot be known without it), exit 1', async () => {
    const r = await runCli(['status', '--detailed', '--json'], { ...env, REDIS_URL: 'redis://127.0.0.1:1' });
    expect(r.status, r.stdout + r.stderr).toBe(1);
    const j = JSON.parse(r.stdout);
    const byName = Object.fromEntries(j.health.components.map((c: { name: string; status: string }) => [c.name, c.status]));
    expect(j.health).toMatchObject({ status: 'down', code: 503 });
    expect(byName).toMatchObject({ postgres: 'ok', redis: 'down', workers: 'down', feed: 'down' });
  });
});
