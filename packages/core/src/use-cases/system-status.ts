// What `ai-trader status` adds to the health check: each component in detail (--detailed), the broker's account and
// positions (--account), and the day's activity, queue depths and data freshness (--metrics).
import type { THealth } from '@ai-trader/contracts';
import { dec, decStr, etOffsetMinutes, toCents, toEt, ZERO } from '@ai-trader/domain';
import { latestCloses } from '../infra/latest-bars.ts';
import { summarizeBook, type BookSummary } from '../infra/metrics-business.ts';
import { readMetricsSnapshot } from '../infra/metrics-snapshot.ts';
import { keys } from '../infra/redis.ts';
import type { BrokerAccount, Deps } from '../ports.ts';
import { checkHealth } from './check-health.ts';
import { readFreshness, type SymbolFreshness } from './freshness.ts';
import { listQueues, type QueueSummary } from './jobs-view.ts';

type Status = THealth['components'][string]['status'];

export interface ComponentDetail {
  name: string;
  status: Status;
  detail: string;
  /** Measured facts, one line each when printed (label → value). */
  facts: Record<string, string>;
}

export interface DetailedHealth {
  status: THealth['status'];
  code: THealth['code'];
  checkedAt: string;
  components: ComponentDetail[];
}

const ms = (t0: number) => `${(performance.now() - t0).toFixed(1)} ms`;
const settle = async <T>(p: Promise<T>): Promise<T | Error> => p.catch((e: unknown) => (e instanceof Error ? e : new Error(String(e))));

/** The health check's components (same verdicts), each with what was measured to reach it. */
export async function detailedHealth(deps: Pick<Deps, 'prisma' | 'redis' | 'config' | 'clock' | 'pool'> & Partial<Pick<Deps, 'broker' | 'jobs'>>): Promise<DetailedHealth> {
  const health = await checkHealth(deps);
  const k = keys(deps.config.REDIS_PREFIX);
  const facts: Record<string, Record<string, string>> = { postgres: {}, redis: {}, feed: {} };

  if (health.components.postgres?.status !== 'down') {
    const t0 = performance.now();
    const r = await settle(deps.pool.query<{ version: string; size: string; conns: string; max: string }>(
      `SELECT current_setting('server_version') AS version, pg_size_pretty(pg_database_size(current_database())) AS size,
              (SELECT count(*) FROM pg_stat_activity WHERE datname = current_database())::text AS conns,
              current_setting('max_connections') AS max`,
    ));
    if (!(r instanceof Error)) {
      const row = r.rows[0]!;
      Object.assign(facts.postgres!, { 'round trip': ms(t0), version: row.version, 'database size': row.size, connections: `${row.conns} of max ${row.max}` });
    } else facts.postgres!.error = r.message;
  }
  if (health.components.redis?.status !== 'down') {
    const t0 = performance.now();
    const info = await settle(deps.redis.info());
    if (!(info instanceof Error)) {
      const field = (name: string) => new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim() ?? '?';
      Object.assign(facts.redis!, {
        'round trip': ms(t0), version: field('redis_version'), 'used memory': field('used_memory_human'),
        'eviction policy': field('maxmemory_policy'), clients: field('connected_clients'),
      });
    }
    const fresh = await settle(Promise.all([readFreshness(deps, '1m'), readFreshness(deps, '5m')]));
    if (!(fresh instanceof Error))
      for (const f of fresh.flat()) facts.feed![`${f.symbol} ${f.timeframe}`] = `last bar ${f.lastBarTs}, ${f.ageSeconds} s ago${f.stale ? ' (STALE)' : ''}`;
    const active = await settle(deps.redis.get(k.feedActive));
    if (typeof active === 'string') facts.feed!.running = `since ${active}`;
    else if (active === null) facts.feed!.running = 'no (no feed has marked itself running)';
  }
  return {
    status: health.status,
    code: health.code,
    checkedAt: health.checkedAt,
    components: Object.entries(health.components).map(([name, c]) => ({ name, status: c.status, detail: c.detail, facts: facts[name] ?? {} })),
  };
}

export interface AccountPosition {
  symbol: string;
  qty: string;
  avgEntryPrice: string | null;
  lastPrice: string | null;
  marketValue: string | null;
}

export interface BrokerAccountView {
  broker: string;
  cash: string;
  buyingPower: string;
  /** The broker's own figure, or (a broker that does not value the account) cash plus positions at the last closes. */
  equity: string;
  equitySource: 'broker' | 'last closes';
  status: string | null;
  blocked: string[];
  positions: AccountPosition[];
}

export class AccountUnavailableError extends Error {}

