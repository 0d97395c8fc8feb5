// Freshness of market data per symbol and timeframe: when its newest bar arrived. A stale symbol degrades
// health, is reported by `validate --component data_pipeline`, and gets no new entries from risk.
import type { TBar } from '@ai-trader/contracts';
import type { ChainableCommander, Redis } from 'ioredis';
import { keys } from '../infra/redis.ts';
import type { Deps } from '../ports.ts';

export interface SymbolFreshness {
  symbol: string;
  timeframe: string;
  lastBarTs: string;
  arrivedAt: string;
  ageSeconds: number;
  stale: boolean;
}

/** Adds "this bar arrived now" to a Redis transaction, keeping the newest bar only (replays may go back). */
export function recordFreshness(multi: ChainableCommander, prefix: string, bar: TBar, now: Date): void {
  multi.hset(keys(prefix).freshness(bar.timeframe), bar.symbol, JSON.stringify({ ts: bar.ts, at: now.toISOString() }));
}

export async function readFreshness(deps: Pick<Deps, 'redis' | 'config' | 'clock'>, timeframe: string, symbols?: string[]): Promise<SymbolFreshness[]> {
  const k = keys(deps.config.REDIS_PREFIX).freshness(timeframe);
  const raw: Record<string, string> = symbols
    ? Object.fromEntries((await (deps.redis as Redis).hmget(k, ...symbols)).map((v, i) => [symbols[i]!, v]).filter(([, v]) => v))
    : await deps.redis.hgetall(k);
  const now = deps.clock.now().getTime();
  return Object.entries(raw)
    .map(([symbol, v]) => {
      const { ts, at } = JSON.parse(v) as { ts: string; at: string };
      const ageSeconds = Math.round((now - Date.parse(at)) / 1000);
      return { symbol, timeframe, lastBarTs: ts, arrivedAt: at, ageSeconds, stale: ageSeconds > deps.config.STALE_AFTER_SECONDS };
    })
    .sort((a, b) => a.symbol.localeCompare(b.symbol));
}

/** Stale, or never seen: both mean "do not open a position on this symbol's last price". */
export async function isSymbolStale(deps: Pick<Deps, 'redis' | 'config' | 'clock'>, symbol: string, timeframe: string): Promise<boolean> {
  const [f] = await readFreshness(deps, timeframe, [symbol]);
  return !f || f.stale;
}
