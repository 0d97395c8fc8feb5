// Readiness check 2, the provider APIs: the market-data provider answers and its data is fresh, the broker's account
// and clock answer, our rate limits sit below the providers' and today's usage under them, the keys are young enough.
// Going live needs the real providers: the replay/synthetic feed and the sim broker fail these checks by design.
import { inRegularSession } from '@ai-trader/domain';
import type { Deps } from '../ports.ts';
import { apiUsage } from './audit-view.ts';
import { checkApis } from './check-apis.ts';
import { readFreshness } from './freshness.ts';
import { expectedFeedSymbols } from './monitor-freshness.ts';
import { fail, HOUR, DAY, pass, type ReadinessCheck } from './readiness-types.ts';

/** Polygon's paid plans are "unlimited" but throttle far above this; our pacing must stay under it. */
export const POLYGON_PROVIDER_REQUESTS_PER_SECOND = 100;
/** Today's usage above this share of a daily quota fails: the rest of the day could run out. */
const USAGE_MAX_PCT = 80;
/** A key older than this should be rotated before going live. */
export const KEY_MAX_AGE_DAYS = 90;

export const marketDataCheck: ReadinessCheck = {
  id: 'apis.market-data',
  group: 'apis',
  title: 'Market-data provider answers with fresh data',
  windowSeconds: HOUR,
  scheduled: false,
  remedy: 'run with FEED=polygon and a working key (ai-trader status --check-apis); during the session the feed must deliver every STALE_AFTER_SECONDS',
  async run(deps: Deps) {
    if (deps.config.FEED !== 'polygon') return fail(`FEED=${deps.config.FEED}: no market-data provider to trade live on`, { feed: deps.config.FEED });
    const api = (await checkApis(deps)).checks.find((c) => c.provider === 'polygon');
    const now = deps.clock.now();
    const symbols = expectedFeedSymbols(deps.config);
    const fresh = await readFreshness(deps, '5m', symbols);
    const open = inRegularSession(now);
    const newest = fresh.reduce<number | null>((m, f) => (m === null || f.ageSeconds < m ? f.ageSeconds : m), null);
    const evidence = {
      feed: 'polygon', reachable: api?.reachable ?? false, authorised: api?.authorised ?? false, detail: api?.detail ?? 'no Polygon key',
      marketOpen: open, symbols: fresh.map((f) => `${f.symbol}: last bar ${f.lastBarTs}, arrived ${f.ageSeconds} s ago`), newestBarAgeSeconds: newest,
    };
    if (!api?.ok) return fail(`Polygon does not answer as it should: ${api?.detail ?? 'no key configured'}`, evidence);
    if (open) {
      const stale = symbols.filter((s) => !fresh.find((f) => f.symbol === s && !f.stale));
      if (stale.length) return fail(`the market is open and ${stale.length} feed symbol(s) have no bar within ${deps.config.STALE_AFTER_SECONDS} s: ${stale.join(', ')}`, evidence);
    }
    return pass(`Polygon answers (${api.detail})${open ? `; every feed symbol fresh (newest ${newest} s)` : '; market closed, freshness not judged'}`, evidence);
  },
};

