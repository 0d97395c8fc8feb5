// `ai-trader data import` through the real path (CLI process → parser → validation → quarantine → COPY):
// every planted defect is quarantined with its reason, good rows are stored once, a re-run adds nothing.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgPool, type PgPool } from '@ai-trader/db';
import { createTestDatabase, type TestDatabase } from '@ai-trader/db/testing';
import { runCli } from './helpers/processes.ts';

const cli = runCli;

describe('ai-trader data import', () => {
  let db: TestDatabase;
  let pool: PgPool;
  let dir: string;
  beforeAll(async () => {
    db = await createTestDatabase('import');
    pool = createPgPool(db.url);
    dir = mkdtempSync(path.join(tmpdir(), 'import-'));
  });
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores the good rows, quarantines each defect with its reason, and a re-run stores nothing', async () => {
    const good = Array.from({ length: 12 }, (_, i) => {
      const ts = new Date(Date.parse('2025-06-04T13:30:00Z') + i * 300_000).toISOString().replace('.000', '');
      const p = (100 + i * 0.01).toFixed(2);
      return `${ts},${p},${(Number(p) + 0.05).toFixed(2)},${(Number(p) - 0.05).toFixed(2)},${p},${1000 + i}`;
    });
    const rows = [
      'ts,open,high,low,close,volume',
      ...good.slice(0, 6),
      '2025-06-04T14:00:00Z,100.06,abc,100.01,100.06,1006', // malformed (line 8)
      good[6]!.replace(/,([\d.]+),([\d.]+),([\d.]+),/, ',$1,99.00,$3,'), // 14:00Z with high below low: ohlc_inconsistent
      ...good.slice(7),
      good[3]!.replace(/,(\d+)$/, ',9999'), // conflicting duplicate of 13:45Z
      '2025-06-04T21:00:00Z,100.1,100.2,100.0,100.1,5', // after the close
    ];
    const file = path.join(dir, 'bars.csv');
    writeFileSync(file, rows.join('\n') + '\n');
    const env = { DATABASE_URL: db.url, LOG_LEVEL: 'silent' };

    const first = await cli(['data', 'import', file, '--symbol', 'AAPL', '--timeframe', '5m'], env);
    expect(first.status, first.stderr + first.stdout).toBe(3);
    expect(first.stdout).toMatch(/15 row\(s\): 11 stored, 0 already stored, 0 differing from stored \(kept as stored\), 4 quarantined/);
    expect(first.stdout).toContain("line 8: high 'abc' is not a number");

    const stored = await pool.query(`SELECT count(*)::int AS n FROM market_data_5m WHERE symbol = 'AAPL'`);
    expect(stored.rows[0].n).toBe(11);
    const q = await pool.query(`SELECT kind, ts FROM bar_quarantine ORDER BY id`);
    expect(q.rows.map((r) => r.kind).sort()).toEqual(['duplicate_ts', 'malformed', 'ohlc_inconsistent', 'outside_session']);

    const again = await cli(['data', 'import', file, '--symbol', 'AAPL', '--timeframe', '5m'], env);
    expect(again.stdout).toMatch(/15 row\(s\): 0 stored, 11 already stored/);
    expect((await pool.query(`SELECT count(*)::int AS n FROM market_data_5m`)).rows[0].n).toBe(11);
  });

  it('refuses bad arguments with one line and exit code 2', async () => {
    const env = { DATABASE_URL: db.url };
    const r = await cli(['data', 'import', '/nope.csv', '--symbol', 'aapl', '--timeframe', '5m'], env);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe('--symbol aapl: must be an upper-case ticker like SPY');
    expect((await cli(['data', 'import', '/nope.csv', '--symbol', 'AAPL', '--timeframe', '2m'], env)).stderr.trim()).toBe('--timeframe 2m: must be one of 1m, 5m, 1h, 1d');
    expect((await cli(['data', 'import', '/nope.csv', '--symbol', 'AAPL', '--timeframe', '5m'], env)).stderr.trim()).toBe('/nope.csv: no such file');
  });
});
