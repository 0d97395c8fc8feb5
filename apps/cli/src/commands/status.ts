// `ai-trader status`: trading state and the health of every component, as the console shows them.
import type { TCheckApis } from '@ai-trader/contracts';
import { checkApis, checkHealth, getTradingState, latestCacheStats, listAlerts } from '@ai-trader/core';
import type { Command } from 'commander';
import { paint } from '../colour.ts';
import type { CliContext } from '../context.ts';

function printApiChecks(r: TCheckApis): void {
  console.log(`provider APIs: ${r.checks.length === 0 ? 'none in use (BROKER=sim, no polygon feed, no stored active key)' : r.ok ? paint.green('ok') : paint.red('FAILING')}`);
  for (const c of r.checks) {
    const key = c.masked ? `${c.masked} (${c.source}${c.keyAgeDays !== null ? `, ${c.keyAgeDays} d old` : ''}${c.activatedAt ? `, active since ${c.activatedAt.slice(0, 16).replace('T', ' ')} UTC` : ''})` : 'no key';
    const flags = `reachable ${c.reachable ? 'yes' : 'no'}, authorised ${c.authorised ? 'yes' : 'no'}`;
    console.log(`  ${c.provider.padEnd(8)} ${c.ok ? paint.green('ok'.padEnd(6)) : paint.red('FAILED')} ${key}; ${flags}; ${c.detail}`);
  }
}

export function registerStatus(program: Command, ctx: () => CliContext) {
  program
    .command('status')
    .description('trading state and health of Postgres, Redis, workers and the feed')
    .option('--check-apis', 'also try the provider keys in use (reachable, authorised, clock skew); exit 1 if one fails')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean; checkApis?: boolean }) => {
      const { deps } = ctx().runtime();
      const [health, state, cache, usage, alerts, apis] = await Promise.all([
        checkHealth(deps), getTradingState(deps.prisma).catch(() => null), latestCacheStats(deps).catch(() => null), deps.history.usage?.().catch(() => null) ?? null,
        listAlerts(deps, { open: true, limit: 50 }).catch(() => null), o.checkApis ? checkApis(deps) : null,
      ]);
      if (apis && !apis.ok) process.exitCode = 1;
      if (o.json) return console.log(JSON.stringify({ tradingState: state, health, latestBarCache: cache, providerUsage: usage, alerts, ...(apis ? { apis } : {}) }, null, 2));
      console.log(`trading state: ${state ? `${state.state} (since ${state.changedAt}${state.changedBy ? ` by ${state.changedBy}` : ''}: ${state.reason})` : 'unknown'}`);
      console.log(`health: ${health.status}`);
      for (const [name, c] of Object.entries(health.components)) console.log(`  ${name.padEnd(9)} ${c.status.padEnd(8)} ${c.detail}`);
      if (cache) console.log(`latest-bar cache: ${cache.hits} hits, ${cache.misses} misses${cache.hitRate === null ? '' : ` (hit rate ${(cache.hitRate * 100).toFixed(1)} %)`}`);
      if (usage) console.log(`${deps.history.name} usage today (${usage.day} UTC): ${usage.count}${usage.limit ? ` of ${usage.limit}` : ''} requests`);
      if (alerts) {
        console.log(`alerts: ${alerts.length ? `${alerts.length} open` : 'none open'}`);
        for (const a of alerts) console.log(`  ${a.level.toUpperCase().padEnd(8)} ${a.message}${a.count > 1 ? ` (${a.count}×, since ${a.firstAt})` : ''}`);
      }
      if (apis) printApiChecks(apis);
      if (health.status === 'down') process.exitCode = 1;
    });
}
