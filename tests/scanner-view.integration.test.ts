// The Scanner page: runs and a run's results and alerts, a scan started from the console (traders only, one at
// a time, with ops/scanner.yaml or a named bad line), and the page pushed live when a scan runs.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRuntime, type TestRuntime } from '@ai-trader/adapters/testing';
import { ConfigFileError } from '@ai-trader/adapters';
import { LiveHub, appRouter } from '@ai-trader/api';
import { loadScannerConfigFile } from '../packages/api/src/routers/scanner.ts';
import type { TActor, TBar, TScannerPage } from '@ai-trader/contracts';
import { loadBars } from '@ai-trader/db';
import { getScannerPage, runScanNow, ScannerBusyError } from '@ai-trader/core';
import { tradingDaysEndingAt } from '../packages/domain/src/scanner/index.ts';

const SCAN = '2025-08-28';
const viewer: TActor = { id: 'v1', email: 'viewer@example.com', role: 'viewer' };
const trader: TActor = { id: 't1', email: 'trader@example.com', role: 'trader' };

function daily(symbol: string, px: (last: boolean) => { open: string; close: string }, volume: number): TBar[] {
  const dates = tradingDaysEndingAt(SCAN, 30);
  return dates.map((d, i) => {
    const p = px(i === dates.length - 1);
    const hi = (Math.max(Number(p.open), Number(p.close)) + 0.05).toFixed(2), lo = (Math.min(Number(p.open), Number(p.close)) - 0.05).toFixed(2);
    return { symbol, timeframe: '1d', ts: `${d}T00:00:00Z`, ...p, high: hi, low: lo, volume: String(volume), source: 'test' };
  });
}

