import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig, redactUrl } from './config.ts';

describe('parseConfig', () => {
  it('runs with no keys at all: sim broker, replay feed', () => {
    const c = parseConfig({});
    expect(c.BROKER).toBe('sim');
    expect(c.FEED).toBe('replay');
    expect(c.PORT).toBe(3000);
    expect(c.REPLAY_SYMBOLS).toEqual(['SPY', 'QQQ', 'AAPL', 'MSFT']);
  });

  it('names the variable of a wrong value, in one line', () => {
    expect(() => parseConfig({ BROKER: 'robinhood' })).toThrow(ConfigError);
    expect(() => parseConfig({ BROKER: 'robinhood' })).toThrow(/^Invalid configuration: BROKER .*'robinhood'/);
    expect(() => parseConfig({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => parseConfig({ DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL must be a postgres or postgresql URL/);
    expect(() => parseConfig({ REPLAY_SYMBOLS: 'spy' })).toThrow(/REPLAY_SYMBOLS/);
  });

  it('requires keys only for the real adapters', () => {
    expect(() => parseConfig({ BROKER: 'alpaca' })).toThrow(/ALPACA_KEY_ID is required when BROKER=alpaca/);
    expect(() => parseConfig({ FEED: 'polygon' })).toThrow(/POLYGON_API_KEY is required/);
    expect(parseConfig({ BROKER: 'alpaca', ALPACA_KEY_ID: 'k', ALPACA_SECRET_KEY: 's', ALPACA_BASE_URL: 'http://127.0.0.1:9999' }).ALPACA_BASE_URL).toBe('http://127.0.0.1:9999');
  });

  it("takes Alpaca's request limit and the part of it kept from entries, the reserve below the limit", () => {
    expect(parseConfig({})).toMatchObject({ ALPACA_REQUESTS_PER_MINUTE: 200, ALPACA_RESERVED_REQUESTS: 20 });
    expect(parseConfig({ ALPACA_REQUESTS_PER_MINUTE: '1000', ALPACA_RESERVED_REQUESTS: '100' })).toMatchObject({ ALPACA_REQUESTS_PER_MINUTE: 1000, ALPACA_RESERVED_REQUESTS: 100 });
    expect(() => parseConfig({ ALPACA_REQUESTS_PER_MINUTE: '20' })).toThrow(/^Invalid configuration: ALPACA_RESERVED_REQUESTS must be below ALPACA_REQUESTS_PER_MINUTE \(20\): new orders need some of the limit/);
  });

  it('with KEYS_ENCRYPTION_KEYS the provider keys may be stored instead: not required at parse time', () => {
    const keys = `k1:${'A'.repeat(43)}=`;
    expect(parseConfig({ BROKER: 'alpaca', FEED: 'polygon', KEYS_ENCRYPTION_KEYS: keys }).KEYS_ENCRYPTION_KEYS).toBe(keys);
    expect(() => parseConfig({ BROKER: 'alpaca' })).toThrow(/or store keys: set KEYS_ENCRYPTION_KEYS/);
    // Half a key pair is a mistake whatever the broker.
    expect(() => parseConfig({ ALPACA_KEY_ID: 'k', KEYS_ENCRYPTION_KEYS: keys })).toThrow(/^Invalid configuration: ALPACA_SECRET_KEY is required with ALPACA_KEY_ID/);
  });

  it('checks KEYS_ENCRYPTION_KEYS entry by entry, naming the entry and never the key', () => {
    const good = Buffer.alloc(32, 7).toString('base64');
    const short = Buffer.alloc(31, 9).toString('base64');
    const bad = (v: string) => {
      try {
        parseConfig({ KEYS_ENCRYPTION_KEYS: v });
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return String((e as Error).message);
      }
      return expect.unreachable();
    };
    expect(bad(`k1:${good},k2:${short}`)).toBe("Invalid configuration: KEYS_ENCRYPTION_KEYS entry 2 of 2 (id 'k2'): the key must be 32 bytes, it is 31 (e.g. from openssl rand -base64 32)");
    expect(bad(`k1:${good},k2:${short}`)).not.toContain(short);
    expect(bad(good)).toBe("Invalid configuration: KEYS_ENCRYPTION_KEYS entry 1 of 1 must be id:base64-of-32-bytes (no ':' in it)");
    expect(bad(`k1:${good},k1:${good}`)).toMatch(/entry 2 of 2: id 'k1' is used twice/);
    expect(bad(`k 1:${good}`)).toMatch(/entry 1 of 1: its id must be/);
    expect(bad(`k1:${good.slice(0, 20)}!!${good.slice(22)}`)).toMatch(/entry 1 of 1 \(id 'k1'\): the key must be base64/);
    const two = parseConfig({ KEYS_ENCRYPTION_KEYS: `k1:${good}, k2:${Buffer.alloc(32, 1).toString('base64url')}`, KEYS_ENCRYPTION_KEY_ID: 'k2' });
    expect(two.KEYS_ENCRYPTION_KEY_ID).toBe('k2');
    expect(() => parseConfig({ KEYS_ENCRYPTION_KEYS: `k1:${good}`, KEYS_ENCRYPTION_KEY_ID: 'k9' })).toThrow(/KEYS_ENCRYPTION_KEY_ID names no entry of KEYS_ENCRYPTION_KEYS \(its ids: k1\)/);
    expect(() => parseConfig({ KEYS_ENCRYPTION_KEY_ID: 'k1' })).toThrow(/KEYS_ENCRYPTION_KEY_ID is set but KEYS_ENCRYPTION_KEYS is not/);
  });

  it('never echoes a secret in its error', () => {
    try {
      parseConfig({ SESSION_SECRET: 'short-secret' });
      expect.unreachable();
    } catch (e) {
      expect(String(e)).toContain('SESSION_SECRET');
      expect(String(e)).not.toContain('short-secret');
    }
  });

  it('hides a password inside a bad URL value', () => {
    expect(() => parseConfig({ DATABASE_URL: 'mysql://u:hunter2@db/x' })).toThrow(/got 'mysql:\/\/u:\*\*\*@db\/x'/);
    expect(() => parseConfig({ DATABASE_URL: 'mysql://u:hunter2@db/x' })).not.toThrow(/hunter2/);
  });

  it('redacts passwords in URLs', () => {
    expect(redactUrl('postgresql://u:hunter2@db:5432/x')).toBe('postgresql://u:***@db:5432/x');
  });
});