export const brokerCheck: ReadinessCheck = {
  id: 'apis.broker',
  group: 'apis',
  title: 'Broker account and clock answer',
  windowSeconds: HOUR,
  scheduled: false,
  remedy: 'run with BROKER=alpaca and a working key; check ALPACA_BASE_URL and the account status at Alpaca',
  async run(deps: Deps) {
    const b = deps.broker;
    if (deps.config.BROKER !== 'alpaca' || !b.account || !b.marketClock) return fail(`BROKER=${deps.config.BROKER}: no broker account to trade live with`, { broker: b.name });
    const t0 = Date.now();
    const [account, clock] = await Promise.all([b.account(), b.marketClock()]);
    const skewMs = clock.at ? Date.parse(clock.at) - deps.clock.now().getTime() : null;
    const evidence = {
      broker: b.name, baseUrl: new URL(deps.config.ALPACA_BASE_URL).host, accountStatus: account.status ?? null, buyingPower: account.buyingPower, tradingBlocked: account.tradingBlocked ?? false,
      accountBlocked: account.accountBlocked ?? false, marketOpen: clock.isOpen, nextOpen: clock.nextOpen, clockSkewMs: skewMs, answeredInMs: Date.now() - t0,
    };
    if (account.accountBlocked || account.tradingBlocked) return fail(`the account is ${account.accountBlocked ? 'blocked' : 'blocked from trading'} at Alpaca`, evidence);
    if (account.status && account.status !== 'ACTIVE') return fail(`the account's status is ${account.status}, not ACTIVE`, evidence);
    if (skewMs !== null && Math.abs(skewMs) > 5000) return fail(`the broker's clock is ${skewMs} ms from ours: fix this machine's time (NTP)`, evidence);
    return pass(`account ${account.status ?? 'answering'}, buying power ${account.buyingPower}; clock ${clock.isOpen ? 'open' : `closed, next open ${clock.nextOpen}`}`, evidence);
  },
};

export const rateLimitsCheck: ReadinessCheck = {
  id: 'apis.rate-limits',
  group: 'apis',
  title: 'Rate limits below the providers\', usage under them',
  windowSeconds: HOUR,
  scheduled: false,
  remedy: 'lower POLYGON_REQUESTS_PER_SECOND / RISK_MAX_ORDERS_PER_MINUTE, or raise POLYGON_DAILY_LIMIT to your plan\'s; find what uses the quota (ai-trader audit api-usage)',
  async run(deps: Deps) {
    const c = deps.config;
    const usage = deps.history.usage ? await deps.history.usage() : null;
    const alpaca = await alpacaMinute(deps);
    const today = await apiUsage(deps, { days: 1 });
    const usagePct = usage?.limit ? Math.round((usage.count / usage.limit) * 1000) / 10 : null;
    const evidence = {
      polygonRequestsPerSecond: c.POLYGON_REQUESTS_PER_SECOND, polygonProviderLimitPerSecond: POLYGON_PROVIDER_REQUESTS_PER_SECOND,
      ordersPerMinute: c.RISK_MAX_ORDERS_PER_MINUTE, alpacaLimitPerMinute: c.ALPACA_REQUESTS_PER_MINUTE, alpacaReservedPerMinute: c.ALPACA_RESERVED_REQUESTS,
      usageToday: usage ? `${usage.count}${usage.limit ? ` of ${usage.limit}` : ''} (${usage.day})` : null, usagePct, source: deps.history.name,
      alpacaRequestsLastMinute: alpaca.lastMinute, alpacaPausedAfter429: alpaca.paused,
      requestsToday: today.rows.map((r) => `${r.provider} key ${r.keyHash}: ${r.requests}`),
    };
    const problems: string[] = [];
    if (c.POLYGON_REQUESTS_PER_SECOND >= POLYGON_PROVIDER_REQUESTS_PER_SECOND) problems.push(`POLYGON_REQUESTS_PER_SECOND ${c.POLYGON_REQUESTS_PER_SECOND} is not below Polygon's ${POLYGON_PROVIDER_REQUESTS_PER_SECOND}`);
    // Each order costs a few broker calls (submit, status, reconciliation): keep them well inside the part of Alpaca's
    // minute that entries may use (the rest is reserved for exits, cancels and emergencies).
    const entriesShare = c.ALPACA_REQUESTS_PER_MINUTE - c.ALPACA_RESERVED_REQUESTS;
    if (c.RISK_MAX_ORDERS_PER_MINUTE * 3 >= entriesShare)
      problems.push(`RISK_MAX_ORDERS_PER_MINUTE ${c.RISK_MAX_ORDERS_PER_MINUTE} (×3 calls) reaches the ${entriesShare}/min of Alpaca's ${c.ALPACA_REQUESTS_PER_MINUTE} that entries may use (ALPACA_RESERVED_REQUESTS ${c.ALPACA_RESERVED_REQUESTS} kept back)`);
    if (alpaca.lastMinute > c.ALPACA_REQUESTS_PER_MINUTE * USAGE_MAX_PCT / 100)
      problems.push(`${alpaca.lastMinute} Alpaca requests in the last minute (more than ${USAGE_MAX_PCT} % of its ${c.ALPACA_REQUESTS_PER_MINUTE})`);
    if (alpaca.paused) problems.push('Alpaca answered 429 (rate limited): every process is held off now');
    if (usagePct !== null && usagePct > USAGE_MAX_PCT) problems.push(`${usagePct} % of today's ${usage!.limit} requests used (more than ${USAGE_MAX_PCT} %)`);
    if (problems.length) return fail(problems.join('; '), evidence);
    return pass(`limits below the providers'; usage today ${evidence.usageToday ?? 'not counted by this source'}`, evidence);
  },
};

