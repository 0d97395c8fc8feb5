// `ai-trader validate --symbols … --days …` over bars that were stored without validation (as legacy
// data would be): every planted defect is reported by time and kind, and the exit code says so.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TBar } from '@ai-trader/contracts';
import { createPgPool, loadBars, type PgPool } from '@ai-trader/db';
import { createTestDatabase, type TestDatabase } from '@ai-trader/db/testing';
import { runCli } from './helpers/processes.ts';

const cli = runCli;

describe('ai-trader validate', () => {
  let db: TestDatabase;
  let pool: PgPool;
  beforeAll(async () => {
    db = await createTestDatabase('validate');
    pool = createPgPool(db.url);
    // 2025-07-03 is an early close: 42 regular five-minute slots, 13:30Z–16:55Z.
    const bars: TBar[] = [];
    for (let i = 0; i < 42; i++) {
      const ts = new Date(Date.parse('2025-07-03T13:30:00Z') + i * 300_000).toISOString().replace('.000Z', 'Z');
      const px = (100 + (i % 3) * 0.01).toFixed(2);
      if (i === 10 || i === 11) continue; // a gap of two bars
      const b: TBar = { symbol: 'AAPL', timeframe: '5m', ts, open: px, high: (Number(px) + 0.02).toFixed(2), low: (Number(px) - 0.02).toFixed(2), close: px, volume: '1000', source: 'legacy' };
      if (i === 20) b.low = '90.00'; // a 10 % bad print
      if (i === 30) b.volume = '0';
      bars.push(b);
    }
    bars.push({ symbol: 'AAPL', timeframe: '5m', ts: '2025-07-03T18:00:00Z', open: '100', high: '100', low: '100', close: '100', volume: '5', source: 'legacy' }); // after the early close
    await loadBars(pool, '5m', [bars]);
  });
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  it('reports the gap, the bad print, the zero volume and the bar after the close', async () => {
    const r = await cli(['validate', '--symbols', 'AAPL', '--days', '1', '--to', '2025-07-03', '--session', 'regular'], { DATABASE_URL: db.url, LOG_LEVEL: 'silent' });
    expect(r.status, r.stderr).toBe(1);
    expect(r.stdout).toContain('validated AAPL 5m 2025-07-03…2025-07-03: 6 problem(s)');
    expect(r.stdout).toMatch(/2025-07-03T14:20Z–14:25Z\s+missing_bar\s+warn\s+2 bars/);
    expect(r.stdout).toMatch(/2025-07-03T15:10Z\s+missing_bar.*was rejected \(outlier\)/);
    expect(r.stdout).toMatch(/2025-07-03T15:10Z\s+outlier/);
    expect(r.stdout).toMatch(/2025-07-03T16:00Z\s+zero_volume/);
    expect(r.stdout).toMatch(/2025-07-03T18:00Z\s+outside_session/);
  });

  it('refuses bad input with one line and exit code 2', async () => {
    const bad = await cli(['validate', '--symbols', 'aapl'], { DATABASE_URL: db.url });
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim()).toBe("--symbols: 'aapl' is not an upper-case ticker like SPY");
  });
});
