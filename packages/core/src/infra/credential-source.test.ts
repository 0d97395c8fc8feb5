import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { CachedCredentials } from './credential-source.ts';

const logger = pino({ level: 'silent' });

function source(ttlMs = 60_000) {
  const state = { value: 'k1', loads: 0, fail: false };
  const c = new CachedCredentials<string>({
    what: 'test credentials', logger, ttlMs, same: (a, b) => a === b,
    load: async () => {
      state.loads++;
      await new Promise((r) => setTimeout(r, 5));
      if (state.fail) throw new Error('database away');
      return state.value;
    },
  });
  return { c, state };
}

describe('CachedCredentials', () => {
  it('looks up once per TTL, and concurrent callers share one lookup', async () => {
    const { c, state } = source();
    expect(await Promise.all([c.get(), c.get(), c.get()])).toEqual(['k1', 'k1', 'k1']);
    state.value = 'k2';
    expect(await c.get()).toBe('k1'); // cached
    expect(state.loads).toBe(1);
    expect(await c.refresh()).toBe('k2');
    expect(state.loads).toBe(2);
  });

  it('re-reads after the TTL', async () => {
    const { c, state } = source(1);
    await c.get();
    state.value = 'k2';
    await new Promise((r) => setTimeout(r, 5));
    expect(await c.get()).toBe('k2');
  });

  it('tells its listeners when an announced change brings other credentials, not when they are the same', async () => {
    const { c, state } = source();
    let calls = 0;
    const off = c.onChange(() => calls++);
    await c.get();
    c.changed();
    await c.get();
    await new Promise((r) => setTimeout(r, 20));
    expect(calls).toBe(0);
    state.value = 'k2';
    c.changed();
    await new Promise((r) => setTimeout(r, 20));
    expect(calls).toBe(1);
    expect(await c.get()).toBe('k2');
    off();
    state.value = 'k3';
    await c.refresh();
    expect(calls).toBe(1);
  });

  it('an announcement does not make an unused source look anything up; a failed lookup is not cached', async () => {
    const { c, state } = source();
    c.changed();
    await new Promise((r) => setTimeout(r, 20));
    expect(state.loads).toBe(0);
    state.fail = true;
    await expect(c.get()).rejects.toThrow('database away');
    state.fail = false;
    expect(await c.get()).toBe('k1');
  });
});
