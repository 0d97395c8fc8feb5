// `ai-trader validate --component X | --all`: one real check per component, each ok, warn (works, but look at it)
// or fail (broken: exit 1). Recovery (`recover system`, `recover --from-backup`) ends with all of them.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { TApiProvider } from '@ai-trader/contracts';
import { checkMigrations, existingPartitions, PARTITIONED_TABLES, partitionsBetween } from '@ai-trader/db';
import { secretBoxFromConfig } from '../infra/secret-box.ts';
import type { Deps } from '../ports.ts';
import { activeCredentials, openKey, PROVIDER_NAME } from './api-keys.ts';
import { verifyAuditChain } from './audit-chain.ts';
import { feedSilence } from './breakers.ts';
import { readFreshness } from './freshness.ts';
import { expectedFeedSymbols } from './monitor-freshness.ts';
import { validateDataPipeline } from './validate-stored.ts';

export const SYSTEM_COMPONENTS = ['config', 'database', 'redis', 'broker', 'feed', 'partitions', 'audit-chain', 'data_pipeline'] as const;
export type SystemComponent = (typeof SYSTEM_COMPONENTS)[number];

export interface ComponentCheck {
  component: SystemComponent;
  status: 'ok' | 'warn' | 'fail';
  /** One line: what was found. */
  summary: string;
  /** Further lines worth reading (problems first). */
  lines: string[];
  durationMs: number;
}

export interface SystemValidation {
  ok: boolean;
  checkedAt: string;
  checks: ComponentCheck[];
}

export class UnknownComponentError extends Error {
  constructor(name: string) {
    super(`--component ${name}: known components: ${SYSTEM_COMPONENTS.join(', ')}`);
  }
}

/** The partitions that must exist ahead of today: the daily job keeps 30 days; fewer than this is a failure. */
export const PARTITIONS_MIN_DAYS_AHEAD = 7;

type Verdict = Omit<ComponentCheck, 'component' | 'durationMs'>;
const ok = (summary: string, lines: string[] = []): Verdict => ({ status: 'ok', summary, lines });
const warn = (summary: string, lines: string[] = []): Verdict => ({ status: 'warn', summary, lines });
const fail = (summary: string, lines: string[] = []): Verdict => ({ status: 'fail', summary, lines });
const firstLine = (e: unknown) => (e instanceof Error ? e.message : String(e)).trim().split('\n').at(-1)!;

async function checkConfig(deps: Deps): Promise<Verdict> {
  const c = deps.config;
  const problems: string[] = [], notes: string[] = [];
  // What parseConfig cannot see: files, and keys that exist only in the database.
  // Without Polygon, history (backfills) comes from the replay files too; the replay feed cannot run without them.
  if (c.FEED !== 'polygon') {
    const dir = path.join(c.REPLAY_DATA_DIR, 'bars', '5m');
    if (!existsSync(dir)) (c.FEED === 'replay' ? problems : notes).push(`REPLAY_DATA_DIR=${c.REPLAY_DATA_DIR} has no bars/5m folder`);
    else if (c.FEED === 'replay') {
      const files = new Set(readdirSync(dir));
      const missing = c.REPLAY_SYMBOLS.filter((s) => !files.has(`${s}.csv`));
      if (missing.length) problems.push(`REPLAY_SYMBOLS without replay data in ${dir}: ${missing.join(', ')}`);
    }
  }
  const needed: TApiProvider[] = [...(c.BROKER === 'alpaca' ? ['alpaca' as const] : []), ...(c.FEED === 'polygon' ? ['polygon' as const] : [])];
  for (const p of needed) {
    try {
      const creds = await activeCredentials(deps, p);
      if (!creds) problems.push(`${p === 'alpaca' ? 'BROKER=alpaca' : 'FEED=polygon'} but no ${PROVIDER_NAME[p]} key (stored active key or environment)`);
      else notes.push(`${PROVIDER_NAME[p]} key ${creds.masked} (${creds.source})`);
    } catch (e) {
      problems.push(firstLine(e));
    }
  }
  // Every stored key that may be used again (active, pending, disabled for rollback) must open with these keys.
  const stored = await deps.prisma.apiKey.findMany({ where: { status: { in: ['active', 'pending', 'disabled'] } } });
  if (stored.length) {
    const box = secretBoxFromConfig(c);
    if (!box) problems.push(`${stored.length} API key(s) stored encrypted, but KEYS_ENCRYPTION_KEYS is not set`);
    else
      for (const row of stored) {
        try {
          openKey(box, row);
        } catch {
          problems.push(`stored ${row.provider} key ${row.masked} (${row.status}) does not open with KEYS_ENCRYPTION_KEYS (sealed with entry '${row.encKeyId}')`);
        }
      }
  }
  if (c.BROKER === 'alpaca') notes.push(`ALPACA_BASE_URL ${c.ALPACA_BASE_URL}${new URL(c.ALPACA_BASE_URL).hostname === 'api.alpaca.markets' ? ' (LIVE: real money)' : ''}`);
  const summary = `BROKER=${c.BROKER}, FEED=${c.FEED}, WORKER_ROLES=${c.WORKER_ROLES.join(',')}`;
  return problems.length ? fail(`${summary}: ${problems.length} problem(s)`, [...problems, ...notes]) : ok(summary, notes);
}