/**
 * Alpaca's shared limiter (adapters/alpaca-limiter.ts) keeps the grants of the last minute per account in a sorted
 * set (`<prefix>:alpaca:rl:<key hash>`, scores in µs of Redis time) and a pause after a 429 (`…:rl-pause:<hash>`):
 * what was used in the last minute, and whether the provider has told us to stop.
 */
async function alpacaMinute(deps: Pick<Deps, 'redis' | 'config'>): Promise<{ lastMinute: number; paused: boolean }> {
  const prefix = deps.config.REDIS_PREFIX;
  const [sec, usec] = await deps.redis.time();
  const nowUs = Number(sec) * 1_000_000 + Number(usec);
  let lastMinute = 0;
  let paused = false;
  for (const [pattern, onKey] of [
    [`${prefix}:alpaca:rl:*`, async (k: string) => { lastMinute = Math.max(lastMinute, await deps.redis.zcount(k, nowUs - 60_000_000, '+inf')); }],
    [`${prefix}:alpaca:rl-pause:*`, async (k: string) => { if (Number((await deps.redis.get(k)) ?? 0) > nowUs) paused = true; }],
  ] as const) {
    let cursor = '0';
    do {
      const [next, keys] = await deps.redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      for (const k of keys) await onKey(k);
      cursor = next;
    } while (cursor !== '0');
  }
  return { lastMinute, paused };
}

export const keysCheck: ReadinessCheck = {
  id: 'apis.keys',
  group: 'apis',
  title: 'API keys work, age and last rotation',
  windowSeconds: DAY,
  scheduled: false,
  remedy: `store the keys (ai-trader keys add) and rotate any older than ${KEY_MAX_AGE_DAYS} days (ai-trader keys rotate)`,
  async run(deps: Deps) {
    const r = await checkApis(deps);
    const evidence = {
      keys: r.checks.map((k) => `${k.provider}: ${k.masked ?? 'none'} (${k.source}), ${k.ok ? 'works' : `fails: ${k.detail}`}, age ${k.keyAgeDays ?? '?'} d, active since ${k.activatedAt ?? '?'}`),
    };
    if (!r.checks.length) return fail('no provider key in use (BROKER=sim, FEED not polygon, nothing stored)', evidence);
    const problems = [
      ...r.checks.filter((k) => !k.ok).map((k) => `${k.provider}: ${k.detail}`),
      ...r.checks.filter((k) => k.source === 'env').map((k) => `${k.provider}: the key comes from the environment, so its age and rotation are unknown`),
      ...r.checks.filter((k) => (k.keyAgeDays ?? 0) > KEY_MAX_AGE_DAYS).map((k) => `${k.provider}: key ${k.keyAgeDays} days old (rotate after ${KEY_MAX_AGE_DAYS})`),
    ];
    if (problems.length) return fail(problems.join('; '), evidence);
    return pass(r.checks.map((k) => `${k.provider} ${k.masked} works, ${k.keyAgeDays} d old`).join('; '), evidence);
  },
};