/** The broker's account and positions, as the broker reports them (not our books: reconciliation compares the two). */
export async function brokerAccount(deps: Pick<Deps, 'broker' | 'redis' | 'pool' | 'config'>): Promise<BrokerAccountView> {
  const { broker } = deps;
  if (!broker.account || !broker.positions) throw new AccountUnavailableError(`the ${broker.name} broker does not report an account`);
  const [account, positions] = await Promise.all([broker.account(), broker.positions()]);
  const held = positions.filter((p) => !dec(p.qty).isZero());
  const last = await latestCloses(deps, held.map((p) => p.symbol), '5m');
  let value = ZERO;
  const rows = held.map((p) => {
    const px = last.get(p.symbol) ?? null;
    const mv = px ? dec(p.qty).times(px) : null;
    if (mv) value = value.plus(mv);
    return { symbol: p.symbol, qty: p.qty, avgEntryPrice: p.avgEntryPrice ?? null, lastPrice: px, marketValue: mv ? decStr(toCents(mv)) : null };
  });
  const own = (a: BrokerAccount) => a.equity;
  return {
    broker: broker.name,
    cash: account.cash,
    buyingPower: account.buyingPower,
    equity: own(account) ?? decStr(toCents(dec(account.cash).plus(value))),
    equitySource: own(account) ? 'broker' : 'last closes',
    status: account.status ?? null,
    blocked: [account.tradingBlocked && 'trading blocked', account.accountBlocked && 'account blocked', account.tradeSuspendedByUser && 'trading suspended by the user'].filter((x): x is string => !!x),
    positions: rows,
  };
}

export interface TradingMetrics {
  /** The New York trading day the counts cover, and its start in UTC. */
  day: string;
  since: string;
  signals: number;
  decisions: { approved: number; denied: number };
  orders: { total: number; byStatus: Record<string, number> };
  fills: number;
  queues: Pick<QueueSummary, 'name' | 'waiting' | 'active' | 'delayed' | 'failed' | 'paused'>[];
  freshness: { symbols: number; stale: string[]; oldestAgeSeconds: number | null; newest: SymbolFreshness | null };
  /** Since the start, the numbers GET /api/metrics reports (null: Postgres did not answer within 5 s). */
  book: (BookSummary & { redisEvictionPolicy: string | null }) | null;
}

/** New York midnight of the day `now` falls on, as a UTC instant. */
export function newYorkDayStart(now: Date): { day: string; start: Date } {
  const day = toEt(now).date;
  const utc = Date.parse(`${day}T00:00:00Z`);
  return { day, start: new Date(utc - etOffsetMinutes(utc + 5 * 3_600_000) * 60_000) };
}

/** Today's (New York) signals, decisions, orders and fills; every queue's depth; how fresh the bars are. */
export async function tradingMetrics(deps: Pick<Deps, 'pool' | 'jobs' | 'clock' | 'redis' | 'config' | 'logger'>): Promise<TradingMetrics> {
  const { day, start } = newYorkDayStart(deps.clock.now());
  const snapshot = readMetricsSnapshot(deps, 5000); // read beside today's counts
  const [counts, orders, queues, f1, f5] = await Promise.all([
    deps.pool.query<{ signals: string; approved: string; denied: string; fills: string }>(
      `SELECT (SELECT count(*) FROM signals WHERE "createdAt" >= $1)::text AS signals,
              (SELECT count(*) FROM risk_decisions WHERE "createdAt" >= $1 AND outcome = 'APPROVED')::text AS approved,
              (SELECT count(*) FROM risk_decisions WHERE "createdAt" >= $1 AND outcome = 'DENIED')::text AS denied,
              (SELECT count(*) FROM fills WHERE "filledAt" >= $1)::text AS fills`, [start]),
    deps.pool.query<{ status: string; n: string }>(`SELECT status::text, count(*)::text AS n FROM orders WHERE "createdAt" >= $1 GROUP BY status ORDER BY status`, [start]),
    listQueues(deps),
    readFreshness(deps, '1m'),
    readFreshness(deps, '5m'),
  ]);
  const c = counts.rows[0]!;
  const byStatus = Object.fromEntries(orders.rows.map((r) => [r.status, Number(r.n)]));
  const fresh = [...f1, ...f5];
  const newest = fresh.reduce<SymbolFreshness | null>((best, f) => (!best || f.ageSeconds < best.ageSeconds ? f : best), null);
  const snap = await snapshot;
  return {
    day, since: start.toISOString(),
    signals: Number(c.signals),
    decisions: { approved: Number(c.approved), denied: Number(c.denied) },
    orders: { total: Object.values(byStatus).reduce((a, b) => a + b, 0), byStatus },
    fills: Number(c.fills),
    queues: queues.queues.map(({ name, waiting, active, delayed, failed, paused }) => ({ name, waiting, active, delayed, failed, paused })),
    freshness: {
      symbols: fresh.length,
      stale: fresh.filter((f) => f.stale).map((f) => `${f.symbol} ${f.timeframe}`),
      oldestAgeSeconds: fresh.length ? Math.max(...fresh.map((f) => f.ageSeconds)) : null,
      newest,
    },
    book: snap.postgres ? { ...summarizeBook(snap.postgres, deps.config), redisEvictionPolicy: snap.redis?.evictionPolicy ?? null } : null,
  };
}
