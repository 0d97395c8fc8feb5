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
