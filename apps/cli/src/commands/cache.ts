// `ai-trader cache stats|flush`: our keys in Redis by kind (queue, cache, state) with their memory and the latest-bars
// cache's hit ratio; flush deletes the cache keys only (never queues or state), and only with --confirm.
import { cacheStats, flushCache } from '@ai-trader/core';
import type { Command } from 'commander';
import { paint } from '../colour.ts';
import { CliError, cliActor, type CliContext } from '../context.ts';
import { bytes } from '../progress.ts';

const pct = (r: number | null) => (r === null ? '—' : `${(r * 100).toFixed(1)} %`);

export function registerCache(program: Command, ctx: () => CliContext) {
  const cache = program.command('cache').description('the Redis cache: stats, flush');
  cache.command('stats')
    .description('keys under REDIS_PREFIX by kind with their memory, and hit ratios')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const s = await cacheStats(ctx().runtime().deps);
      if (o.json) return console.log(JSON.stringify(s, null, 2));
      console.log(`prefix ${s.prefix}: ${s.keys} keys, ${bytes(s.memoryBytes)}; latest-bars cache hit ratio ${pct(s.latestCache.hitRate)} (${s.latestCache.hits} hits, ${s.latestCache.misses} misses)`);
      console.log(paint.dim(`server: ${bytes(s.server.usedMemoryBytes)} used${s.server.maxMemoryBytes ? ` of ${bytes(s.server.maxMemoryBytes)}` : ''}, ${s.server.evictedKeys} evicted, keyspace hit ratio ${pct(s.server.keyspaceHitRate)}`));
      for (const g of s.groups) console.log(`  ${g.group.padEnd(28)} ${g.kind.padEnd(6)} ${String(g.keys).padStart(7)} keys ${bytes(g.memoryBytes).padStart(10)}`);
    });
  cache.command('flush')
    .description('delete our cache keys (refilled from Postgres on the next read); queues and state are never touched')
    .option('--confirm', 'really delete (without it: say what would be deleted)')
    .action(async (o: { confirm?: boolean }) => {
      const r = await flushCache(ctx().runtime().deps, { confirm: !!o.confirm, actor: cliActor() });
      if (!o.confirm) throw new CliError(`would delete ${r.matched} cache key(s) (${r.groups.join(', ')}); add --confirm to delete them`, 2);
      console.log(`deleted ${r.deleted} cache key(s) (${r.groups.join(', ')})`);
    });
}