async function checkDatabase(deps: Deps): Promise<Verdict> {
  const t0 = performance.now();
  const { rows } = await deps.pool.query<{ version: string; db: string }>(`SELECT current_setting('server_version') AS version, current_database() AS db`);
  const rtt = `${(performance.now() - t0).toFixed(0)} ms`;
  const m = await checkMigrations(deps.pool);
  const problems = [
    ...m.failed.map((n) => `migration ${n} started and never finished: resolve it by hand (see packages/db/src/migrate/README.md)`),
    ...m.pending.map((n) => `migration ${n} not applied: run npm run db:migrate`),
    ...m.edited.map((n) => `migration ${n} was changed after it was applied`),
  ];
  const [state, account] = await Promise.all([
    deps.prisma.tradingStateRow.findUnique({ where: { id: 1 } }),
    deps.prisma.portfolioAccount.findUnique({ where: { id: 1 } }),
  ]);
  if (!state) problems.push('the trading_state row is missing (bootstrapped at workers start-up)');
  if (!account) problems.push('the portfolio_account row is missing (bootstrapped at workers start-up)');
  const summary = `Postgres ${rows[0]!.version}, database ${rows[0]!.db}, ${rtt}; ${m.applied} migration(s) applied`;
  if (problems.length) return fail(`${summary}; ${problems.length} problem(s)`, problems);
  return m.unknown.length ? warn(`${summary}; ${m.unknown.length} unknown to this release`, m.unknown.map((n) => `applied here but not in prisma/migrations: ${n}`)) : ok(summary);
}

async function checkRedis(deps: Deps): Promise<Verdict> {
  const t0 = performance.now();
  // A round trip that writes: a read-only replica or a full instance fails here, not in the middle of an order.
  const probe = `${deps.config.REDIS_PREFIX}:validate:probe`;
  const token = String(Math.random());
  await deps.redis.set(probe, token, 'EX', 10);
  const back = await deps.redis.get(probe);
  await deps.redis.del(probe);
  if (back !== token) return fail('a value written to Redis did not read back');
  const rtt = `${(performance.now() - t0).toFixed(0)} ms`;
  const info = await deps.redis.info();
  const field = (name: string) => new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim() ?? null;
  const summary = `Redis ${field('redis_version') ?? '?'}, write+read ${rtt}, ${field('used_memory_human') ?? '?'} used`;
  // BullMQ needs noeviction: under memory pressure another policy silently drops jobs (an order among them).
  const policy = await deps.redis.config('GET', 'maxmemory-policy').then((r) => (r as string[])[1] ?? null, () => null);
  if (policy === null) return warn(`${summary}; maxmemory-policy unknown (CONFIG GET refused)`, ['BullMQ needs maxmemory-policy noeviction']);
  if (policy !== 'noeviction') return fail(`${summary}; maxmemory-policy ${policy}`, ['BullMQ needs maxmemory-policy noeviction: with another policy Redis may evict queued jobs']);
  return ok(`${summary}; maxmemory-policy noeviction`);
}

async function checkBroker(deps: Deps): Promise<Verdict> {
  const b = deps.broker;
  const lines: string[] = [];
  if (!b.account) return warn(`${b.name}: does not report an account`);
  const account = await b.account();
  const open = await b.listOpenOrders();
  lines.push(`cash ${account.cash}, buying power ${account.buyingPower}${account.equity ? `, equity ${account.equity}` : ''}; ${open.length} open order(s)`);
  if (b.marketClock) {
    const clock = await b.marketClock();
    lines.push(`market ${clock.isOpen ? 'open' : 'closed'}${clock.isOpen ? `, closes ${clock.nextClose}` : `, opens ${clock.nextOpen}`}`);
  }
  const blocked = [account.accountBlocked && 'the account is blocked', account.tradingBlocked && 'trading is blocked'].filter((x): x is string => !!x);
  const suspended = account.tradeSuspendedByUser || (await b.isTradingSuspended?.().catch(() => false));
  const summary = `${b.name}: reachable${account.status ? `, account ${account.status}` : ''}`;
  if (blocked.length) return fail(`${summary}; ${blocked.join(', ')}`, lines);
  if (suspended) return warn(`${summary}; trading suspended at the broker (emergency suspend): new orders are refused there`, lines);
  return ok(summary, lines);
}

