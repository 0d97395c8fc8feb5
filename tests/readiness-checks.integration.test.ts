// Go-live readiness checks that read stored facts — paper record, integration, partitions, backup restore, Prometheus,
// headroom, risk — each passing and failing for its reason against real Postgres and Redis; and the report: stored
// results, stale after the window, not-run without one, a check that throws stored as fail with its message.
import { mkdtemp, rm, symlink, mkdir, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRuntime, type TestRuntime } from '@ai-trader/adapters/testing';
import type { TReadinessCheckId } from '@ai-trader/contracts';
import { ensurePartitionsAhead } from '@ai-trader/db';
import { defaultReadinessEnv, ingestBar, readinessReport, runReadinessCheck, scratchDatabaseUrl, takeBackup, type Clock, type ReadinessEnv } from '@ai-trader/core';

const bar = (symbol: string, ts: string, px: string) => ({ symbol, timeframe: '5m' as const, ts, open: px, high: px, low: px, close: px, volume: '1000', source: 'test' });

describe('readiness checks from stored facts', () => {
  let rt: TestRuntime;
  let dir: string;
  let env: ReadinessEnv;
  let now = new Date('2025-06-13T14:00:00Z'); // Friday 10:00 New York: the market is open
  const clock: Clock = { now: () => now };
  const run = (id: TReadinessCheckId) => runReadinessCheck(rt.deps, id, { ranBy: 'test@example.com', trigger: 'manual', env });
  const latest = (id: TReadinessCheckId) => rt.deps.prisma.readinessResult.findFirstOrThrow({ where: { check: id }, orderBy: { finishedAt: 'desc' } });

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'readiness-'));
    await writeFile(path.join(dir, 'alerts.yml'), 'groups:\n  - name: g\n    rules:\n      - alert: HighDrawdown\n        expr: x > 1\n      - alert: Halted\n        expr: y == 1\n');
    env = { repoDir: path.resolve(import.meta.dirname, '..'), consoleBuildDir: path.join(dir, 'build'), alertsFile: path.join(dir, 'alerts.yml') };
    rt = await createTestRuntime('readiness', { BACKUP_DIR: path.join(dir, 'backups'), READINESS_PAPER_DAYS: '3' });
    rt.deps.clock = clock;
  });
  afterAll(async () => {
    await rt?.cleanup();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('reports every check not-run before any result, and is not ready', async () => {
    const r = await readinessReport(rt.deps);
    expect(r.items).toHaveLength(15);
    expect(r.items.every((i) => i.status === 'not-run' && i.remedy?.includes('ai-trader readiness run'))).toBe(true);
    expect(r).toMatchObject({ ready: false, account: 'paper', counts: { 'not-run': 15 } });
  });

  // ---- paper record ----
  let seq = 0;
  /** One approved order (signal → decision → intent → order) on a New York day, with fills adding up unless told. */
  async function paperOrder(at: string, o: { denied?: boolean; fillQty?: string; strategy?: string } = {}) {
    const t = new Date(at);
    const signal = await rt.deps.prisma.signal.create({ data: { strategy: o.strategy ?? 'ma', symbol: 'SPY', barTs: new Date(t.getTime() - ++seq * 300_000), side: 'BUY', price: '100', detail: {}, createdAt: t } });
    const decision = await rt.deps.prisma.riskDecision.create({ data: { signalId: signal.id, outcome: o.denied ? 'DENIED' : 'APPROVED', message: 'x', createdAt: t } });
    const intent = await rt.deps.prisma.orderIntent.create({ data: { riskDecisionId: decision.id, symbol: 'SPY', side: 'BUY', qty: '10', refPrice: '100', isEntry: true, status: 'SUBMITTED', createdAt: t } });
    const order = await rt.deps.prisma.order.create({
      data: { intentId: intent.id, clientOrderId: `ait-${seq}`, broker: 'sim', symbol: 'SPY', side: 'BUY', qty: '10', filledQty: '10', status: 'filled', createdAt: t },
    });
    await rt.deps.prisma.fill.create({ data: { executionId: `x-${seq}`, orderId: order.id, symbol: 'SPY', side: 'BUY', qty: o.fillQty ?? '10', price: '100', filledAt: t } });
    return order;
  }
  const audit = (action: string, at: string, actorId = 'u1', after?: object) =>
    rt.deps.prisma.auditLog.create({ data: { at: new Date(at), actorId, actorEmail: actorId, action, reason: `${action} for the test`, ...(after ? { after } : {}) } });

  it('paper.record fails with too few paper days, passes with N clean days', async () => {
    await paperOrder('2025-06-10T15:00:00Z');
    await paperOrder('2025-06-11T15:00:00Z');
    expect(await run('paper.record')).toMatchObject({ status: 'fail', summary: '2 of 3 New York days with paper orders in the last 45 days' });
    await paperOrder('2025-06-12T15:00:00Z');
    await paperOrder('2025-06-12T16:00:00Z');
    const r = await run('paper.record');
    expect(r).toMatchObject({ status: 'pass' });
    expect(r.summary).toContain('3 New York days with paper orders since 2025-06-10 (4 orders');
    expect((await latest('paper.record')).evidence).toMatchObject({ daysFound: 3, days: ['2025-06-10: 1 orders, 1 fills', '2025-06-11: 1 orders, 1 fills', '2025-06-12: 2 orders, 2 fills'] });
  });

  it('paper.record fails on an unexplained breaker trip until an operator resumes', async () => {
    await audit('breaker.daily_loss', '2025-06-12T17:00:00Z', 'system:breakers');
    expect((await run('paper.record')).summary).toMatch(/^1 breaker trip\(s\) with no operator resume or resolution after them \(first 2025-06-12T17:00:00.000Z breaker.daily_loss\)$/);
    await audit('trading.resume', '2025-06-12T17:30:00Z');
    expect((await run('paper.record')).status).toBe('pass');
  });

  it('paper.record fails on open drift, an order without an approved decision, fills that do not add up', async () => {
    const drift = await rt.deps.prisma.alert.create({ data: { key: 'reconcile.drift', openKey: 'reconcile.drift', level: 'critical', source: 'reconciliation', message: 'SPY: ours 10, broker 0' } });
    expect((await run('paper.record')).summary).toContain('reconciliation drift unresolved since');
    await rt.deps.prisma.alert.update({ where: { id: drift.id }, data: { openKey: null, resolvedAt: now, resolution: 'clean pass' } });
    expect((await run('paper.record')).status).toBe('pass');
    const bad = await paperOrder('2025-06-12T18:00:00Z', { denied: true });
    expect((await run('paper.record')).summary).toBe('1 order(s) without an approved signal and risk decision behind them');
    expect((await latest('paper.record')).evidence).toMatchObject({ ordersWithoutTrail: [bad.clientOrderId] });
    await rt.deps.prisma.riskDecision.updateMany({ where: { intent: { order: { id: bad.id } } }, data: { outcome: 'APPROVED' } });
    await paperOrder('2025-06-12T18:30:00Z', { fillQty: '4' });
    expect((await run('paper.record')).summary).toBe('1 order(s) whose stored fills do not add up to their filled quantity');
    await rt.deps.prisma.fill.create({ data: { executionId: 'x-rest', orderId: (await rt.deps.prisma.order.findFirstOrThrow({ where: { clientOrderId: `ait-${seq}` } })).id, symbol: 'SPY', side: 'BUY', qty: '6', price: '100', filledAt: now } });
    await paperOrder('2025-06-12T19:00:00Z', { strategy: 'manual' });
    expect((await run('paper.record')).summary).toBe('1 operator order(s) without the audited action that made them');
    await audit('position.close', '2025-06-12T19:00:05Z');
    expect((await run('paper.record')).status).toBe('pass');
  });

  // ---- integration ----
  it('integration.replay needs a multi-symbol replay that succeeded', async () => {
    expect((await run('integration.replay')).summary).toBe('no finished replay run is stored');
    const one = { strategy: 'ma', config: {}, fromDate: '2025-06-02', toDate: '2025-06-06', createdBy: 't', finishedAt: now };
    await rt.deps.prisma.backtestRun.create({ data: { ...one, symbols: ['SPY'], status: 'succeeded' } });
    expect((await run('integration.replay')).summary).toBe('no multi-symbol replay run is stored (the newest replayed SPY only)');
    await rt.deps.prisma.backtestRun.create({ data: { ...one, symbols: ['SPY', 'QQQ'], status: 'failed', error: 'feature engine crashed', startedAt: new Date(now.getTime() - 1000) } });
    expect((await run('integration.replay')).summary).toContain('failed: feature engine crashed');
    await rt.deps.prisma.backtestRun.create({ data: { ...one, symbols: ['SPY', 'QQQ', 'AAPL'], status: 'succeeded', startedAt: now } });
    expect((await run('integration.replay')).summary).toMatch(/^replay of 3 symbols \(2025-06-02 to 2025-06-06\) succeeded/);
  });

  it('integration.restart needs a clean recovery and a clean reconciliation after it', async () => {
    expect((await run('integration.restart')).status).toBe('fail');
    await audit('recover.system', '2025-06-13T13:00:00Z', 'cli:op', { ok: true, steps: [{ name: 'reinitialise', status: 'done' }] });
    expect((await run('integration.restart')).summary).toBe('no reconciliation pass after the recovery: is the broker role running?');
    const key = `${rt.config.REDIS_PREFIX}:reconcile:last`;
    await rt.deps.redis.set(key, JSON.stringify({ at: '2025-06-13T13:05:00Z', repaired: 0, drift: [{ kind: 'position_mismatch', symbol: 'SPY' }], suspect: [], clean: false }));
    expect((await run('integration.restart')).summary).toContain('reconciliation after the recovery is not clean: 1 confirmed');
    await rt.deps.redis.set(key, JSON.stringify({ at: '2025-06-13T13:05:30Z', repaired: 0, drift: [], suspect: [], clean: true }));
    expect(await run('integration.restart')).toMatchObject({ status: 'pass' });
  });

  // ---- database and infrastructure ----
  it('db.partitions fails until partitions reach N days ahead', async () => {
    const before = await run('db.partitions');
    expect(before.status).toBe('fail');
    expect(before.summary).toMatch(/market_data_5m (has no dated partition|reaches only -?\d+ days ahead)/);
    await ensurePartitionsAhead(rt.deps.pool, now, 30);
    expect(await run('db.partitions')).toMatchObject({ status: 'pass', summary: 'every partitioned table (5) reaches at least 7 days ahead; DEFAULT partitions empty' });
  });

  it('db.backup-restore fails without a backup, passes when the newest restores with matching checksums, fails when damaged', async () => {
    expect(await run('db.backup-restore')).toMatchObject({ status: 'fail', summary: `no backup in ${path.join(dir, 'backups')}: nothing to restore`, remedy: 'take one: ai-trader db backup' });
    now = new Date(); // the backup is named by the clock; its age is judged by it too
    const b = await takeBackup(rt.deps);
    const r = await run('db.backup-restore');
    expect(r.status, r.summary).toBe('pass');
    expect(r.summary).toMatch(/restored into .*_restore_check: \d+ tables, \d+ rows, every table's checksum matched the manifest/);
    const scratch = scratchDatabaseUrl(rt.config.DATABASE_URL).name;
    expect((await rt.deps.pool.query('SELECT 1 FROM pg_database WHERE datname = $1', [scratch])).rowCount).toBe(0); // dropped after
    // Another restore test holding the lock: this one does not touch the scratch database.
    const other = await rt.deps.pool.connect();
    try {
      await other.query(`SELECT pg_advisory_lock(hashtext('readiness:restore-check'))`);
      expect((await run('db.backup-restore')).summary).toBe('another restore test is running now (the scheduled job or another operator)');
      await other.query(`SELECT pg_advisory_unlock(hashtext('readiness:restore-check'))`);
    } finally {
      other.release();
    }
    await writeFile(b.path, Buffer.from('not the dump any more'));
    expect((await run('db.backup-restore')).summary).toMatch(/^restoring .* failed: .*does not match its manifest/);
    now = new Date('2025-06-13T14:00:00Z');
  });

  it('infra.prometheus fails unset or unreachable, fails on a target down or a rule missing, passes when all are there', async () => {
    expect((await run('infra.prometheus')).summary).toBe('PROMETHEUS_URL is not set: nobody is known to watch this system');
    let targets = [{ health: 'up', labels: { job: 'console' }, scrapeUrl: 'http://c/api/metrics' }, { health: 'down', labels: { job: 'workers' }, scrapeUrl: 'http://w/metrics', lastError: 'connection refused' }];
    let rules = ['HighDrawdown'];
    const server: Server = createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      if (req.url === '/api/v1/targets') return res.end(JSON.stringify({ status: 'success', data: { activeTargets: targets } }));
      if (req.url === '/api/v1/rules') return res.end(JSON.stringify({ status: 'success', data: { groups: [{ name: 'g', rules: rules.map((name) => ({ type: 'alerting', name, health: 'ok' })) }] } }));
      res.statusCode = 404;
      res.end('{}');
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      rt.deps.config.PROMETHEUS_URL = url;
      expect((await run('infra.prometheus')).summary).toBe('1 of 2 target(s) not up; 1 of 2 alert rule(s) of alerts.yml not loaded (Halted)');
      targets = [targets[0]!];
      rules = ['HighDrawdown', 'Halted'];
      expect(await run('infra.prometheus')).toMatchObject({ status: 'pass', summary: '1 target(s) up; all 2 alert rules of alerts.yml loaded' });
    } finally {
      await new Promise((ok) => server.close(ok));
    }
    expect((await run('infra.prometheus')).summary).toMatch(/^Prometheus at http:\/\/127\.0\.0\.1:\d+ cannot be asked: /);
    rt.deps.config.PROMETHEUS_URL = undefined;
  });

  it('infra.headroom passes with room, fails past the thresholds', async () => {
    expect((await run('infra.headroom')).status).toBe('pass');
    rt.deps.config.READINESS_MIN_DISK_FREE_PCT = 100;
    rt.deps.config.READINESS_MAX_REDIS_MEMORY_PCT = 0.000001;
    const r = await run('infra.headroom');
    expect(r.summary).toMatch(/% free, below 100 %; Redis uses .* % of its memory limit, above 0.000001 %$/);
    rt.deps.config.READINESS_MIN_DISK_FREE_PCT = 10;
    rt.deps.config.READINESS_MAX_REDIS_MEMORY_PCT = 80;
  });

  // ---- risk ----
  it('risk.position-limits: no price fails; a probe stopped by HALT fails; over the limit denied by the limit passes', async () => {
    expect((await run('risk.position-limits')).summary).toMatch(/^no stored price for any feed symbol/);
    await ingestBar(rt.deps, bar('SPY', '2025-06-13T13:55:00Z', '100'));
    await rt.deps.prisma.tradingStateRow.update({ where: { id: 1 }, data: { state: 'HALTED' } });
    expect((await run('risk.position-limits')).summary).toMatch(/^the probe was denied by TRADING_HALTED before the limits were reached/);
    await rt.deps.prisma.tradingStateRow.update({ where: { id: 1 }, data: { state: 'ACTIVE' } });
    const r = await run('risk.position-limits');
    expect(r.status, r.summary).toBe('pass');
    expect(r.summary).toMatch(/^denied by MAX_POSITION_(QTY|NOTIONAL): position would be/);
  });

  it('risk.stop-losses fails for an open position without a stop, passes once it has one', async () => {
    expect(await run('risk.stop-losses')).toMatchObject({ status: 'pass', summary: 'no open position' });
    await rt.deps.prisma.position.create({ data: { symbol: 'QQQ', qty: '5', avgCost: '100' } });
    expect((await run('risk.stop-losses')).summary).toBe('1 open position(s) without a stop-loss: QQQ');
    await rt.deps.prisma.position.update({ where: { symbol: 'QQQ' }, data: { stopPrice: '95' } });
    expect(await run('risk.stop-losses')).toMatchObject({ status: 'pass', summary: 'all 1 open position(s) have a stop armed' });
  });

  it('risk.breakers needs the watch running and a test trip on record', async () => {
    // The paper-record test's trip was at 2025-06-12; with the clock a year on, it is beyond 90 days.
    now = new Date('2026-06-15T14:00:00Z');
    expect((await run('risk.breakers')).summary).toBe('no equity snapshot: the breakers watch has never run; no breaker has tripped in the last 90 days: trip one on paper to see it work');
    await rt.deps.prisma.equitySnapshot.create({ data: { at: new Date(now.getTime() - 600_000), day: '2026-06-15', equity: '100000', cash: '100000', peak: '100000', dayStart: '100000' } });
    await audit('breaker.drawdown', '2026-06-01T15:00:00Z', 'system:breakers');
    expect((await run('risk.breakers')).summary).toBe('the breakers watch last ran 600 s ago (it runs every 15 s): are the workers with the risk role running?');
    await rt.deps.prisma.equitySnapshot.create({ data: { at: new Date(now.getTime() - 10_000), day: '2026-06-15', equity: '100000', cash: '100000', peak: '100000', dayStart: '100000' } });
    expect(await run('risk.breakers')).toMatchObject({ status: 'pass', summary: 'breakers watching (last 10 s ago); last test trip 2026-06-01T15:00:00.000Z (breaker.drawdown)' });
    now = new Date('2025-06-13T14:00:00Z');
  });

  // ---- the framework ----
  it('a check that throws is stored as fail with its message', async () => {
    await mkdir(path.join(dir, 'build/server'), { recursive: true });
    await symlink(path.join(dir, 'nowhere.js'), path.join(dir, 'build/server/page.js'));
    const r = await run('code.no-test-code');
    expect(r.status).toBe('fail');
    expect(r.summary).toMatch(/^the check could not run: ENOENT/);
    expect((await latest('code.no-test-code')).evidence).toMatchObject({ error: expect.stringContaining('ENOENT') });
  });

  it('the report shows each latest result with its age, stale past its window (READINESS_WINDOWS overrides it)', async () => {
    let r = await readinessReport(rt.deps);
    const part = r.items.find((i) => i.id === 'db.partitions')!;
    expect(part).toMatchObject({ status: 'pass', ranBy: 'test@example.com', trigger: 'manual', windowSeconds: 86_400, ageSeconds: expect.any(Number) });
    now = new Date(Date.parse(part.finishedAt!) + 86_401_000);
    r = await readinessReport(rt.deps);
    const stale = r.items.find((i) => i.id === 'db.partitions')!;
    expect(stale.status).toBe('stale');
    expect(stale.summary).toMatch(/^last result \(pass\) is .* old, older than its 24 h window: every partitioned table/);
    rt.deps.config.READINESS_WINDOWS = 'db.partitions=8d';
    r = await readinessReport(rt.deps);
    expect(r.items.find((i) => i.id === 'db.partitions')).toMatchObject({ status: 'pass', windowSeconds: 8 * 86_400 });
    expect(r.ready).toBe(false);
    rt.deps.config.READINESS_WINDOWS = undefined;
  });

  it('the default environment is the checkout found upwards from the working directory', () => {
    const root = path.resolve(import.meta.dirname, '..');
    expect(defaultReadinessEnv(path.join(root, 'apps/console/src'))).toEqual({ repoDir: root, consoleBuildDir: path.join(root, 'apps/console/.next'), alertsFile: path.join(root, 'ops/alerts.yml') });
  });
});
