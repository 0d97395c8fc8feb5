// `ai-trader status`: trading state and the health of every component, as the console shows them; --detailed adds
// what each component's verdict rests on, --account the broker's account and positions, --metrics the day's activity,
// queue depths and freshness, --check-apis a try of the provider keys in use.
import type { TCheckApis } from '@ai-trader/contracts';
import {
  brokerAccount, checkApis, checkHealth, detailedHealth, getTradingState, latestCacheStats, listAlerts, tradingMetrics,
  type BrokerAccountView, type DetailedHealth, type TradingMetrics,
} from '@ai-trader/core';
import type { Command } from 'commander';
import { paint } from '../colour.ts';
import type { CliContext } from '../context.ts';

const statusWord = (s: string) => (s === 'ok' ? paint.green(s.padEnd(8)) : s === 'down' ? paint.red(s.padEnd(8)) : paint.yellow(s.padEnd(8)));

function printApiChecks(r: TCheckApis): void {
  console.log(`provider APIs: ${r.checks.length === 0 ? 'none in use (BROKER=sim, no polygon feed, no stored active key)' : r.ok ? paint.green('ok') : paint.red('FAILING')}`);
  for (const c of r.checks) {
    const key = c.masked ? `${c.masked} (${c.source}${c.keyAgeDays !== null ? `, ${c.keyAgeDays} d old` : ''}${c.activatedAt ? `, active since ${c.activatedAt.slice(0, 16).replace('T', ' ')} UTC` : ''})` : 'no key';
    const flags = `reachable ${c.reachable ? 'yes' : 'no'}, authorised ${c.authorised ? 'yes' : 'no'}`;
    console.log(`  ${c.provider.padEnd(8)} ${c.ok ? paint.green('ok'.padEnd(6)) : paint.red('FAILED')} ${key}; ${flags}; ${c.detail}`);
  }
}

function printDetailed(d: DetailedHealth): void {
  console.log(`health: ${statusWord(d.status).trim()} (checked ${d.checkedAt})`);
  for (const c of d.components) {
    console.log(`  ${c.name.padEnd(18)} ${statusWord(c.status)} ${c.detail}`);
    for (const [k, v] of Object.entries(c.facts)) console.log(`  ${' '.repeat(27)} ${paint.dim(`${k}:`)} ${v}`);
  }
}

function printAccount(a: BrokerAccountView | { error: string }): void {
  if ('error' in a) return console.log(`broker account: ${paint.red('unavailable')}: ${a.error}`);
  console.log(`broker account (${a.broker}${a.status ? `, ${a.status}` : ''}): equity ${a.equity}${a.equitySource === 'broker' ? '' : ' (cash + positions at the last closes)'}, cash ${a.cash}, buying power ${a.buyingPower}`);
  if (a.blocked.length) console.log(`  ${paint.red(a.blocked.join(', '))}`);
  if (!a.positions.length) console.log('  positions: none');
  for (const p of a.positions)
    console.log(`  ${p.symbol.padEnd(6)} ${p.qty.padStart(10)} @ ${p.avgEntryPrice ?? '?'}${p.lastPrice ? `  last ${p.lastPrice}, value ${p.marketValue}` : '  (no stored price)'}`);
}

function printMetrics(m: TradingMetrics): void {
  const orders = Object.entries(m.orders.byStatus).map(([s, n]) => `${n} ${s}`).join(', ');
  console.log(`today (New York ${m.day}): ${m.signals} signal(s), ${m.decisions.approved} approved / ${m.decisions.denied} denied, ${m.orders.total} order(s)${orders ? ` (${orders})` : ''}, ${m.fills} fill(s)`);
  console.log('queues (waiting / active / delayed / failed):');
  for (const q of m.queues) {
    const busy = q.waiting + q.active + q.delayed;
    const line = `  ${q.name.padEnd(24)} ${String(q.waiting).padStart(6)} ${String(q.active).padStart(6)} ${String(q.delayed).padStart(6)} ${String(q.failed).padStart(6)}${q.paused ? '  PAUSED' : ''}`;
    console.log(q.failed || q.paused ? paint.yellow(line) : busy ? line : paint.dim(line));
  }
  const f = m.freshness;
  const b = m.book;
  if (b) console.log(`since the start (as /api/metrics): ${Object.entries(b.orders).map(([k, n]) => `${n} ${k}`).join(', ')}; ${b.fills} fill(s); ${b.positionsOpen} open position(s); P&L ${b.pnlTotal.toFixed(2)} (realised ${b.pnlRealized.toFixed(2)}); drawdown ${(b.drawdown * 100).toFixed(2)} %; risk score ${b.riskScore.toFixed(2)}; Redis maxmemory-policy ${b.redisEvictionPolicy ?? 'unknown'}${b.redisEvictionPolicy && b.redisEvictionPolicy !== 'noeviction' ? paint.yellow(' (BullMQ needs noeviction)') : ''}`);
  console.log(`freshness: ${f.symbols ? `${f.symbols} series, newest ${f.newest!.symbol} ${f.newest!.timeframe} ${f.newest!.ageSeconds} s ago, oldest ${f.oldestAgeSeconds} s ago${f.stale.length ? `; ${paint.yellow(`stale: ${f.stale.join(', ')}`)}` : ''}` : 'no bar has arrived yet'}`);
}

