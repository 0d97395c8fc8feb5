// `ai-trader readiness`, `readiness run` and `broker go-live|go-paper|status` as processes: exit codes, the printed
// status words and what to do, the JSON report, and the live switch refused (exit 1, nothing changed) until every
// check is pass, then allowed and audited.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRuntime, type TestRuntime } from '@ai-trader/adapters/testing';
import { READINESS_CHECK_IDS, ZReadinessReport } from '@ai-trader/contracts';
import { brokerAccountMode } from '@ai-trader/core';
import { runCli } from './helpers/processes.ts';

describe('ai-trader readiness and broker', () => {
  let rt: TestRuntime;
  let env: Record<string, string>;
  beforeAll(async () => {
    rt = await createTestRuntime('readinesscli');
    env = {
      DATABASE_URL: rt.config.DATABASE_URL, REDIS_URL: rt.config.REDIS_URL, REDIS_PREFIX: rt.config.REDIS_PREFIX, REPLAY_DATA_DIR: rt.config.REPLAY_DATA_DIR,
      LOG_LEVEL: 'warn', LOG_STORE: 'false', LOG_DIR: 'off', NO_COLOR: '1',
    };
  });
  afterAll(async () => rt?.cleanup());

  it('readiness: every check not run, what to do, exit 1; --json is the report', async () => {
    const r = await runCli(['readiness'], env);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('NOT-RUN paper.record');
    expect(r.stdout).toContain('to do: run it: ai-trader readiness run paper.record');
    expect(r.stdout).toContain(`NOT READY: 0 pass, 0 fail, 0 stale, ${READINESS_CHECK_IDS.length} not run; broker account: paper`);
    const j = await runCli(['readiness', '--json'], env);
    expect(ZReadinessReport.parse(JSON.parse(j.stdout))).toMatchObject({ ready: false, account: 'paper' });
  });

  it('readiness run CHECK: stored with who ran it; an unknown check is a usage error', async () => {
    const r = await runCli(['readiness', 'run', 'risk.stop-losses', 'apis.broker'], env);
    expect(r.status).toBe(1); // apis.broker fails on the sim
    expect(r.stdout).toMatch(/^PASS\s+risk\.stop-losses\s+no open position/m);
    expect(r.stdout).toMatch(/^FAIL\s+apis\.broker\s+BROKER=sim: no broker account to trade live with/m);
    const stored = await rt.deps.prisma.readinessResult.findFirstOrThrow({ where: { check: 'risk.stop-losses' } });
    expect(stored).toMatchObject({ status: 'pass', trigger: 'cli', ranBy: expect.stringMatching(/^cli:/) });
    const bad = await runCli(['readiness', 'run', 'nope'], env);
    expect(bad.status).toBe(2);
    expect(bad.stdout + bad.stderr).toContain("unknown check 'nope'");
  });

  it('broker go-live: needs --confirm and a reason; refused while not all pass; allowed and audited when all pass', async () => {
    expect((await runCli(['broker', 'go-live', '--reason', 'go live'], env)).status).toBe(2);
    const refused = await runCli(['broker', 'go-live', '--confirm', '--reason', 'go live'], env);
    expect(refused.status).toBe(1);
    expect(refused.stdout + refused.stderr).toContain('refused: readiness is not all pass and fresh');
    expect(await brokerAccountMode(rt.deps)).toBe('paper');
    const at = new Date();
    for (const id of READINESS_CHECK_IDS)
      await rt.deps.prisma.readinessResult.create({ data: { check: id, status: 'pass', summary: 'ok', evidence: {}, ranBy: 'test', trigger: 'manual', startedAt: at, finishedAt: at, durationMs: 1 } });
    const ok = await runCli(['broker', 'go-live', '--confirm', '--reason', 'all pass'], env);
    expect(ok.stdout).toContain('broker account: LIVE (audited as broker.go-live)');
    expect(ok.status).toBe(0);
    expect((await runCli(['broker', 'status'], env)).stdout).toContain('account: live; readiness: all pass');
    expect((await runCli(['broker', 'go-paper', '--reason', 'back to paper'], env)).stdout).toContain('broker account: paper');
    expect((await rt.deps.prisma.auditLog.findMany({ where: { action: { startsWith: 'broker.go-' } }, orderBy: { seq: 'asc' } })).map((a) => a.action)).toEqual(['broker.go-live', 'broker.go-paper']);
  });
});
