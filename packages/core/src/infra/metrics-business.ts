// Business metrics computed at scrape time from the shared state (Postgres, Redis, BullMQ), so every console process
// reports the same numbers and nothing is lost when a process restarts. One snapshot per scrape feeds every metric
// (prom-client calls the collect() callbacks of a scrape together). Served by the console's GET /api/metrics.
import { WORKER_ROLE_NAMES } from '@ai-trader/contracts';
import { dec, ZERO } from '@ai-trader/domain';
import client from 'prom-client';
import { readMetricsSnapshot, SCRAPE_PARTS, type MetricsSnapshot, type SnapshotDeps } from './metrics-snapshot.ts';

const STATES = ['ACTIVE', 'REDUCING', 'HALTED'] as const;

type Fill<M> = (m: M, s: MetricsSnapshot) => void;

export interface BusinessMetrics {
  registry: client.Registry;
  /** A snapshot (shared with a scrape in progress). */
  snapshot(): Promise<MetricsSnapshot>;
}

type PgPart = NonNullable<MetricsSnapshot['postgres']>;

/** Equity at the last closes (positions without a price at their average cost), open P&L and the gross exposure. */
export function valuation(pg: PgPart) {
  let unrealized = ZERO, gross = ZERO, value = ZERO;
  for (const p of pg.positions) {
    const qty = dec(p.qty), px = dec(pg.closes[p.symbol] ?? p.avgCost);
    unrealized = unrealized.plus(px.minus(p.avgCost).times(qty));
    value = value.plus(qty.times(px));
    gross = gross.plus(qty.times(px).abs());
  }
  return { unrealized, gross, equity: pg.cash === null ? null : dec(pg.cash).plus(value) };
}

export interface BookSummary {
  /** Orders since the start by submission outcome (accepted, rejected, denied, blocked, failed). */
  orders: Record<string, number>;
  fills: number;
  positionsOpen: number;
  pnlTotal: number;
  pnlRealized: number;
  equity: number | null;
  grossExposure: number;
  /** Fraction of peak equity (0.1 = 10 %) at the latest equity snapshot; 0 before the first. */
  drawdown: number;
  /** Largest share of a risk limit in use: gross exposure, open orders (working + unsent), drawdown. */
  riskScore: number;
}

/** The numbers of the trading gauges, computed once (the metrics endpoint and `ai-trader status --metrics` share them). */
export function summarizeBook(pg: PgPart, c: Pick<SnapshotDeps['config'], 'RISK_MAX_GROSS_EXPOSURE' | 'RISK_MAX_OPEN_ORDERS' | 'RISK_MAX_DRAWDOWN_PCT'>): BookSummary {
  const v = valuation(pg);
  const orders: Record<string, number> = { accepted: 0, rejected: 0, denied: 0, blocked: 0, failed: 0 };
  for (const o of pg.orders) orders[o.status] = (orders[o.status] ?? 0) + o.n;
  const drawdown = pg.snapshot && dec(pg.snapshot.peak).gt(0) ? dec(pg.snapshot.peak).minus(pg.snapshot.equity).div(pg.snapshot.peak).toNumber() : 0;
  const open = pg.working.reduce((a, o) => a + o.n, 0) + pg.pendingIntents;
  return {
    orders, fills: pg.fills.reduce((a, f) => a + f.n, 0), positionsOpen: pg.positions.length,
    pnlTotal: dec(pg.realized).plus(v.unrealized).toNumber(), pnlRealized: dec(pg.realized).toNumber(),
    equity: v.equity?.toNumber() ?? null, grossExposure: v.gross.toNumber(), drawdown,
    riskScore: Math.max(v.gross.div(c.RISK_MAX_GROSS_EXPOSURE).toNumber(), open / c.RISK_MAX_OPEN_ORDERS, (drawdown * 100) / c.RISK_MAX_DRAWDOWN_PCT, 0),
  };
}

