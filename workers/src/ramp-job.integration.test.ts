// The capital ramp's scheduled job through the scheduler role's workers (real Redis, BullMQ, Postgres): the run reads
// CAPITAL_RAMP_FILE and evaluates (here: starts the ramp, audited as system:ramp); with the file made bad, the run
// fails at once with the file's line and reason (no retry) and the stored step is left as it was.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRuntime, type TestRuntime } from '@ai-trader/adapters/testing';
import { parseJobDefinitions } from '@ai-trader/adapters';
import { readRampState, runsOf, triggerJob } from '@ai-trader/core';
import { startPipeline, type Pipeline } from './pipeline.ts';

const DEFS = parseJobDefinitions(
  `jobs:
  ramp:
    description: the capital ramp's evaluation
    queue: ramp.evaluate
    retries: { attempts: 3, backoff: { type: fixed, delay: 50ms } }
`,
  'defs.yaml',
);
const RAMP = `enabled: true
steps:
  - { name: first, gross_exposure_pct_of_equity: 1, order_notional_pct_of_equity: 0.5, min_trading_days: 5 }
  - { name: second, gross_exposure_pct_of_equity: 2, order_notional_pct_of_equity: 1, min_trading_days: 5 }
`;

describe('ramp.evaluate job', () => {
  let rt: TestRuntime;
  let pipeline: Pipeline;
  const dir = mkdtempSync(path.join(tmpdir(), 'ramp-job-'));
  const file = path.join(dir, 'capital-ramp.yaml');

  beforeAll(async () => {
    writeFileSync(file, RAMP);
    rt = await createTestRuntime('rampjob', { CAPITAL_RAMP_FILE: file });
    pipeline = await startPipeline(rt, ['scheduler']);
  });
  afterAll(async () => {
    await pipeline?.close();
    await rt?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  async function settle(rootRunId: string) {
    const end = Date.now() + 60_000;
    for (;;) {
      const runs = await runsOf(rt.deps, rootRunId);
      if (runs.every((r) => ['succeeded', 'failed', 'skipped'].includes(r.status))) return runs;
      if (Date.now() > end) throw new Error(`runs of ${rootRunId} still ${runs.map((r) => `${r.job}:${r.status}`).join(', ')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it('evaluates the ramp of CAPITAL_RAMP_FILE; a bad file fails the run with its line, nothing changed', async () => {
    const ok = await settle((await triggerJob(rt.deps, DEFS, 'ramp', { trigger: 'manual' })).runId);
    expect(ok.map((r) => [r.job, r.status, r.error])).toEqual([['ramp', 'succeeded', null]]);
    expect(await readRampState(rt.deps.prisma)).toMatchObject({ enabled: true, stepName: 'first', maxGrossExposure: '1000.00', verdict: { kind: 'started' } });
    expect(await rt.deps.prisma.auditLog.count({ where: { action: 'ramp.set', actorEmail: 'system:ramp' } })).toBe(1);

    writeFileSync(file, RAMP.replace('gross_exposure_pct_of_equity: 2', 'gross_exposure_pct_of_equity: 2.5'));
    const bad = await settle((await triggerJob(rt.deps, DEFS, 'ramp', { trigger: 'manual' })).runId);
    expect(bad[0]).toMatchObject({ status: 'failed', attempts: 1 });
    expect(bad[0]!.error).toContain(`${file}:4:51: steps.1.gross_exposure_pct_of_equity: step "second" raises gross_exposure_pct_of_equity from 1 to 2.5 (×2.5), more than max_step_factor 2`);
    expect(await readRampState(rt.deps.prisma)).toMatchObject({ stepName: 'first', verdict: { kind: 'started' } });
  });
});
