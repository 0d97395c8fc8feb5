// FEED=polygon: minute aggregates from a Polygon-compatible WebSocket flow through the real workers:
// 1m bars are stored, each completed 5-minute bucket becomes a 5m bar for the strategy, and a bad bar is
// quarantined with its reason instead of being stored or lost.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRuntime, type TestRuntime } from '@ai-trader/adapters/testing';
import { startFakePolygon, type FakePolygon } from '@ai-trader/adapters/testing/fake-polygon';
import { startPipeline, type Pipeline } from '@ai-trader/workers';
import { until } from './helpers/processes.ts';

const KEY = 'stream-key-0123456789';
const minute = (i: number) => {
  const px = 600 + i * 0.1;
  return { ts: new Date(Date.parse('2025-06-04T13:30:00Z') + i * 60_000).toISOString().replace('.000Z', 'Z'), open: px.toFixed(2), high: (px + 0.05).toFixed(2), low: (px - 0.05).toFixed(2), close: (px + 0.02).toFixed(2), volume: String(1000 + i) };
};

describe('Polygon stream feed', () => {
  let fake: FakePolygon;
  let rt: TestRuntime;
  let pipeline: Pipeline;
  beforeAll(async () => {
    fake = await startFakePolygon({ apiKey: KEY });
    rt = await createTestRuntime('stream', { FEED: 'polygon', POLYGON_API_KEY: KEY, POLYGON_BASE_URL: fake.restUrl, POLYGON_STREAM_URL: fake.wsUrl, FEED_SYMBOLS: 'SPY' });
    pipeline = await startPipeline(rt, ['feed', 'ingest', 'scoring', 'risk', 'execution', 'broker', 'portfolio']);
  });
  afterAll(async () => {
    await pipeline?.close();
    await rt?.cleanup();
    await fake?.close();
  });

  it('stores minutes, builds 5-minute bars from them, and quarantines a bad one', async () => {
    await until('the stream to subscribe', async () => fake.wsMessages.some((m) => m.action === 'subscribe'));
    for (let i = 0; i < 10; i++) expect(fake.pushMinute('SPY', minute(i))).toBe(1);
    fake.pushMinute('SPY', { ...minute(10), high: '590.00' }); // high below low

    const q = (sql: string) => rt.deps.pool.query(sql).then((r) => r.rows);
    await until('10 minutes and two 5m bars', async () => (await q('SELECT 1 FROM market_data_1m')).length === 10 && (await q('SELECT 1 FROM market_data_5m')).length === 2);
    const five = await q(`SELECT ts, open::text, high::text, low::text, close::text, volume::text, source FROM market_data_5m ORDER BY ts`);
    const m = Array.from({ length: 5 }, (_, i) => minute(i));
    expect(five[0]).toMatchObject({
      ts: new Date('2025-06-04T13:30:00Z'), open: Number(m[0]!.open).toFixed(6), close: Number(m[4]!.close).toFixed(6),
      high: Number(m[4]!.high).toFixed(6), low: Number(m[0]!.low).toFixed(6), volume: String(1000 + 1001 + 1002 + 1003 + 1004),
    });
    expect(five[0].source).toMatch(/^derived:1m/);
    await until('the bad bar in the quarantine', async () => (await q('SELECT 1 FROM bar_quarantine')).length === 1);
    const [bad] = await q(`SELECT kind, detail, symbol, timeframe FROM bar_quarantine`);
    expect(bad).toMatchObject({ kind: 'ohlc_inconsistent', symbol: 'SPY', timeframe: '1m' });
    expect(bad.detail).toContain('high 590 < low 600.95');
  });
});
