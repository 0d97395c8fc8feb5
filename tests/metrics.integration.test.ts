// GET /api/metrics and the workers' endpoint, scraped for real while orders flow through the real pipeline: the text
// parses (promtool check metrics), the business counters and the per-process histograms move with the orders, and a
// failing part of a scrape is a scrape-error gauge, not a 500.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createTestRuntime, maCrossStrategy, type TestRuntime } from '@ai-trader/adapters/testing';
import { consoleMetricsResponse, haltTrading, processMetrics, seedStrategies } from '@ai-trader/core';
import { createPgPool } from '@ai-trader/db';
import { Redis } from 'ioredis';
import { startPipeline } from '../workers/src/pipeline.ts';
import { startWorkersMetrics } from '../workers/src/metrics-server.ts';
import { offeredNames, parseMetrics, promqlMetricNames, promtool, total } from './helpers/prometheus.ts';

const SLICE = { FEED: 'replay', REPLAY_SYMBOLS: 'SPY,QQQ', REPLAY_START: '2025-06-04', REPLAY_END: '2025-06-05', REPLAY_PACING: 'lockstep' };
const ROLES = ['feed', 'ingest', 'scoring', 'risk', 'execution', 'broker', 'portfolio'] as const;
const admin = { id: 'u-metrics', email: 'ops@example.com', role: 'admin' as const };
const ops = path.resolve(import.meta.dirname, '../ops');

/** Every PromQL expression of the alert rules and the Grafana dashboard, with where it comes from. */
function opsExpressions(): { where: string; expr: string }[] {
  const alerts = parse(fs.readFileSync(path.join(ops, 'alerts.yml'), 'utf8')) as { groups: { rules: { alert: string; expr: string }[] }[] };
  const dash = JSON.parse(fs.readFileSync(path.join(ops, 'grafana/dashboards/ai-trader.json'), 'utf8')) as { panels: { title: string; targets?: { expr: string }[] }[] };
  return [
    ...alerts.groups.flatMap((g) => g.rules.map((r) => ({ where: `alert ${r.alert}`, expr: r.expr }))),
    ...dash.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ where: `panel "${p.title}"`, expr: t.expr }))),
  ];
}

async function scrapeConsole(deps: TestRuntime['deps'], headers: Record<string, string> = {}) {
  const res = await consoleMetricsResponse(new Request('http://127.0.0.1:3000/api/metrics', { headers }), deps);
  return { status: res.status, text: await res.text(), type: res.headers.get('content-type') };
}

// Gauges whose names end in _total although they are not counters: prom-client's own (Node's handles, requests and
// resources) and trading_pnl_total, named so by the issue. promtool lints them; nothing else may be reported.
const KNOWN_LINT = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total', 'trading_pnl_total']
  .map((n) => `${n} non-counter metrics should not have "_total" suffix`);

/** promtool check metrics: the text parses and has no lint problem besides the known ones. */
function checkMetrics(text: string) {
  const r = promtool(['check', 'metrics'], { input: text });
  const problems = r.out.split('\n').filter((l) => l.trim() && !KNOWN_LINT.includes(l.trim()));
  expect(problems).toEqual([]);
  expect(r.out).not.toMatch(/error/i);
}

