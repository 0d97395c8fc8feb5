// The log store end to end on real Redis: pino → LogStore → `<prefix>:logs` → searchLogs / tailLogs / the tRPC
// router, with every filter, MAXLEN trimming, redaction, a Redis that is down, and the runtime's wiring.
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime } from '@ai-trader/adapters';
import { createTestRuntime, type TestRuntime } from '@ai-trader/adapters/testing';
import type { TActor } from '@ai-trader/contracts';
import { createLogger, createLogStore, ingestBar, LOG_SCAN_MAX, logStreamKey, LogStore, searchLogs, startBackfill, tailLogs } from '@ai-trader/core';
import { LiveHub } from '../packages/api/src/live-hub.ts';
import { appRouter } from '../packages/api/src/root.ts';

/** A stdout stand-in that keeps what it was given. */
function capture() {
  const lines: string[] = [];
  const stream = new Writable({ write(chunk: Buffer, _enc, cb) { lines.push(chunk.toString()); cb(); } });
  return { lines, stream };
}

describe('log store', () => {
  let rt: TestRuntime;
  let live: LiveHub;
  let store: LogStore;
  const viewer: TActor = { id: 'v1', email: 'viewer@example.com', role: 'viewer' };
  const caller = (actor: TActor | null) => appRouter.createCaller({ deps: rt.deps, live, actor });
  const key = () => logStreamKey(rt.config.REDIS_PREFIX);

  beforeAll(async () => {
    rt = await createTestRuntime('logs');
    live = new LiveHub(rt.config.REDIS_URL, rt.config.REDIS_PREFIX);
    store = new LogStore({ redis: rt.deps.redis, prefix: rt.config.REDIS_PREFIX, maxEntries: 100_000 });
  });
  afterAll(async () => {
    await live?.close();
    await rt?.cleanup();
  });

  it('stores lines with their category and level, and finds them by each filter', async () => {
    const out = capture();
    const log = createLogger({ name: 'workers', level: 'warn', store, storeLevel: 'debug', stdout: out.stream });
    log.trace('trace is below the store level');
    log.debug({ symbol: 'SPY' }, 'debug line about SPY');
    log.info({ category: 'orders', clientOrderId: 'ait-1' }, 'order ait-1 submitted');
    log.warn({ category: 'orders', clientOrderId: 'ait-2', cause: 'market_closed' }, 'order rejected by sim: market closed');
    log.child({ scannerRun: 'run-1', layer: 'layer0' }).info('scanner layer0: 3 of 4 passed');
    log.error({ queue: 'risk.check', jobId: 'risk-1', err: 'boom' }, 'job failed');
    log.info({ alert: 'breaker.drawdown:2025-06-04', source: 'risk', level: 'critical' }, 'ALERT from an alert (a `level` field of its own)');
    log.fatal('the process is going down');
    await store.flush();

    // stdout stays at its own level (warn); the store took debug and up.
    expect(out.lines.map((l) => JSON.parse(l).msg)).toEqual(['order rejected by sim: market closed', 'job failed', 'the process is going down']);
    const all = await searchLogs(rt.deps, {});
    expect(all.lines.map((l) => [l.levelName, l.category, l.msg])).toEqual([
      ['fatal', 'system', 'the process is going down'],
      ['info', 'risk', 'ALERT from an alert (a `level` field of its own)'],
      ['error', 'risk', 'job failed'],
      ['info', 'scanner', 'scanner layer0: 3 of 4 passed'],
      ['warn', 'orders', 'order rejected by sim: market closed'],
      ['info', 'orders', 'order ait-1 submitted'],
      ['debug', 'system', 'debug line about SPY'],
    ]);
    expect(all).toMatchObject({ scanned: 7, partial: false, nextBefore: null, stored: 7 });
    expect(all.lines[0]!.name).toBe('workers');
    expect(JSON.parse(all.lines[0]!.line)).toMatchObject({ level: 60, msg: 'the process is going down' });

    const msgs = async (f: Parameters<typeof searchLogs>[1]) => (await searchLogs(rt.deps, f)).lines.map((l) => l.msg);
    expect(await msgs({ category: 'orders' })).toEqual(['order rejected by sim: market closed', 'order ait-1 submitted']);
    expect(await msgs({ category: 'scanner' })).toEqual(['scanner layer0: 3 of 4 passed']);
    expect(await msgs({ category: 'errors' })).toEqual(['the process is going down', 'job failed']);
    expect(await msgs({ minLevel: 'warn' })).toEqual(['the process is going down', 'job failed', 'order rejected by sim: market closed']);
    expect(await msgs({ category: 'orders', minLevel: 'warn' })).toEqual(['order rejected by sim: market closed']);
    expect(await msgs({ text: 'MARKET_CLOSED' })).toEqual(['order rejected by sim: market closed']); // fields too, any case
    expect(await msgs({ text: 'spy' })).toEqual(['debug line about SPY']);
    expect(await msgs({ text: 'no such words' })).toEqual([]);
  });

  it('pages by `before` and filters by time (stream ids are the storing time)', async () => {
    const out = capture();
    const log = createLogger({ name: 'paging', level: 'silent', store, stdout: out.stream });
    for (let i = 0; i < 5; i++) log.info({ category: 'data', i }, `early ${i}`);
    await store.flush();
    await new Promise((r) => setTimeout(r, 30));
    const between = new Date();
    await new Promise((r) => setTimeout(r, 30));
    for (let i = 0; i < 5; i++) log.info({ category: 'data', i }, `late ${i}`);
    await store.flush();

    const p1 = await searchLogs(rt.deps, { category: 'data', limit: 4 });
    expect(p1.lines.map((l) => l.msg)).toEqual(['late 4', 'late 3', 'late 2', 'late 1']);
    expect(p1.nextBefore).toBe(p1.lines[3]!.id);
    const p2 = await searchLogs(rt.deps, { category: 'data', limit: 4, before: p1.nextBefore! });
    expect(p2.lines.map((l) => l.msg)).toEqual(['late 0', 'early 4', 'early 3', 'early 2']);
    const p3 = await searchLogs(rt.deps, { category: 'data', limit: 4, before: p2.nextBefore! });
    expect(p3.lines.map((l) => l.msg)).toEqual(['early 1', 'early 0']);
    expect(p3.nextBefore).toBeNull();

    expect((await searchLogs(rt.deps, { category: 'data', from: between.toISOString() })).lines.map((l) => l.msg)).toEqual(['late 4', 'late 3', 'late 2', 'late 1', 'late 0']);
    expect((await searchLogs(rt.deps, { category: 'data', to: between.toISOString() })).lines.map((l) => l.msg)).toEqual(['early 4', 'early 3', 'early 2', 'early 1', 'early 0']);
    const t = (await searchLogs(rt.deps, { category: 'data', limit: 1 })).lines[0]!;
    expect(Math.abs(Date.parse(t.at) - Date.parse(t.time))).toBeLessThan(10_000); // stored shortly after it was logged
    await expect(searchLogs(rt.deps, { from: '2025-06-05T00:00:00Z', to: '2025-06-04T00:00:00Z' })).rejects.toThrow('from must not be after to');
  });

  it('reads at most LOG_SCAN_MAX lines per search and says where it stopped', async () => {
    const k = key();
    const p = rt.deps.redis.pipeline();
    for (let i = 0; i < LOG_SCAN_MAX + 500; i++) p.xadd(k, '*', 'level', 30, 'category', 'system', 'line', `{"level":30,"msg":"filler ${i}"}`);
    await p.exec();
    const r = await searchLogs(rt.deps, { category: 'orders' }); // the two order lines are older than the filler
    expect(r).toMatchObject({ lines: [], scanned: LOG_SCAN_MAX, partial: true });
    expect(r.nextBefore).toMatch(/^\d+-\d+$/);
    const rest = await searchLogs(rt.deps, { category: 'orders', before: r.nextBefore! });
    expect(rest.lines.map((l) => l.msg)).toEqual(['order rejected by sim: market closed', 'order ait-1 submitted']);
    expect(rest.partial).toBe(false);
    await rt.deps.redis.del(k);
  });

  it('trims the stream to about LOG_STORE_MAX_ENTRIES', async () => {
    const small = new LogStore({ redis: rt.deps.redis, prefix: rt.config.REDIS_PREFIX, maxEntries: 1000 });
    const log = createLogger({ name: 'trim', level: 'silent', store: small });
    for (let i = 0; i < 5000; i++) log.info({ i }, `line ${i}`);
    await small.flush();
    expect(small.stored).toBe(5000);
    const len = await rt.deps.redis.xlen(key());
    expect(len).toBeGreaterThanOrEqual(1000);
    expect(len).toBeLessThan(1500); // `~` trims whole nodes, never far beyond the bound
    const newest = await searchLogs(rt.deps, { limit: 1 });
    expect(newest.lines[0]!.msg).toBe('line 4999');
    await rt.deps.redis.del(key());
  });

  it('never stores a redacted secret', async () => {
    const log = createLogger({ name: 'secrets', level: 'silent', store });
    log.warn({
      category: 'orders', password: 'hunter2-password', apiKey: 'sk-live-apikey', POLYGON_API_KEY: 'poly-key-123',
      config: { ALPACA_SECRET_KEY: 'alpaca-secret-456' }, headers: { authorization: 'Bearer tok-789', cookie: 'sid=cookie-000' },
    }, 'request with credentials');
    await store.flush();
    const raw = JSON.stringify(await rt.deps.redis.xrange(key(), '-', '+'));
    expect(raw).toContain('request with credentials');
    expect(raw).toContain('[redacted]');
    for (const secret of ['hunter2-password', 'sk-live-apikey', 'poly-key-123', 'alpaca-secret-456', 'tok-789', 'cookie-000']) expect(raw).not.toContain(secret);
    await rt.deps.redis.del(key());
  });

  it('does not throw or block when Redis is down: it drops, counts and warns at most once a minute', async () => {
    const warnings: string[] = [];
    const down = createLogStore({ url: 'redis://127.0.0.1:1', name: 'down', prefix: rt.config.REDIS_PREFIX, maxEntries: 1000, warn: (m) => warnings.push(m) });
    const out = capture();
    const log = createLogger({ name: 'down', level: 'info', store: down, stdout: out.stream });
    for (let i = 0; i < 450; i++) log.info({ i }, `while redis is down ${i}`); // three batches
    expect(out.lines).toHaveLength(450); // stdout is not held up
    await down.flush();
    log.info('one more');
    await down.flush();
    expect(down.stored).toBe(0);
    expect(down.dropped).toBe(451);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^log store: \d+ line\(s\) dropped: .+ \(\d+ dropped so far\)$/);
    await down.close();
    log.info('after close');
    expect(down.dropped).toBe(452);
  });

  it('is wired by createRuntime (own connection, flushed on close) unless a logger is passed in', async () => {
    const wired = createRuntime(rt.config, { name: 'wired' });
    wired.deps.logger.warn({ category: 'risk' }, 'a line from a runtime’s own logger');
    await wired.close();
    const found = await searchLogs(rt.deps, { category: 'risk', text: 'runtime’s own logger' });
    expect(found.lines.map((l) => [l.name, l.levelName])).toEqual([['wired', 'warn']]);
    const off = createRuntime({ ...rt.config, LOG_STORE: false }, { name: 'unwired' });
    off.deps.logger.warn({ category: 'risk' }, 'not kept: LOG_STORE=false');
    await off.close();
    expect((await searchLogs(rt.deps, { text: 'not kept' })).lines).toEqual([]);
  });

  it('files the use-cases’ own lines under their categories', async () => {
    const deps = { ...rt.deps, logger: createLogger({ name: 'use-cases', level: 'silent', store }) };
    await ingestBar(deps, { symbol: 'SPY', timeframe: '5m', ts: '2025-06-04T14:00:00Z', open: '600', high: '590', low: '595', close: '596', volume: '10', source: 'test' });
    const run = await startBackfill(deps, { symbols: ['SPY'], stages: ['market_data'], timeframe: '5m', from: '2025-06-04', to: '2025-06-04', requestedBy: 'logs-test' });
    await store.flush();
    expect((await searchLogs(rt.deps, { category: 'data' })).lines.map((l) => [l.levelName, l.msg])).toEqual([['warn', 'bar quarantined']]);
    const backfill = (await searchLogs(rt.deps, { category: 'backfill' })).lines;
    expect(backfill.map((l) => l.msg)).toEqual(['backfill run started by logs-test: 1 chunk(s)']);
    expect(JSON.parse(backfill[0]!.line)).toMatchObject({ backfillRun: run.runId });
  });

  it('serves viewers through the router and pushes new matching lines live', async () => {
    await expect(caller(null).logs.search({})).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    await expect(caller(viewer).logs.search({ limit: 501 })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(caller(viewer).logs.search({ before: 'yesterday' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    const page = await caller(viewer).logs.search({ category: 'risk' });
    expect(page.lines.map((l) => l.msg)).toEqual(['a line from a runtime’s own logger']);

    const mark = (await searchLogs(rt.deps, { limit: 1 })).newestId!;
    const log = createLogger({ name: 'live', level: 'silent', store });
    const ac = new AbortController();
    const tail = tailLogs(rt.deps, { category: 'positions' }, ac.signal, { blockMs: 500 });
    const first = tail.next();
    await new Promise((r) => setTimeout(r, 200)); // XREAD from `$` is listening
    log.info({ category: 'orders' }, 'not a position line');
    log.info({ category: 'positions', symbol: 'SPY' }, 'position SPY opened');
    await store.flush();
    const got = await first;
    if (got.done) throw new Error('the tail ended without a batch');
    expect(got.value.lines.map((l) => [l.category, l.msg])).toEqual([['positions', 'position SPY opened']]);

    // Resuming after an id replays what came later (a reconnecting browser misses nothing).
    const resumed = tailLogs(rt.deps, {}, ac.signal, { after: mark, blockMs: 500 });
    const r = await resumed.next();
    if (r.done) throw new Error('the resumed tail ended without a batch');
    expect(r.value.lines.map((l) => l.msg)).toEqual(['position SPY opened', 'not a position line']);
    ac.abort();
    expect((await tail.next()).done).toBe(true);
    expect((await resumed.next()).done).toBe(true);
  });
});