describe('scanner view', () => {
  let rt: TestRuntime;
  let live: LiveHub;
  let dir: string;
  const caller = (actor: TActor | null) => appRouter.createCaller({ deps: rt.deps, live, actor });
  const config = { layer0: { symbols: ['AAA', 'CHEAP'], minPrice: '5' }, layer1: { minAvgDollarVolume: '1000000' } };

  beforeAll(async () => {
    rt = await createTestRuntime('scanview');
    live = new LiveHub(rt.config.REDIS_URL, rt.config.REDIS_PREFIX);
    dir = mkdtempSync(path.join(tmpdir(), 'scanner-view-'));
    await loadBars(rt.deps.pool, '1d', [[
      ...daily('AAA', (last) => (last ? { open: '51.5', close: '51.5' } : { open: '50', close: '50' }), 100_000), // gaps up 3 % on the last day
      ...daily('CHEAP', () => ({ open: '3', close: '3' }), 10_000_000),
    ]]);
  });
  afterAll(async () => {
    await live?.close();
    await rt?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('shows nothing before the first scan, then the run with ranked results, reasons and alerts', async () => {
    expect(await caller(viewer).scanner.page({})).toEqual({ runs: [], selected: null });
    const r = await runScanNow(rt.deps, { layer: 'layer1', config, configSource: 'test', asOf: SCAN });
    expect(r.layer0).toMatchObject({ layer: 'layer0', status: 'succeeded', symbolsIn: 2, symbolsOut: 1 });
    expect(r.run).toMatchObject({ layer: 'layer1', status: 'succeeded', symbolsIn: 1, symbolsOut: 1, inputRunId: r.layer0!.id, asOf: `${SCAN}T00:00:00.000Z` });
    expect(r.run).not.toHaveProperty('results'); // a summary; the page reads the details

    const page = await caller(viewer).scanner.page({});
    expect(page.runs.map((x) => x.layer)).toEqual(['layer1', 'layer0']);
    expect(page.selected).toMatchObject({ id: r.run.id, results: [{ symbol: 'AAA', passed: true, rank: 1, reasons: [] }], alerts: [{ symbol: 'AAA', kind: 'gap_up' }] });
    const l0 = await caller(viewer).scanner.page({ runId: r.layer0!.id });
    expect(l0.selected!.results.map((x) => [x.symbol, x.passed, x.reasons])).toEqual([['AAA', true, []], ['CHEAP', false, ['price_below_min: last close 3 < 5']]]);
    expect((await getScannerPage(rt.deps, { layer: 'layer0' })).runs.map((x) => x.id)).toEqual([r.layer0!.id]);
  });

  it('runs one scan at a time; a run left "running" by a dead process does not block for ever', async () => {
    const stuck = await rt.deps.prisma.scannerRun.create({ data: { layer: 'layer0', asOf: new Date(), config: {}, status: 'running' } });
    await expect(runScanNow(rt.deps, { layer: 'layer0', config, configSource: 'test' })).rejects.toBeInstanceOf(ScannerBusyError);
    await expect(caller(trader).scanner.runNow({ layer: 'layer0' })).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringContaining(`a layer0 scan is already running (run ${stuck.id.slice(0, 8)}`) });
    await rt.deps.prisma.scannerRun.update({ where: { id: stuck.id }, data: { startedAt: new Date(Date.now() - 11 * 60_000) } });
    expect((await runScanNow(rt.deps, { layer: 'layer0', config, configSource: 'test', asOf: SCAN })).run.status).toBe('succeeded');
  });

  it('lets traders run a scan with ops/scanner.yaml; viewers may not; a bad date is refused', async () => {
    await expect(caller(viewer).scanner.runNow({ layer: 'layer0' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(caller(trader).scanner.runNow({ layer: 'layer0', asOf: '28-08-2025' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    const r = await caller(trader).scanner.runNow({ layer: 'layer0', asOf: SCAN });
    expect(r.configSource).toBe(path.join('ops', 'scanner.yaml'));
    expect(r.run).toMatchObject({ layer: 'layer0', status: 'succeeded', symbolsIn: 7, symbolsOut: 0 }); // the repository's universe: no bars stored here
    const page = await caller(viewer).scanner.page({ runId: r.run.id });
    expect(page.selected!.results.every((x) => !x.passed && x.reasons.length > 0)).toBe(true);
  });

  it('reads the YAML found above the working directory, names a bad line, and falls back to the defaults', () => {
    const nested = path.join(dir, 'apps', 'console');
    mkdirSync(nested, { recursive: true });
    expect(loadScannerConfigFile(nested).source).toMatch(/^defaults \(no ops\/scanner.yaml above /);
    mkdirSync(path.join(dir, 'ops'));
    writeFileSync(path.join(dir, 'ops', 'scanner.yaml'), 'layer0:\n  minPrice: 5\n  minPriec: 6\n');
    expect(() => loadScannerConfigFile(nested)).toThrow(ConfigFileError);
    expect(() => loadScannerConfigFile(nested)).toThrow(/^ops\/scanner.yaml:3:3: layer0.minPriec: /);
    writeFileSync(path.join(dir, 'ops', 'scanner.yaml'), 'layer0:\n  symbols: [SPY]\n');
    expect(loadScannerConfigFile(nested).config.layer0.symbols).toEqual(['SPY']);
  });

  it('pushes the page when a scan runs (live subscription)', async () => {
    const ac = new AbortController();
    const it = (await appRouter.createCaller({ deps: rt.deps, live, actor: viewer }, { signal: ac.signal }).scanner.live({ layer: 'layer1' }))[Symbol.asyncIterator]();
    const first = (await it.next()).value as TScannerPage;
    const pending = it.next();
    await new Promise((r) => setTimeout(r, 500)); // the hub's Redis subscription is in place
    const r = await runScanNow(rt.deps, { layer: 'layer1', config, configSource: 'test', asOf: SCAN });
    const next = (await Promise.race([pending, new Promise((res) => setTimeout(() => res({ value: null }), 5_000))]) as { value: TScannerPage | null }).value;
    expect(next, 'a push within 5 s').not.toBeNull();
    expect(first.runs.map((x) => x.id)).not.toContain(r.run.id);
    // The first push may come while the run is still "running"; either way it is the newest run listed.
    expect(next!.runs[0]!.id).toBe(r.run.id);
    ac.abort();
    await it.return?.();
  });
});