interface Options { json?: boolean; checkApis?: boolean; detailed?: boolean; account?: boolean; metrics?: boolean }

export function registerStatus(program: Command, ctx: () => CliContext) {
  program
    .command('status')
    .description('trading state and health of Postgres, Redis, workers and the feed')
    .option('--detailed', 'each component with what its verdict rests on (round trips, versions, heartbeats per role, freshness per symbol)')
    .option('--account', 'the broker\'s account (equity, cash, buying power) and positions, as the broker reports them')
    .option('--metrics', 'today\'s signals, decisions, orders and fills; every queue\'s depth; data freshness')
    .option('--check-apis', 'also try the provider keys in use (reachable, authorised, clock skew); exit 1 if one fails')
    .option('--json', 'print JSON')
    .action(async (o: Options) => {
      const { deps } = ctx().runtime();
      // The first query pays for this process's start (Prisma's set-up, the first connections): made before the
      // health check, so the check's 2 s limit measures Postgres rather than a cold CLI.
      const state = await getTradingState(deps.prisma).catch(() => null);
      // --detailed runs the same health check and adds what each verdict rests on.
      const [health, detailed, cache, usage, alerts, apis, account, metrics] = await Promise.all([
        o.detailed ? null : checkHealth(deps),
        o.detailed ? detailedHealth(deps) : null,
        latestCacheStats(deps).catch(() => null), deps.history.usage?.().catch(() => null) ?? null,
        listAlerts(deps, { open: true, limit: 50 }).catch(() => null), o.checkApis ? checkApis(deps) : null,
        o.account ? brokerAccount(deps).catch((e: unknown) => ({ error: (e instanceof Error ? e.message : String(e)).trim().split('\n')[0]! })) : null,
        o.metrics ? tradingMetrics(deps) : null,
      ]);
      const overall = (detailed ?? health)!.status;
      if (apis && !apis.ok) process.exitCode = 1;
      if (account && 'error' in account) process.exitCode = 1;
      if (overall === 'down') process.exitCode = 1;
      if (o.json) {
        const extra = { ...(apis ? { apis } : {}), ...(account ? { account } : {}), ...(metrics ? { metrics } : {}) };
        return console.log(JSON.stringify({ tradingState: state, health: detailed ?? health, latestBarCache: cache, providerUsage: usage, alerts, ...extra }, null, 2));
      }
      const stateLine = state ? `${state.state} (since ${state.changedAt}${state.changedBy ? ` by ${state.changedBy}` : ''}: ${state.reason})` : 'unknown';
      console.log(`trading state: ${state?.state === 'ACTIVE' ? paint.green(stateLine) : paint.yellow(stateLine)}`);
      if (detailed) printDetailed(detailed);
      else if (health) {
        console.log(`health: ${health.status}`);
        for (const [name, c] of Object.entries(health.components)) console.log(`  ${name.padEnd(18)} ${statusWord(c.status)} ${c.detail}`);
      }
      if (cache) console.log(`latest-bar cache: ${cache.hits} hits, ${cache.misses} misses${cache.hitRate === null ? '' : ` (hit rate ${(cache.hitRate * 100).toFixed(1)} %)`}`);
      if (usage) console.log(`${deps.history.name} usage today (${usage.day} UTC): ${usage.count}${usage.limit ? ` of ${usage.limit}` : ''} requests`);
      if (alerts) {
        console.log(`alerts: ${alerts.length ? `${alerts.length} open` : 'none open'}`);
        for (const a of alerts) console.log(`  ${a.level.toUpperCase().padEnd(8)} ${a.message}${a.count > 1 ? ` (${a.count}×, since ${a.firstAt})` : ''}`);
      }
      if (account) printAccount(account);
      if (metrics) printMetrics(metrics);
      if (apis) printApiChecks(apis);
    });
}
