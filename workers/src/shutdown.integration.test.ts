// The workers process closes cleanly on SIGTERM/SIGINT (exit 0) and nothing in flight is lost: after a
// restart the replay resumes from its cursor and every bar, signal, intent and order is accounted for.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestRuntime, maCrossStrategy, type TestRuntime } from '@ai-trader/adapters/testing';
import { pipelineIdle, seedStrategies } from '@ai-trader/core';

const root = path.resolve(import.meta.dirname, '../..');
const SLICE = { REPLAY_SYMBOLS: 'SPY,QQQ', REPLAY_START: '2025-06-04', REPLAY_END: '2025-06-05', REPLAY_PACING: 'realtime', REPLAY_SPEED: '6000' };

const running = new Set<ChildProcess>();

function startWorkers(rt: TestRuntime) {
  const c = rt.config;
  const env = {
    ...process.env, ...SLICE, DATABASE_URL: c.DATABASE_URL, REDIS_URL: c.REDIS_URL, REDIS_PREFIX: c.REDIS_PREFIX,
    REPLAY_DATA_DIR: c.REPLAY_DATA_DIR, LOG_LEVEL: 'info',
  };
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: path.join(root, 'workers'), env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  running.add(child);
  const exited = new Promise<{ code: number | null; out: string }>((resolve) => child.on('exit', (code) => {
    running.delete(child);
    resolve({ code, out });
  }));
  return { child, exited, output: () => out };
}

async function until(what: string, cond: () => Promise<boolean>, timeoutMs = 60_000) {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('workers shutdown', () => {
  let rt: TestRuntime;
  beforeEach(async () => {
    rt = await createTestRuntime('shutdown', SLICE);
    await seedStrategies(rt.deps, [maCrossStrategy(['SPY', 'QQQ'])]);
  });
  afterEach(async () => {
    // A failed assertion must not leave a workers process behind.
    for (const c of running) c.kill('SIGKILL');
    await rt?.cleanup();
  });

  it.each(['SIGTERM', 'SIGINT'] as const)('exits 0 on %s mid-replay and loses nothing across the restart', async (signal) => {
    const p = rt.deps.prisma;
    const before = await p.bar5m.count();
    const w = startWorkers(rt);
    await until('some bars to be ingested', async () => (await p.bar5m.count()) >= before + 20);
    w.child.kill(signal);
    const { code, out } = await w.exited;
    expect(code, out).toBe(0);
    expect(out).toContain('workers stopped cleanly');

    // Restart: the feed resumes after its cursor and the jobs left in Redis are processed.
    const again = startWorkers(rt);
    await until('the replay to finish', async () => again.output().includes('feed finished'), 90_000);
    await until('the pipeline to drain', async () => {
      const open = await p.orderIntent.count({ where: { status: 'PENDING' } });
      const undecided = await p.signal.count({ where: { decision: null } });
      const working = await p.order.count({ where: { status: { in: ['pending_new', 'new', 'partially_filled'] } } });
      // an order placed on the last bar waits for a next bar that never comes
      return open + undecided === 0 && working <= 2 && (await pipelineIdle(rt.queues.queues));
    });
    again.child.kill('SIGTERM');
    expect((await again.exited).code).toBe(0);

    expect(await p.bar5m.count()).toBe(312); // 2 symbols × 2 days × 78 bars, each exactly once
    const approved = await p.riskDecision.count({ where: { outcome: 'APPROVED' } });
    expect(await p.orderIntent.count()).toBe(approved);
    expect(await p.order.count()).toBe(await p.orderIntent.count({ where: { status: 'SUBMITTED' } }));
    const filled = await p.order.findMany({ where: { status: 'filled' }, include: { fills: true } });
    for (const o of filled) expect(o.fills.reduce((s, f) => s + Number(f.qty), 0)).toBe(Number(o.qty));
  });
});