async function checkFeed(deps: Deps): Promise<Verdict> {
  const now = deps.clock.now();
  const silence = await feedSilence(deps, now);
  const fresh = await readFreshness(deps, '5m', expectedFeedSymbols(deps.config));
  const stale = fresh.filter((f) => f.stale);
  const lines = fresh.map((f) => `${f.symbol} 5m: last bar ${f.lastBarTs}, arrived ${f.ageSeconds} s ago${f.stale ? ' (STALE)' : ''}`);
  const limit = deps.config.STALE_AFTER_SECONDS;
  if (!silence.expected) return warn(`${deps.config.FEED}: ${silence.why}`, lines);
  if (silence.silentSeconds > limit) return fail(`${deps.config.FEED}: running, but no bar for ${silence.silentSeconds} s (stale after ${limit} s)`, lines);
  if (stale.length) return warn(`${deps.config.FEED}: running; ${stale.length} symbol(s) stale: ${stale.map((f) => f.symbol).join(', ')}`, lines);
  return ok(`${deps.config.FEED}: running, last bar ${silence.silentSeconds} s ago`, lines);
}

async function checkPartitions(deps: Deps): Promise<Verdict> {
  const now = deps.clock.now();
  const until = new Date(now.getTime() + PARTITIONS_MIN_DAYS_AHEAD * 86_400_000);
  const missing: string[] = [], waiting: string[] = [];
  let present = 0;
  for (const table of PARTITIONED_TABLES) {
    const have = await existingPartitions(deps.pool, table);
    present += have.size;
    for (const p of partitionsBetween(table, now, until)) if (!have.has(p.name)) missing.push(p.name);
    // Rows in DEFAULT are waiting for their dated partition: correct, but slower to query and to move later.
    const { rows } = await deps.pool.query<{ n: string }>(`SELECT count(*)::text AS n FROM "${table}_default"`);
    if (Number(rows[0]!.n)) waiting.push(`${table}_default holds ${rows[0]!.n} row(s) waiting for their dated partition (ai-trader db partitions --from <date>)`);
  }
  const summary = `${present} partition(s) of ${PARTITIONED_TABLES.length} tables`;
  if (missing.length) return fail(`${summary}; missing for the next ${PARTITIONS_MIN_DAYS_AHEAD} days: ${missing.join(', ')} (ai-trader db partitions --days-ahead 30)`, waiting);
  return waiting.length ? warn(`${summary}, covering the next ${PARTITIONS_MIN_DAYS_AHEAD} days; rows waiting in DEFAULT`, waiting) : ok(`${summary}, covering the next ${PARTITIONS_MIN_DAYS_AHEAD} days`);
}

async function checkAuditChain(deps: Deps): Promise<Verdict> {
  const v = await verifyAuditChain(deps, { verifiedBy: 'validate' });
  const head = v.head ? `head seq ${v.head.seq} hash ${v.head.hash}` : 'no rows yet';
  if (!v.intact) return fail(`${v.breakCount} break(s) in ${v.rows} rows (ai-trader audit verify for the list)`, v.breaks.slice(0, 5).map((b) => `seq ${b.seq}: ${b.kind}: ${b.detail}`));
  return ok(`intact: ${v.rows} rows, every hash recomputed; ${head}`);
}

async function checkDataPipeline(deps: Deps): Promise<Verdict> {
  const h = await validateDataPipeline(deps);
  const lines = [
    ...h.freshness.filter((f) => f.stale).map((f) => `${f.symbol} ${f.timeframe}: last bar arrived ${f.ageSeconds} s ago (STALE)`),
    ...h.failedBackfills.map((r) => `failed backfill ${r.id} (${r.createdAt}): ${r.error}`),
    ...(h.quarantinedLastDay.length ? [`quarantined in the last 24 h: ${h.quarantinedLastDay.map((q) => `${q.kind} ${q.count}`).join(', ')}`] : []),
  ];
  const summary = `${h.freshness.length} series with data, ${h.freshness.filter((f) => f.stale).length} stale, ${h.failedBackfills.length} failed backfill(s) in 24 h`;
  if (!h.freshness.length) return fail('no bar has arrived yet', lines);
  return h.ok ? ok(summary, lines) : fail(summary, lines);
}

const CHECKS: Record<SystemComponent, (deps: Deps) => Promise<Verdict>> = {
  config: checkConfig, database: checkDatabase, redis: checkRedis, broker: checkBroker, feed: checkFeed,
  partitions: checkPartitions, 'audit-chain': checkAuditChain, data_pipeline: checkDataPipeline,
};

export function parseComponents(names: string[]): SystemComponent[] {
  for (const n of names) if (!(SYSTEM_COMPONENTS as readonly string[]).includes(n)) throw new UnknownComponentError(n);
  return names as SystemComponent[];
}

/** Runs the checks one after another (a slow one does not hide behind another); a check that throws fails. */
export async function validateSystem(deps: Deps, components: readonly SystemComponent[] = SYSTEM_COMPONENTS, onCheck?: (c: ComponentCheck) => void): Promise<SystemValidation> {
  const checks: ComponentCheck[] = [];
  for (const component of components) {
    const t0 = performance.now();
    let v: Verdict;
    try {
      v = await CHECKS[component](deps);
    } catch (e) {
      v = fail(firstLine(e));
    }
    const c = { component, ...v, durationMs: Math.round(performance.now() - t0) };
    checks.push(c);
    onCheck?.(c);
  }
  return { ok: checks.every((c) => c.status !== 'fail'), checkedAt: deps.clock.now().toISOString(), checks };
}
