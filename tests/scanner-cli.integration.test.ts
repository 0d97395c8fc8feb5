// `ai-trader scan` and `ai-trader backfill --layer` as processes: a YAML configuration, a table with the
// reasons and alerts, JSON, line-exact errors for a bad file (exit 2), and backfill taking layer1's symbols
// once (and only once) a layer1 scan has succeeded.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRuntime, type TestRuntime } from '@ai-trader/adapters/testing';
import type { TBar } from '@ai-trader/contracts';
import { loadBars } from '@ai-trader/db';
import { tradingDaysEndingAt } from '../packages/domain/src/scanner/index.ts';
import { runCli } from './helpers/processes.ts';

const SCAN = '2025-08-28';

function daily(symbol: string, close: (last: boolean) => { open: string; close: string }, volume: number): TBar[] {
  const dates = tradingDaysEndingAt(SCAN, 30);
  return dates.map((d, i) => {
    const p = close(i === dates.length - 1);
    const hi = (Math.max(Number(p.open), Number(p.close)) + 0.05).toFixed(2), lo = (Math.min(Number(p.open), Number(p.close)) - 0.05).toFixed(2);
    return { symbol, timeframe: '1d', ts: `${d}T00:00:00Z`, ...p, high: hi, low: lo, volume: String(volume), source: 'test' };
  });
}

describe('ai-trader scan', () => {
  let rt: TestRuntime;
  let env: Record<string, string>;
  let dir: string;
  let config: string;
  const cli = (...args: string[]) => runCli(args, env);

  beforeAll(async () => {
    rt = await createTestRuntime('scancli');
    env = { DATABASE_URL: rt.config.DATABASE_URL, REDIS_URL: rt.config.REDIS_URL, REDIS_PREFIX: rt.config.REDIS_PREFIX, LOG_LEVEL: 'warn' };
    dir = mkdtempSync(path.join(tmpdir(), 'scanner-'));
    config = path.join(dir, 'scanner.yaml');
    writeFileSync(config, [
      'layer0:',
      '  symbols: [AAA, CHEAP]',
      '  minPrice: 5',
      'layer1:',
      "  minAvgDollarVolume: '1_000_000'",
      '',
    ].join('\n'));
    await loadBars(rt.deps.pool, '1d', [[
      ...daily('AAA', (last) => (last ? { open: '51.5', close: '51.5' } : { open: '50', close: '50' }), 100_000), // gaps up 3 % on the last day
      ...daily('CHEAP', () => ({ open: '3', close: '3' }), 10_000_000),
    ]]);
  });
  afterAll(async () => {
    await rt?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('backfill --layer refuses until a scan of that layer has succeeded', async () => {
    const r = await cli('backfill', '--layer', 'layer1', '--to', SCAN, '--days', '2', '--detach');
    expect(r.status, r.stdout + r.stderr).toBe(1);
    expect(r.stderr.trim()).toBe('no succeeded layer1 scan yet; run ai-trader scan --layer layer1 first');
    expect((await cli('backfill', '--layer', 'layer1', '--symbols', 'AAA')).stderr.trim()).toBe('give --symbols or --layer, not both');
  });

  it('prints the layer0 run it made first, then layer1, with ranks, reasons and alerts', async () => {
    const r = await cli('scan', '--layer', 'layer1', '--config', config, '--as-of', SCAN);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('layer0 first, as of the same time:');
    expect(lines[1]).toMatch(/^layer0 scan [0-9a-f-]{36} as of 2025-08-28: 1 of 2 passed$/);
    expect(lines).toContainEqual(expect.stringMatching(/^ {3}1 {2}AAA +pass +51\.5 +5,150,000 +30$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ {3}– {2}CHEAP +FAIL +3 +30,000,000 +30 {2}price_below_min: last close 3 < 5$/));
    expect(lines).toContainEqual(expect.stringMatching(/^layer1 scan [0-9a-f-]{36} as of 2025-08-28: 1 of 1 passed \(judged the symbols layer0 run [0-9a-f-]{36} passed\)$/));
    expect(lines.filter((l) => l.includes('gap_up'))).toEqual([
      '  AAA     gap_up          opened 51.5 on 2025-08-28, 3.00 % above the previous close 50 (2025-08-27)',
      '  AAA     gap_up          opened 51.5 on 2025-08-28, 3.00 % above the previous close 50 (2025-08-27)',
    ]);
  });

  it('prints JSON with --json', async () => {
    const r = await cli('scan', '--layer', 'layer0', '--config', config, '--as-of', SCAN, '--json');
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.run).toMatchObject({ layer: 'layer0', status: 'succeeded', symbolsIn: 2, symbolsOut: 1, alertCount: 1 });
    expect(out.run.results.map((x: { symbol: string; rank: number | null }) => [x.symbol, x.rank])).toEqual([['AAA', 1], ['CHEAP', null]]);
  });

  it('backfill --layer layer1 takes the symbols of the latest succeeded layer1 scan', async () => {
    const r = await cli('backfill', '--layer', 'layer1', '--to', SCAN, '--days', '2', '--detach');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^symbols of layer1 scan [0-9a-f-]{36} \(as of 2025-08-28\): AAA$/m);
    expect(r.stdout).toMatch(/started backfill [0-9a-f-]{36}: 2 chunk\(s\) queued/);
    const runs = await rt.deps.prisma.backfillRun.findMany();
    expect(runs.map((x) => [x.symbols, x.fromDate, x.toDate])).toEqual([[['AAA'], '2025-08-27', SCAN]]);
  });

  it('refuses a bad configuration with file, line, column and what is wrong (exit 2), before anything runs', async () => {
    const runsBefore = await rt.deps.prisma.scannerRun.count();
    const file = (name: string, text: string) => (writeFileSync(path.join(dir, name), text), path.join(dir, name));
    const unknownKey = file('unknown-key.yaml', 'layer0:\n  symbols: [AAA]\n  minprice: 5\n');
    const notYaml = file('not-yaml.yaml', 'layer1:\n  lookbackDays: 10\n  minBars: [15\n');
    const rule = file('rule.yaml', 'layer1:\n  lookbackDays: 10\n  minBars: 15\n');
    const [a, b, c, d] = await Promise.all([
      cli('scan', '--layer', 'layer0', '--config', unknownKey),
      cli('scan', '--layer', 'layer0', '--config', notYaml),
      cli('scan', '--layer', 'layer0', '--config', rule),
      cli('scan', '--layer', 'layer9', '--config', rule),
    ]);
    expect([a.status, b.status, c.status, d.status]).toEqual([2, 2, 2, 2]);
    expect(a.stderr.trim()).toBe(`${unknownKey}:3:3: layer0.minprice: Unrecognized key: "minprice"`);
    expect(b.stderr.trim().startsWith(`${notYaml}:4:1: not valid YAML: `)).toBe(true);
    expect(c.stderr.trim()).toBe(`${rule}:3:12: layer1.minBars: must not exceed lookbackDays`);
    expect(d.stderr.trim()).toBe('--layer layer9: must be layer0 or layer1');
    expect(await rt.deps.prisma.scannerRun.count()).toBe(runsBefore);
  });
});