describe('metrics while orders flow', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await createTestRuntime('metrics', SLICE);
    await seedStrategies(rt.deps, [maCrossStrategy(['SPY', 'QQQ'])]);
  });
  afterAll(async () => rt?.cleanup());

  it('counts orders, fills, latencies and job durations as the replay trades, and both scrapes pass promtool', async () => {
    const before = await scrapeConsole(rt.deps);
    expect(before.status).toBe(200);
    expect(before.type).toMatch(/^text\/plain; version=0\.0\.4/);
    checkMetrics(before.text);
    const b = parseMetrics(before.text);
    expect(total(b, 'trading_orders_total')).toBe(0);
    expect(total(b, 'trading_fills_total')).toBe(0);
    expect(total(b, 'trading_state', { state: 'ACTIVE' })).toBe(1);
    expect(total(b, 'ai_trader_postgres_up')).toBe(1);
    expect(total(b, 'ai_trader_scrape_error')).toBe(0);
    const latencyBefore = await processMetrics().orderLatency.get();
    const countOf = (v: typeof latencyBefore, stage: string) => v.values.find((x) => x.metricName === 'trading_order_latency_seconds_count' && x.labels.stage === stage)?.value ?? 0;
    // This process's job counts so far (other test files may have run in it before: vitest reuses its workers).
    const jobsBefore = await processMetrics().jobDuration.get();
    const jobsOf = (queue: string) => jobsBefore.values.find((x) => x.metricName === 'queue_job_duration_seconds_count' && x.labels.queue === queue && x.labels.outcome === 'completed')?.value ?? 0;

    const server = await startWorkersMetrics(rt, [...ROLES], { port: 0 });
    try {
      const pipeline = await startPipeline(rt, [...ROLES]);
      expect(await pipeline.feedDone).toBe(156);
      // While the workers run: a live heartbeat per role they run, 0 for an expected role nobody runs.
      const running = parseMetrics((await scrapeConsole(rt.deps)).text);
      expect(total(running, 'ai_trader_workers_alive', { role: 'risk' })).toBe(1);
      expect(total(running, 'ai_trader_workers_alive', { role: 'backfill' })).toBe(0);
      expect(total(running, 'market_data_feed_running')).toBe(0); // the replay has played everything: its mark is cleared
      await pipeline.close();

      const after = await scrapeConsole(rt.deps);
      checkMetrics(after.text);
      const a = parseMetrics(after.text);
      // The pipeline test's slice: 10 orders accepted (5 BUY, 5 SELL), 2 SELLs denied without a position, 10 fills.
      expect(total(a, 'trading_orders_total', { status: 'accepted' })).toBe(10);
      expect(total(a, 'trading_orders_total', { status: 'accepted', side: 'BUY' })).toBe(5);
      expect(total(a, 'trading_orders_total', { status: 'denied', side: 'SELL', reason: 'NO_POSITION_TO_EXIT' })).toBe(2);
      expect(total(a, 'trading_fills_total')).toBe(10);
      expect(total(a, 'trading_orders_closed_total', { status: 'filled' })).toBe(10);
      expect(total(a, 'trading_orders_closed_total', { status: 'rejected' })).toBe(0);
      expect(total(a, 'trading_positions_open')).toBe(0);
      expect(total(a, 'trading_pnl_realized')).toBeCloseTo(28.6, 6);
      expect(total(a, 'trading_pnl_total')).toBeCloseTo(28.6, 6);
      expect(total(a, 'trading_equity')).toBeCloseTo(100_028.6, 6);
      expect(a.filter((s) => s.name === 'market_data_age_seconds').map((s) => `${s.labels.symbol} ${s.labels.timeframe}`).sort()).toEqual(['QQQ 5m', 'SPY 5m']);
      expect(total(a, 'queue_jobs', { queue: 'ingest.bars', state: 'waiting' })).toBe(0);
      expect(a.some((s) => s.name === 'queue_jobs' && s.labels.queue === 'portfolio.apply')).toBe(true);
      expect(total(a, 'redis_eviction_policy_ok')).toBe(1); // the test Redis runs with noeviction, as BullMQ needs
      expect(total(a, 'redis_memory_used_bytes')).toBeGreaterThan(0);
      expect(total(a, 'db_pool_connections', { state: 'max' })).toBeGreaterThan(0);

      // The workers' endpoint: this process's histograms, with its roles as a label.
      const res = await fetch(`http://127.0.0.1:${server!.port}/metrics`);
      expect(res.status).toBe(200);
      const wtext = await res.text();
      checkMetrics(wtext);
      const w = parseMetrics(wtext);
      // Every metric of a process carries its role (the first caller's: here the console's scrape, unless an earlier
      // test file in this process set it).
      const roles = new Set(w.filter((s) => s.name === 'queue_job_duration_seconds_count').map((s) => s.labels.role));
      expect(roles.size).toBe(1);
      expect([...roles][0]).toMatch(/^[a-z,]+$/);
      expect(total(w, 'queue_job_duration_seconds_count', { queue: 'ingest.bars', outcome: 'completed' }) - jobsOf('ingest.bars')).toBe(312); // 156 bar times × 2 symbols
      expect(total(w, 'queue_job_duration_seconds_count', { queue: 'portfolio.apply', outcome: 'completed' }) - jobsOf('portfolio.apply')).toBe(10);
      expect(total(w, 'trading_order_latency_seconds_count', { stage: 'signal_to_ack' }) - countOf(latencyBefore, 'signal_to_ack')).toBe(10);
      expect(total(w, 'trading_order_latency_seconds_count', { stage: 'ack_to_fill' }) - countOf(latencyBefore, 'ack_to_fill')).toBe(10);
      expect(w.some((s) => s.name === 'nodejs_eventloop_lag_seconds')).toBe(true);
      expect(w.some((s) => s.name === 'process_resident_memory_bytes')).toBe(true);
      expect((await fetch(`http://127.0.0.1:${server!.port}/other`)).status).toBe(404);

      // Every metric the alerts and the dashboard read is offered by one of the two scrapes (`up` is Prometheus's own).
      const offered = new Set([...offeredNames(after.text), ...offeredNames(wtext), 'up']);
      const exprs = opsExpressions();
      expect(exprs.length).toBeGreaterThan(30);
      const missing = exprs.flatMap(({ where, expr }) => promqlMetricNames(expr).filter((n) => !offered.has(n)).map((n) => `${where}: ${n}`));
      expect(missing).toEqual([]);
    } finally {
      await server?.close();
    }

    await haltTrading(rt.deps, { actor: admin, reason: 'metrics test' });
    const halted = parseMetrics((await scrapeConsole(rt.deps)).text);
    expect(total(halted, 'trading_state', { state: 'HALTED' })).toBe(1);
    expect(total(halted, 'trading_state', { state: 'ACTIVE' })).toBe(0);
    // Counters never go back: the same numbers after the halt.
    expect(total(halted, 'trading_orders_total', { status: 'accepted' })).toBe(10);
  }, 120_000);

  it('reports a part that fails as a scrape error and still answers 200', async () => {
    const deadRedis = new Redis('redis://127.0.0.1:1', { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
    deadRedis.on('error', () => undefined);
    const deadPool = createPgPool('postgresql://postgres@127.0.0.1:1/nothing', { name: 'metrics-dead', max: 1, acquireTimeoutMs: 500 });
    try {
      const r = await scrapeConsole({ ...rt.deps, redis: deadRedis, pool: deadPool });
      expect(r.status).toBe(200);
      const s = parseMetrics(r.text);
      expect(total(s, 'ai_trader_scrape_error', { part: 'postgres' })).toBe(1);
      expect(total(s, 'ai_trader_scrape_error', { part: 'redis' })).toBe(1);
      expect(total(s, 'ai_trader_scrape_error', { part: 'queues' })).toBe(0);
      expect(total(s, 'ai_trader_postgres_up')).toBe(0);
      expect(total(s, 'ai_trader_redis_up')).toBe(0);
      expect(s.some((x) => x.name === 'trading_orders_total')).toBe(false);
      expect(s.some((x) => x.name === 'redis_eviction_policy_ok')).toBe(false);
    } finally {
      deadRedis.disconnect();
      await deadPool.end();
    }
  });

  it('reports a part that is late (METRICS_SCRAPE_TIMEOUT_MS) as a scrape error, and the next scrape reads again', async () => {
    const deps = { ...rt.deps, config: { ...rt.config, METRICS_SCRAPE_TIMEOUT_MS: 300 } };
    const locker = await rt.deps.pool.connect();
    try {
      // A migration-like lock: the scrape's read of orders waits behind it.
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE orders IN ACCESS EXCLUSIVE MODE');
      const r = await scrapeConsole(deps);
      expect(r.status).toBe(200);
      const s = parseMetrics(r.text);
      expect(total(s, 'ai_trader_scrape_error', { part: 'postgres' })).toBe(1);
      expect(total(s, 'ai_trader_scrape_error', { part: 'redis' })).toBe(0);
      expect(s.some((x) => x.name === 'trading_orders_total')).toBe(false);
      expect(s.some((x) => x.name === 'queue_jobs')).toBe(true);
    } finally {
      await locker.query('ROLLBACK');
      locker.release();
    }
    const again = parseMetrics((await scrapeConsole(deps)).text);
    expect(total(again, 'ai_trader_scrape_error', { part: 'postgres' })).toBe(0);
    expect(total(again, 'trading_orders_total', { status: 'accepted' })).toBe(10);
  });

  it('asks for the bearer token when METRICS_TOKEN is set, on the console route and the workers endpoint', async () => {
    const token = 'metrics-token-for-tests-0123456789';
    const deps = { ...rt.deps, config: { ...rt.config, METRICS_TOKEN: token } };
    expect((await scrapeConsole(deps)).status).toBe(401);
    expect((await scrapeConsole(deps, { authorization: 'Bearer wrong-token-wrong-token' })).status).toBe(401);
    expect((await scrapeConsole(deps, { authorization: `Bearer ${token}` })).status).toBe(200);
    // Without a token: loopback only, and never in production.
    expect((await scrapeConsole(rt.deps, { 'x-forwarded-for': '10.1.2.3' })).status).toBe(403);
    expect((await scrapeConsole({ ...rt.deps, config: { ...rt.config, NODE_ENV: 'production' } })).status).toBe(403);

    const server = await startWorkersMetrics({ ...rt, deps }, ['risk'], { port: 0 });
    try {
      // A second process asking for the same port is told so, by name.
      await expect(startWorkersMetrics(rt, ['risk'], { port: server!.port })).rejects.toThrow(`metrics port ${server!.port} is already in use`);
      const url = `http://127.0.0.1:${server!.port}/metrics`;
      expect((await fetch(url)).status).toBe(401);
      const ok = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
      expect(ok.status).toBe(200);
      expect(await ok.text()).not.toContain(token);
    } finally {
      await server?.close();
    }
  });
});