export function createBusinessMetrics(deps: SnapshotDeps, opts: { timeoutMs?: number } = {}): BusinessMetrics {
  const registry = new client.Registry();
  const timeoutMs = opts.timeoutMs ?? 3000;
  // prom-client starts every collect() of a scrape in the same tick: they share the snapshot being read; the next
  // scrape reads a new one.
  let reading: Promise<MetricsSnapshot> | null = null;
  const warned = new Set<string>();
  const snapshot = () =>
    (reading ??= readMetricsSnapshot(deps, timeoutMs).then(warn).finally(() => {
      reading = null;
    }));
  // BullMQ needs keys never to be evicted: say so in the log once per process and policy, besides the gauge.
  const warn = (s: MetricsSnapshot) => {
    const policy = s.redis?.evictionPolicy;
    const key = policy ?? (s.redis ? 'unknown' : null);
    if (key && key !== 'noeviction' && !warned.has(key)) {
      warned.add(key);
      deps.logger.warn({ category: 'system', maxmemoryPolicy: policy ?? null },
        policy ? `Redis maxmemory-policy is ${policy}: BullMQ needs noeviction (queued jobs may be evicted)` : 'Redis maxmemory-policy could not be read (CONFIG and INFO refused): BullMQ needs noeviction');
    }
    return s;
  };
  const registers = [registry];
  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[], fill: Fill<client.Gauge<L>>) =>
    new client.Gauge({ name, help, labelNames, registers, async collect() {
      const s = await snapshot();
      this.reset();
      // prom-client gives a gauge without labels a 0 on reset; a value we could not read must be missing instead
      // (0 would read as "evicting" or "no drawdown"). hashMap is its store of values (pinned prom-client 15.1).
      if (labelNames.length === 0) (this as unknown as { hashMap: object }).hashMap = {};
      fill(this, s);
    } });
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[], fill: Fill<client.Counter<L>>) =>
    new client.Counter({ name, help, labelNames, registers, async collect() {
      const s = await snapshot();
      this.reset();
      fill(this, s);
    } });

  // Scrape health.
  gauge('ai_trader_scrape_error', 'A part of this scrape failed or was late (1); its metrics are missing from this scrape.', ['part'], (m, s) => {
    for (const part of SCRAPE_PARTS) m.set({ part }, s.errors[part] ? 1 : 0);
  });
  gauge('ai_trader_scrape_duration_seconds', 'Time each part of the scrape took.', ['part'], (m, s) => {
    for (const part of SCRAPE_PARTS) m.set({ part }, s.seconds[part]);
  });
  gauge('ai_trader_postgres_up', 'Postgres answered the scrape query in time.', [], (m, s) => m.set(s.postgres ? 1 : 0));
  gauge('ai_trader_redis_up', 'Redis answered the scrape reads in time.', [], (m, s) => m.set(s.redis ? 1 : 0));

  // Trading (Postgres).
  counter('trading_orders_total', 'Orders by submission outcome: accepted | rejected (by the broker, reason = cause), denied (by risk, reason = code), blocked (trading state), failed (broker unreachable, reason = cause).',
    ['side', 'status', 'reason'], (m, s) => {
      for (const o of s.postgres?.orders ?? []) m.inc({ side: o.side, status: o.status, reason: o.reason }, o.n);
    });
  gauge('trading_orders_working', 'Orders working at the broker, by status.', ['status'], (m, s) => {
    for (const o of s.postgres?.working ?? []) m.set({ status: o.status }, o.n);
  });
  counter('trading_orders_closed_total', 'Orders that reached an end state, by side and status: filled, canceled, expired, rejected (by the broker, at submission or after accepting).',
    ['side', 'status'], (m, s) => {
      for (const o of s.postgres?.closed ?? []) m.inc({ side: o.side, status: o.status }, o.n);
    });
  counter('trading_fills_total', 'Fills booked, by side.', ['side'], (m, s) => {
    for (const f of s.postgres?.fills ?? []) m.inc({ side: f.side }, f.n);
  });
  const book = (name: string, help: string, value: (b: BookSummary) => number | null) =>
    gauge(name, help, [], (m, s) => {
      const v = s.postgres ? value(summarizeBook(s.postgres, deps.config)) : null;
      if (v !== null) m.set(v);
    });
  book('trading_positions_open', 'Symbols with a non-zero position.', (b) => b.positionsOpen);
  book('trading_pnl_total', 'Total P&L: realised plus open P&L at the last closes (account currency).', (b) => b.pnlTotal);
  book('trading_pnl_realized', 'Realised P&L of all positions (account currency).', (b) => b.pnlRealized);
  book('trading_equity', 'Cash plus positions at the last closes (account currency).', (b) => b.equity);
  book('trading_gross_exposure', 'Sum of |position value| at the last closes.', (b) => b.grossExposure);
  book('trading_drawdown', "Drawdown from peak equity as a fraction (0.1 = 10 %), from the risk worker's latest equity snapshot; 0 before the first.", (b) => b.drawdown);
  book('trading_risk_score', 'The largest share (0–1+) of a risk limit in use: gross exposure, open orders, drawdown (1 = a limit reached).', (b) => b.riskScore);
  gauge('trading_state', 'The trading state: 1 for the current one (ACTIVE, REDUCING, HALTED), 0 for the others.', ['state'], (m, s) => {
    const now = s.postgres?.state;
    if (now) for (const state of STATES) m.set({ state }, state === now ? 1 : 0);
  });

  // Data, workers, Redis.
  gauge('market_data_age_seconds', 'Seconds since the newest bar of a symbol and timeframe arrived.', ['symbol', 'timeframe'], (m, s) => {
    for (const f of s.redis?.freshness ?? []) m.set({ symbol: f.symbol, timeframe: f.timeframe }, f.ageSeconds);
  });
  gauge('market_data_feed_running', 'A feed has marked itself running (bars are expected).', [], (m, s) => {
    if (s.redis) m.set(s.redis.feedActive ? 1 : 0);
  });
  const expectedRoles: readonly string[] = deps.config.WORKER_ROLES.includes('all') ? WORKER_ROLE_NAMES : deps.config.WORKER_ROLES;
  gauge('ai_trader_workers_alive', 'Worker processes with a live heartbeat, per expected role (WORKER_ROLES).', ['role'], (m, s) => {
    if (!s.redis) return;
    for (const role of new Set([...expectedRoles, ...Object.keys(s.redis.heartbeats)])) m.set({ role }, s.redis.heartbeats[role] ?? 0);
  });
  gauge('redis_memory_used_bytes', 'Redis used_memory.', [], (m, s) => s.redis && m.set(s.redis.usedMemory));
  gauge('redis_memory_max_bytes', 'Redis maxmemory (0 = no limit).', [], (m, s) => s.redis && m.set(s.redis.maxMemory));
  gauge('redis_eviction_policy_ok', 'Redis maxmemory-policy is noeviction, as BullMQ needs (1), or not (0); missing when it cannot be read.', [], (m, s) => {
    if (s.redis?.evictionPolicy) m.set(s.redis.evictionPolicy === 'noeviction' ? 1 : 0);
  });
  counter('latest_bars_cache_requests_total', 'Latest-close cache lookups in Redis (all processes): hit or miss (read from Postgres).', ['result'], (m, s) => {
    if (!s.redis) return;
    m.inc({ result: 'hit' }, s.redis.latestBars.hits);
    m.inc({ result: 'miss' }, s.redis.latestBars.misses);
  });

  // Queues (BullMQ).
  gauge('queue_jobs', 'BullMQ jobs per queue and state (waiting, active, delayed, failed, prioritized, waiting-children).', ['queue', 'state'], (m, s) => {
    for (const c of s.queues?.counts ?? []) m.set({ queue: c.queue, state: c.state }, c.n);
  });

  return { registry, snapshot };
}
