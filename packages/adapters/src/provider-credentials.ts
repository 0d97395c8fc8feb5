// The credentials of the provider clients of one process: the stored active key (else the environment's), cached
// briefly and re-read when a rotation is announced, so REST clients and streams switch keys without a restart.
import type { TApiProvider, TConfig } from '@ai-trader/contracts';
import { CachedCredentials, requireCredentials, subscribeApiKeyChanges, type Deps } from '@ai-trader/core';
import type { Logger } from 'pino';
import type { AlpacaKeys } from './alpaca/alpaca-rest.ts';
import type { PolygonKey } from './polygon/polygon-rest.ts';

export interface ProviderCredentials {
  alpaca: CachedCredentials<AlpacaKeys>;
  polygon: CachedCredentials<PolygonKey>;
  /** Fails with one clear line when a configured provider (BROKER=alpaca, FEED=polygon) has no key at all. */
  check(): Promise<void>;
  close(): Promise<void>;
}

export function createProviderCredentials(o: { config: TConfig; prisma: Deps['prisma']; logger: Logger; name: string; ttlMs?: number }): ProviderCredentials {
  const { config, prisma, logger } = o;
  let sub: { close(): Promise<void> } | null = null;
  const subscribe = () => {
    sub ??= subscribeApiKeyChanges({
      url: config.REDIS_URL, prefix: config.REDIS_PREFIX, name: o.name, logger,
      onChange: (p) => (p === 'alpaca' ? alpaca.changed() : p === 'polygon' ? polygon.changed() : undefined),
    });
  };
  const load = async (provider: TApiProvider) => (await requireCredentials({ prisma, config }, provider)).secret;
  const alpaca = new CachedCredentials<AlpacaKeys>({
    what: 'Alpaca credentials', logger, ttlMs: o.ttlMs, onFirstUse: subscribe,
    load: async () => {
      const s = await load('alpaca');
      if (s.provider !== 'alpaca') throw new Error('not an Alpaca key');
      return { keyId: s.keyId, secretKey: s.secretKey };
    },
    same: (a, b) => a.keyId === b.keyId && a.secretKey === b.secretKey,
  });
  const polygon = new CachedCredentials<PolygonKey>({
    what: 'Polygon credentials', logger, ttlMs: o.ttlMs, onFirstUse: subscribe,
    load: async () => {
      const s = await load('polygon');
      if (s.provider !== 'polygon') throw new Error('not a Polygon key');
      return { apiKey: s.apiKey };
    },
    same: (a, b) => a.apiKey === b.apiKey,
  });
  return {
    alpaca, polygon,
    async check() {
      if (config.BROKER === 'alpaca') await alpaca.get();
      if (config.FEED === 'polygon') await polygon.get();
    },
    async close() {
      await sub?.close();
    },
  };
}
