// The runbook's log files for real: a replay through the real pipeline (Postgres, Redis, BullMQ, sim broker)
// writes the category files under a temporary LOG_DIR, one id follows an order from its signal to its fill, the
// Logs page still finds the same lines by category, the line form works with the runbook's awk recipe, secrets
// never reach a file, two writers never interleave mid-line, and ops/logrotate.conf rotates while writing goes on.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime } from '@ai-trader/adapters';
import { createTestRuntime, maCrossStrategy, type TestRuntime } from '@ai-trader/adapters/testing';
import { createLogger, LogFiles, LogStore, searchLogs, seedStrategies } from '@ai-trader/core';
import { startPipeline } from '@ai-trader/workers';

const root = path.resolve(import.meta.dirname, '..');
const SLICE = { FEED: 'replay', REPLAY_SYMBOLS: 'SPY,QQQ', REPLAY_START: '2025-06-04', REPLAY_END: '2025-06-04', REPLAY_PACING: 'lockstep' };
const RUNBOOK_LINE = /^(TRACE|DEBUG|INFO|WARN|ERROR|FATAL) \[\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\] \S/;

const read = (dir: string, f: string) => (existsSync(path.join(dir, f)) ? readFileSync(path.join(dir, f), 'utf8') : '');
const records = (dir: string, f: string) => read(dir, f).split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
const tempDirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(path.join(tmpdir(), 'ait-logs-'));
  tempDirs.push(d);
  return d;
};
afterAll(() => tempDirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('log files from a real pipeline run', () => {
  let rt: TestRuntime;
  let dir: string;
  beforeAll(async () => {
    rt = await createTestRuntime('logfiles', SLICE);
    dir = tempDir();
    // The runtime's own wiring (LOG_DIR → LogFiles beside the Redis store), with the test runtime's database and prefix.
    const files = new LogFiles({ dir });
    const store = new LogStore({ redis: rt.deps.redis, prefix: rt.config.REDIS_PREFIX, maxEntries: 100_000 });
    rt.deps.logger = createLogger({ name: 'workers', level: 'silent', files, store });
    await seedStrategies(rt.deps, [maCrossStrategy(['SPY', 'QQQ'])]);
    rt.deps.logger.info({ ALPACA_SECRET_KEY: 'sk-live-do-not-log', headers: { authorization: 'Bearer tok-do-not-log' }, category: 'orders' }, 'config with secrets');
    const pipeline = await startPipeline(rt, ['feed', 'ingest', 'scoring', 'risk', 'execution', 'broker', 'portfolio']);
    expect(await pipeline.feedDone).toBe(78);
    await pipeline.close();
    await store.flush();
    await files.close();
  });
  afterAll(async () => rt?.cleanup());

  it('writes JSON lines with time, level and category to the category files, every line to ai_trader.log', async () => {
    const all = records(dir, 'ai_trader.log');
    const orders = records(dir, 'trading/orders.log');
    const risk = records(dir, 'trading/risk.log');
    const positions = records(dir, 'trading/positions.log');
    for (const r of [...orders, ...risk, ...positions]) {
      expect(r.time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      expect(r.level).toBe('info');
      expect(r.name).toBe('workers');
    }
    expect(new Set(orders.map((r) => r.category))).toEqual(new Set(['orders']));
    expect(new Set(risk.map((r) => r.category))).toEqual(new Set(['risk']));
    expect(new Set(positions.map((r) => r.category))).toEqual(new Set(['positions']));
    const lines = (rs: Array<Record<string, unknown>>) => rs.map((r) => JSON.stringify(r));
    expect(lines(all)).toEqual(expect.arrayContaining([...lines(orders), ...lines(risk), ...lines(positions)]));

    // That day: 4 orders filled (2 entries, 2 exits) and 2 exits denied with nothing to sell.
    const fills = await rt.deps.prisma.fill.count();
    expect(fills).toBe(4);
    expect(orders.filter((r) => /^Order executed: (BUY|SELL) \d+ (SPY|QQQ) @ [\d.]+$/.test(String(r.msg)))).toHaveLength(4);
    expect(orders.filter((r) => String(r.msg).startsWith('Order submitted: '))).toHaveLength(4);
    expect(risk.filter((r) => String(r.msg).startsWith('Order approved: '))).toHaveLength(4);
    expect(risk.filter((r) => /^Order denied: SELL (SPY|QQQ) @ [\d.]+ \(NO_POSITION_TO_EXIT: /.test(String(r.msg)))).toHaveLength(2);
    expect(positions.map((r) => String(r.msg).split(':')[0]).sort()).toEqual(['Position closed', 'Position closed', 'Position opened', 'Position opened']);
    // Nothing went wrong, so errors/ has no file.
    expect(read(dir, 'errors/exceptions.log')).toBe('');
  });

  it('follows an order from its signal to its fill by one id', async () => {
    const fill = await rt.deps.prisma.fill.findFirstOrThrow({ where: { side: 'BUY' }, include: { order: { include: { intent: { include: { riskDecision: true } } } } } });
    const { clientOrderId, intentId } = fill.order;
    const signalId = fill.order.intent.riskDecision.signalId;
    const orders = records(dir, 'trading/orders.log');
    const bySignal = orders.filter((r) => r.signalId === signalId);
    expect(bySignal.map((r) => String(r.msg).split(':')[0])).toEqual(['Signal', 'Order submitted', 'Order executed']);
    expect(bySignal.slice(1).every((r) => r.intentId === intentId && r.clientOrderId === clientOrderId)).toBe(true);
    expect(bySignal[2]).toMatchObject({ executionId: fill.executionId, msg: `Order executed: BUY ${fill.qty.toFixed()} ${fill.symbol} @ ${fill.price.toFixed()}` });
    // grep, as an operator would: the signal's id finds its lines in every trading file.
    const grep = execFileSync('grep', ['-rh', signalId, path.join(dir, 'trading')]).toString().trim().split('\n');
    expect(grep.map((l) => String(JSON.parse(l).msg).split(':')[0]).sort()).toEqual(['Order approved', 'Order executed', 'Order submitted', 'Position opened', 'Signal']);

    // The Logs page finds the same lines by category (the Redis stream beside the files).
    const page = await searchLogs(rt.deps, { category: 'orders', text: clientOrderId, limit: 50 });
    expect(page.lines.map((l) => l.msg).sort()).toEqual(orders.filter((r) => r.clientOrderId === clientOrderId).map((r) => r.msg).sort());
    const riskPage = await searchLogs(rt.deps, { category: 'risk', text: 'Order approved', limit: 50 });
    expect(riskPage.lines).toHaveLength(4);
  });

  it('redacts secrets in the files as in the store', () => {
    const text = read(dir, 'ai_trader.log') + read(dir, 'trading/orders.log');
    expect(text).toContain('config with secrets');
    expect(text).toContain('[redacted]');
    expect(text).not.toContain('sk-live-do-not-log');
    expect(text).not.toContain('tok-do-not-log');
  });
});

describe('log files', () => {
  it('are wired by createRuntime from LOG_DIR, closed with it', async () => {
    const base = await createTestRuntime('logwiring');
    try {
      const dir = tempDir();
      const rt = createRuntime({ ...base.config, LOG_DIR: dir, LOG_STORE: false, LOG_LEVEL: 'silent', LOG_FILE_LEVEL: 'info' }, { name: 'console' });
      rt.deps.logger.debug({ category: 'risk' }, 'below LOG_FILE_LEVEL');
      rt.deps.logger.warn({ category: 'risk', err: new Error('loss limit') }, 'breaker tripped');
      await rt.close();
      expect(records(dir, 'trading/risk.log')).toEqual([expect.objectContaining({ level: 'warn', category: 'risk', name: 'console', msg: 'breaker tripped' })]);
      expect(records(dir, 'errors/exceptions.log')[0]).toMatchObject({ msg: 'breaker tripped', err: { message: 'loss limit' } });
    } finally {
      await base.cleanup();
    }
  });

  it('prints the runbook line form (stdout and LOG_FILE_FORMAT=pretty), which its awk recipe reads', async () => {
    const dir = tempDir();
    const files = new LogFiles({ dir, format: 'pretty' });
    const stdout: string[] = [];
    const log = createLogger({ name: 'workers', level: 'info', format: 'pretty', files, stdout: { write: (l: string) => void stdout.push(l) } });
    log.info({ category: 'orders', clientOrderId: 'ait-1', signalId: 's-1' }, 'Order executed: BUY 100 AAPL @ 150.25');
    log.info({ category: 'orders', clientOrderId: 'ait-2' }, 'Order submitted: SELL 5 MSFT (market, sim)');
    log.error({ category: 'orders', err: new Error('broker down') }, 'Order not sent: SELL 5 MSFT: broker down');
    await files.close();
    const orders = read(dir, 'trading/orders.log').trimEnd().split('\n');
    expect(orders).toHaveLength(3);
    for (const l of [...orders, ...stdout.map((s) => s.trimEnd())]) expect(l).toMatch(RUNBOOK_LINE);
    expect(stdout[0]).toMatch(/^INFO \[\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\] Order executed: BUY 100 AAPL @ 150\.25 signalId=s-1 clientOrderId=ait-1\n$/);
    expect(execFileSync('awk', ['/Order executed/ {print $6, $7}', path.join(dir, 'trading/orders.log')]).toString()).toBe('BUY 100\n');
    expect(read(dir, 'errors/exceptions.log')).toMatch(/^ERROR \[.*\] Order not sent: SELL 5 MSFT: broker down err="broker down"\n$/);
  });

  it('keeps lines whole when two processes append to the same files at once', async () => {
    const dir = tempDir();
    const writer = (who: string) =>
      new Promise<number | null>((resolve) => {
        const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'tests/helpers/log-writer.ts'), dir, who, '3000'], { cwd: root, stdio: 'inherit' });
        child.on('exit', (code) => resolve(code));
      });
    const done = Promise.all([writer('p1'), writer('p2')]);
    const deadline = Date.now() + 60_000;
    while (!(existsSync(path.join(dir, 'ready-p1')) && existsSync(path.join(dir, 'ready-p2'))) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    writeFileSync(path.join(dir, 'go'), '');
    expect(await done).toEqual([0, 0]);
    const rs = records(dir, 'trading/orders.log'); // JSON.parse throws on a torn line
    expect(rs).toHaveLength(6000);
    for (const who of ['p1', 'p2']) expect(rs.filter((r) => r.name === who).map((r) => r.i)).toEqual([...Array(3000).keys()]);
    // They did write at the same time: the file switches between them more than once.
    const switches = rs.filter((r, k) => k > 0 && r.name !== rs[k - 1]!.name).length;
    expect(switches).toBeGreaterThan(1);
  });

  it('lets a process exit right after its first line, before the file is open, without an error on the way out', async () => {
    const dir = tempDir();
    const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'tests/helpers/log-writer.ts'), dir, 'quick', 'exit-at-once'], { cwd: root, encoding: 'utf8' });
    expect(r.stderr).not.toMatch(/not ready|Error/);
    expect(r.status).toBe(0);
  });

  it('keeps lines whole when two writers in one process append to the same files at once', async () => {
    const dir = tempDir();
    const a = new LogFiles({ dir }), b = new LogFiles({ dir });
    const la = createLogger({ name: 'workers', level: 'silent', files: a });
    const lb = createLogger({ name: 'console', level: 'silent', files: b });
    const pad = 'x'.repeat(3000); // long lines: several per write, more than a pipe's atomic size together
    for (let i = 0; i < 500; i++) {
      la.info({ category: 'orders', i, pad }, `a ${i}`);
      lb.info({ category: 'orders', i, pad }, `b ${i}`);
    }
    await Promise.all([a.close(), b.close()]);
    const rs = records(dir, 'trading/orders.log'); // JSON.parse throws on a torn line
    expect(rs).toHaveLength(1000);
    for (const who of ['a', 'b']) expect(rs.filter((r) => String(r.msg).startsWith(`${who} `)).map((r) => r.i)).toEqual([...Array(500).keys()]);
  });

  it('does not throw or crash when its directory cannot be written: it drops, counts and says so once', async () => {
    const blocker = path.join(tempDir(), 'a-file');
    writeFileSync(blocker, 'not a directory');
    const warnings: string[] = [];
    for (const sync of [false, true]) {
      const files = new LogFiles({ dir: path.join(blocker, 'logs'), sync, warn: (m) => warnings.push(m) });
      const log = createLogger({ name: 'workers', level: 'silent', files });
      log.info({ category: 'orders' }, 'nowhere to go');
      await new Promise((r) => setTimeout(r, 100)); // the asynchronous open fails a moment later
      log.info({ category: 'orders' }, 'still nowhere');
      expect(files.dropped).toBeGreaterThanOrEqual(2);
      await files.close();
    }
    expect(warnings.length).toBe(2); // once a minute per writer
    expect(warnings[0]).toMatch(/^log files: .*\.log: .*(ENOTDIR|EEXIST)/);
  });

  it('is rotated by ops/logrotate.conf (daily, 30 kept, compressed) while the process keeps writing', async () => {
    const dir = tempDir();
    const conf = path.join(tempDir(), 'logrotate.conf');
    const text = readFileSync(path.join(root, 'ops/logrotate.conf'), 'utf8');
    expect(text).toMatch(/^\s+daily$/m);
    expect(text).toMatch(/^\s+rotate 30$/m);
    expect(text).toMatch(/^\s+compress$/m);
    writeFileSync(conf, text.replaceAll('/srv/ai-trader/logs', dir), { mode: 0o644 });
    const rotate = () => execFileSync('logrotate', ['-f', '-s', path.join(path.dirname(conf), 'state'), conf], { stdio: 'pipe' });

    // One process's descriptors kept open across the rotations; sync so each line is on disk before logrotate runs.
    const files = new LogFiles({ dir, sync: true });
    const log = createLogger({ name: 'workers', level: 'silent', files });
    const write = (msg: string) => log.info({ category: 'risk' }, msg);
    write('first day');
    rotate();
    expect(read(dir, 'trading/risk.log')).toBe(''); // truncated in place: the writer's descriptor stays valid
    expect(read(dir, 'trading/risk.log.1')).toContain('first day');
    write('second day');
    rotate();
    write('third day');
    const now = read(dir, 'trading/risk.log');
    expect(now).not.toContain('\0'); // O_APPEND: the next line starts at the new end, no hole before it
    expect(records(dir, 'trading/risk.log').map((r) => r.msg)).toEqual(['third day']);
    expect(read(dir, 'trading/risk.log.1')).toContain('second day'); // the newest rotated file waits a day (delaycompress)
    expect(gunzipSync(readFileSync(path.join(dir, 'trading/risk.log.2.gz'))).toString()).toContain('first day');
    expect(gunzipSync(readFileSync(path.join(dir, 'ai_trader.log.2.gz'))).toString()).toContain('first day');
    await files.close();
  });
});
