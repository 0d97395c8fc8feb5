// The stale-feed watch (a scheduled job): while a feed is running — and, for the live Polygon feed, while
// the NYSE regular session is open — every expected symbol whose newest 5m bar arrived longer ago than
// STALE_AFTER_SECONDS (or never, once the feed has run that long) gets an open `feed.stale:SYM:5m` alert;
// a symbol that is fresh again, or a feed that stopped on purpose, resolves it. Risk reads the same
// freshness (isSymbolStale) to refuse new entries on a stale symbol.
import { regularSession, toEt } from '@ai-trader/domain';
import { keys } from '../infra/redis.ts';
import type { Deps } from '../ports.ts';
import { listAlerts, raiseAlert, resolveAlert } from './alerts.ts';
import { readFreshness } from './freshness.ts';

const TIMEFRAME = '5m';
const alertKey = (symbol: string) => `feed.stale:${symbol}:${TIMEFRAME}`;

export function expectedFeedSymbols(config: Deps['config']): string[] {
  return config.FEED === 'replay' ? config.REPLAY_SYMBOLS : config.FEED_SYMBOLS;
}

/** Marks the feed as delivering (call on start and every few seconds while it runs; TTL covers a crash). */
export async function markFeedActive(deps: Pick<Deps, 'redis' | 'config' | 'clock'>, since: Date): Promise<void> {
  await deps.redis.set(keys(deps.config.REDIS_PREFIX).feedActive, since.toISOString(), 'EX', Math.max(30, deps.config.STALE_AFTER_SECONDS * 2));
}
export async function markFeedStopped(deps: Pick<Deps, 'redis' | 'config'>): Promise<void> {
  await deps.redis.del(keys(deps.config.REDIS_PREFIX).feedActive);
}

export interface FreshnessCheck {
  watching: boolean;
  why: string;
  stale: string[];
  opened: string[];
  resolved: string[];
}

export async function monitorFreshness(deps: Pick<Deps, 'redis' | 'config' | 'clock' | 'prisma' | 'logger' | 'events' | 'jobs'>): Promise<FreshnessCheck> {
  const { config } = deps;
  const now = deps.clock.now();
  const activeSince = await deps.redis.get(keys(config.REDIS_PREFIX).feedActive);
  const et = toEt(now);
  const session = regularSession(et.date);
  const marketOpen = !!session && et.minutes >= session.open && et.minutes < session.close;
  const watching = !!activeSince && (config.FEED !== 'polygon' || marketOpen);
  const why = !activeSince ? 'feed not running' : watching ? 'feed running' : 'market closed';
  const resolved: string[] = [];
  if (!watching) {
    for (const a of await listAlerts(deps, { open: true, limit: 500, keyPrefix: 'feed.stale:' })) if (await resolveAlert(deps, a.key, why)) resolved.push(a.key);
    return { watching, why, stale: [], opened: [], resolved };
  }
  const ranLongEnough = (now.getTime() - Date.parse(activeSince!)) / 1000 > config.STALE_AFTER_SECONDS;
  const symbols = expectedFeedSymbols(config);
  const seen = new Map((await readFreshness(deps, TIMEFRAME, symbols)).map((f) => [f.symbol, f]));
  const stale: string[] = [];
  const opened: string[] = [];
  for (const symbol of symbols) {
    const f = seen.get(symbol);
    const isStale = f ? f.stale : ranLongEnough;
    if (!isStale) {
      // No bar yet and the feed has not run STALE_AFTER_SECONDS: it was restarted; judged again once it has.
      const why = f ? `fresh again: bar ${f.lastBarTs} arrived ${f.ageSeconds}s ago` : `feed restarted at ${activeSince}: no bar expected yet`;
      if (await resolveAlert(deps, alertKey(symbol), why)) resolved.push(symbol);
      continue;
    }
    stale.push(symbol);
    const message = f
      ? `${symbol} ${TIMEFRAME} feed is stale: newest bar ${f.lastBarTs} arrived ${f.ageSeconds}s ago (limit ${config.STALE_AFTER_SECONDS}s); no new entries on ${symbol}`
      : `${symbol} ${TIMEFRAME} feed has delivered no bar since the feed started at ${activeSince} (limit ${config.STALE_AFTER_SECONDS}s); no new entries on ${symbol}`;
    const r = await raiseAlert(deps, { key: alertKey(symbol), level: 'warning', source: 'market-data', message, details: { symbol, timeframe: TIMEFRAME, lastBarTs: f?.lastBarTs ?? null, ageSeconds: f?.ageSeconds ?? null } });
    if (r.opened) opened.push(symbol);
  }
  return { watching, why, stale, opened, resolved };
}
