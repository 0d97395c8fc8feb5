// Tries a provider key with cheap calls, for key tests and `status --check-apis`: Alpaca's account and clock (the
// clock gives the skew of ours), Polygon's market status (its serverTime likewise). Never retried: a test says now.
import type { TConfig } from '@ai-trader/contracts';
import type { ApiProbe, ApiProbeResult, ApiSecret } from '@ai-trader/core';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { AlpacaRest } from './alpaca/alpaca-rest.ts';
import { AlpacaError } from './alpaca/alpaca-wire.ts';
import { PolygonError } from './polygon/polygon-error.ts';
import { PolygonRest } from './polygon/polygon-rest.ts';

const TIMEOUT_MS = 8_000;

/** Provider clock minus ours: the server's time against the middle of the request (its clock has whole seconds). */
async function timed<T>(call: () => Promise<T>, serverTime: (r: T) => string | null): Promise<{ r: T; skewMs: number | null }> {
  const t0 = Date.now();
  const r = await call();
  const t1 = Date.now();
  const at = serverTime(r);
  const ms = at === null ? NaN : Date.parse(at);
  return { r, skewMs: Number.isNaN(ms) ? null : Math.round(ms - (t0 + t1) / 2) };
}

const skewText = (ms: number | null) => (ms === null ? '' : `; clock skew ${ms >= 0 ? '+' : ''}${(ms / 1000).toFixed(1)} s`);

export function createApiProbe(config: TConfig, redis: Redis, logger: Logger): ApiProbe {
  const quiet = logger.child({ category: 'system', probe: true });
  async function alpaca(s: Extract<ApiSecret, { provider: 'alpaca' }>): Promise<ApiProbeResult> {
    const rest = new AlpacaRest({ baseUrl: config.ALPACA_BASE_URL, keyId: s.keyId, secretKey: s.secretKey, redis, prefix: config.REDIS_PREFIX, logger: quiet, maxRetries: 0, requestTimeoutMs: TIMEOUT_MS });
    try {
      const account = await rest.getAccount();
      const { r: clock, skewMs } = await timed(() => rest.getClock(), (c) => c.timestamp);
      const blocked = [account.account_blocked && 'account blocked', account.trading_blocked && 'trading blocked'].filter(Boolean);
      const detail = `account ${account.status} (${account.currency}${blocked.length ? `, ${blocked.join(', ')}` : ''}); market ${clock.is_open ? 'open' : 'closed'}${skewText(skewMs)}`;
      return { ok: account.status === 'ACTIVE' && !account.account_blocked, reachable: true, authorised: true, clockSkewMs: skewMs, detail };
    } catch (e) {
      if (!(e instanceof AlpacaError)) throw e;
      const reachable = e.kind !== 'broker_down';
      // The client's own advice names the environment variables; a key under test may be a stored one.
      const detail = e.kind === 'auth' ? `Alpaca refused the key (HTTP ${e.detail.status ?? '?'}): ${e.detail.brokerMessage || 'no message'}` : e.message;
      return { ok: false, reachable, authorised: reachable && e.kind !== 'auth', clockSkewMs: null, detail };
    }
  }
  async function polygon(s: Extract<ApiSecret, { provider: 'polygon' }>): Promise<ApiProbeResult> {
    const rest = new PolygonRest({ baseUrl: config.POLYGON_BASE_URL, apiKey: s.apiKey, redis, prefix: config.REDIS_PREFIX, requestsPerSecond: config.POLYGON_REQUESTS_PER_SECOND, dailyLimit: config.POLYGON_DAILY_LIMIT, logger: quiet, maxRetries: 0, requestTimeoutMs: TIMEOUT_MS });
    try {
      const { r, skewMs } = await timed(() => rest.marketStatus(), (x) => x.serverTime);
      return { ok: true, reachable: true, authorised: true, clockSkewMs: skewMs, detail: `market ${r.market}${skewText(skewMs)}` };
    } catch (e) {
      if (!(e instanceof PolygonError)) throw e;
      const reachable = e.kind !== 'server' && e.kind !== 'quota_exhausted';
      const detail = e.kind === 'auth' ? `Polygon refused the key (HTTP ${e.status ?? '?'})` : e.message;
      return { ok: false, reachable, authorised: reachable && e.kind !== 'auth', clockSkewMs: null, detail };
    }
  }
  return { probe: (s) => (s.provider === 'alpaca' ? alpaca(s) : polygon(s)) };
}
