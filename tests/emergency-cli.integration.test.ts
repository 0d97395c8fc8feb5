// The emergency verbs as processes, each checked by its real effect on the simulated broker and our books:
// emergency liquidate (refused without --confirm or --reason: exit 2; flat: exit 0; not flat: exit 1 with what is
// still open and why), orders cancel-all (state unchanged), emergency suspend|unsuspend, shutdown and shutdown --force.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRuntime, type TestRuntime } from '@ai-trader/adapters/testing';
import { getTradingState } from '@ai-trader/core';
import { seedSimBook } from './helpers/emergency-books.ts';
import { runCli } from './helpers/processes.ts';

describe('ai-trader emergency, orders, shutdown', () => {
  let rt: TestRuntime;
  let env: Record<string, string>;
  const state = async () => (await getTradingState(rt.deps.prisma)).state;
  const activate = () => rt.deps.prisma.$executeRaw`UPDATE trading_state SET state = 'ACTIVE' WHERE id = 1`;
  const openOrder = async (cid: string) => {
    const s = await rt.deps.prisma.signal.create({ data: { strategy: cid, symbol: 'S000', barTs: new Date('2025-06-04T13:00:00Z'), side: 'BUY', price: '100', detail: {} } });
    const d = await rt.deps.prisma.riskDecision.create({ data: { signalId: s.id, outcome: 'APPROVED', message: 'cli test' } });
    const i = await rt.deps.prisma.orderIntent.create({ data: { riskDecisionId: d.id, symbol: 'S000', side: 'BUY', qty: '1', refPrice: '100', isEntry: true, status: 'SUBMITTED' } });
    const o = await rt.deps.prisma.simOrder.create({ data: { clientOrderId: cid, symbol: 'S000', side: 'BUY', type: 'market', qty: '1', status: 'new', refPrice: '100' } });
    await rt.deps.prisma.order.create({ data: { intentId: i.id, clientOrderId: cid, brokerOrderId: o.id, broker: 'sim', symbol: 'S000', side: 'BUY', qty: '1', status: 'new' } });
  };

  beforeAll(async () => {
    rt = await createTestRuntime('emcli');
    env = { DATABASE_URL: rt.config.DATABASE_URL, REDIS_URL: rt.config.REDIS_URL, REDIS_PREFIX: rt.config.REDIS_PREFIX, LOG_LEVEL: 'warn', NO_COLOR: '1' };
    await seedSimBook(rt.deps, { positions: 3, openOrders: 4 });
  });
  afterAll(async () => rt?.cleanup());

  it('emergency liquidate refuses without --confirm or a reason (exit 2) and does nothing', async () => {
    const r = await runCli(['emergency', 'liquidate', '--reason', 'forgot to confirm'], env);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe('refusing to liquidate (it closes every position at the broker) without --confirm');
    expect((await runCli(['emergency', 'liquidate', '--confirm'], env)).status).toBe(2);
    expect((await runCli(['emergency', 'liquidate', '--confirm', '--reason', 'x'], env)).stderr).toMatch(/^--reason: say why, in at least 3 characters/);
    expect(await state()).toBe('ACTIVE');
    expect(await rt.deps.prisma.simPosition.count({ where: { qty: { not: 0 } } })).toBe(3);
  });

  it('emergency liquidate --confirm: prints the steps and the verified outcome; flat at the broker and in our books', async () => {
    const r = await runCli(['emergency', 'liquidate', '--confirm', '--reason', 'cli drill'], env);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines.map((l) => l.split(/\s+/).slice(0, 2).join(' '))).toEqual([
      '✓ halted', '✓ orders-cancelled', '✓ positions-closing', '✓ verified-flat', '✓ booked', 'FLAT, verified', 'new orders',
    ]);
    expect(lines[5]).toBe('FLAT, verified with the broker: 3 position(s) closed, 4 order(s) cancelled');
    expect(lines[6]).toMatch(/^new orders blocked after [\d.]+ ms; flat and verified after [\d.]+ ms; done after [\d.]+ ms; 4 broker call\(s\), 1 check\(s\); run [0-9a-f-]{36}$/);
    expect(await state()).toBe('HALTED');
    expect(await rt.deps.prisma.simPosition.count({ where: { qty: { not: 0 } } })).toBe(0);
    expect(await rt.deps.prisma.position.count({ where: { qty: { not: 0 } } })).toBe(0);
    expect(await rt.deps.prisma.auditLog.findFirstOrThrow({ where: { action: 'emergency.liquidate' } })).toMatchObject({ reason: 'cli drill', actorEmail: expect.stringMatching(/^cli:/) });

    const again = await runCli(['emergency', 'liquidate', '--confirm', '--reason', 'cli drill again', '--json'], env);
    expect(again.status).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ flat: true, nothingToDo: true, canceledOrders: 0, closing: [] });
  });

  it('orders cancel-all: every open order cancelled and verified; the state stays', async () => {
    await activate();
    await openOrder('ait-cli-open-1');
    const r = await runCli(['orders', 'cancel-all', '--reason', 'clear the book'], env);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('1 order(s) cancelled; the broker reports none open; trading state ACTIVE (unchanged)');
    expect(await state()).toBe('ACTIVE');
    expect((await rt.deps.prisma.order.findUniqueOrThrow({ where: { clientOrderId: 'ait-cli-open-1' } })).status).toBe('canceled');
    expect(await rt.deps.prisma.simOrder.count({ where: { status: 'new' } })).toBe(0);
    expect((await runCli(['orders', 'cancel-all'], env)).status).toBe(2); // no reason
  });

  it('emergency suspend / unsuspend: refused without --confirm; then the broker\'s switch, HALTED first', async () => {
    expect((await runCli(['emergency', 'suspend', '--reason', 'no confirm'], env)).status).toBe(2);
    const r = await runCli(['emergency', 'suspend', '--confirm', '--reason', 'broker-side stop'], env);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('trading SUSPENDED at the sim broker; trading state HALTED');
    expect((await rt.deps.prisma.simAccount.findUniqueOrThrow({ where: { id: 1 } })).suspendTrade).toBe(true);
    expect(await state()).toBe('HALTED');
    const u = await runCli(['emergency', 'unsuspend', '--confirm', '--reason', 'broker-side stop over', '--json'], env);
    expect(u.status).toBe(0);
    expect(JSON.parse(u.stdout)).toMatchObject({ broker: 'sim', suspended: false, changed: true, state: 'HALTED' });
    expect((await rt.deps.prisma.simAccount.findUniqueOrThrow({ where: { id: 1 } })).suspendTrade).toBe(false);
  });

  it('shutdown stops entries; shutdown --force HALTs and cancels what is open', async () => {
    await activate();
    const soft = await runCli(['shutdown', '--reason', 'end of day'], env);
    expect(soft.status, soft.stderr).toBe(0);
    expect(soft.stdout.trim()).toBe('entries stopped: REDUCING — exits still go out; the console keeps running');
    expect(await state()).toBe('REDUCING');
    await openOrder('ait-cli-open-2');
    const hard = await runCli(['shutdown', '--force', '--reason', 'stop everything'], env);
    expect(hard.status, hard.stderr).toBe(0);
    expect(hard.stdout).toContain('HALTED; 1 open order(s) cancelled; the broker reports none open');
    expect(await state()).toBe('HALTED');
    expect((await rt.deps.prisma.order.findUniqueOrThrow({ where: { clientOrderId: 'ait-cli-open-2' } })).status).toBe('canceled');
    const again = await runCli(['shutdown', '--reason', 'end of day'], env);
    expect(again.stdout.trim()).toBe('trading is already HALTED: nothing to stop (use --force to cancel open orders again)');
  });

  it('liquidate that cannot get flat (a closed market) exits 1 and says what is still open and why', async () => {
    await rt.deps.prisma.simPosition.update({ where: { symbol: 'S001' }, data: { qty: '5' } });
    await rt.deps.pool.query(`UPDATE sim_account SET "marketTs" = '2025-06-04T21:00:00Z' WHERE id = 1`);
    const r = await runCli(['emergency', 'liquidate', '--confirm', '--reason', 'after hours'], { ...env, LIQUIDATE_VERIFY_TIMEOUT_SECONDS: '0.3' });
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('NOT FLAT after the verification deadline: 1 position(s) and 1 order(s) still open');
    expect(r.stdout).toMatch(/^ {2}position S001 5 — closing order [0-9a-f-]{36} new, 0 of 5 filled; the simulated market is closed/m);
    expect(r.stdout).toMatch(/^✗ still-open/m);
  });
});
