// `ai-trader ramp` as a process: status (off, then the step with its caps and last verdict), advance-check (the
// evaluation: starts the ramp), set-step (audited with the CLI's actor), and the errors a person can act on — an
// unknown step and a ramp file refused with its line and reason (exit 2, nothing changed).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRuntime, type TestRuntime } from '@ai-trader/adapters/testing';
import { readRampState } from '@ai-trader/core';
import { runCli } from './helpers/processes.ts';

const ON = `enabled: true
max_step_factor: 2
steps:
  - { name: first, gross_exposure_pct_of_equity: 1, order_notional_pct_of_equity: 0.5, min_trading_days: 5 }
  - { name: second, gross_exposure_pct_of_equity: 2, order_notional_pct_of_equity: 1, min_trading_days: 5 }
`;

describe('ai-trader ramp', () => {
  let rt: TestRuntime;
  let env: Record<string, string>;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ramp-cli-'));
  const file = path.join(dir, 'capital-ramp.yaml');
  const bad = path.join(dir, 'bad.yaml');
  const ramp = (...args: string[]) => runCli(['ramp', ...args], env);

  beforeAll(async () => {
    writeFileSync(file, ON);
    writeFileSync(bad, ON.replace('gross_exposure_pct_of_equity: 2', 'gross_exposure_pct_of_equity: 3'));
    rt = await createTestRuntime('rampcli');
    env = { DATABASE_URL: rt.config.DATABASE_URL, REDIS_URL: rt.config.REDIS_URL, REDIS_PREFIX: rt.config.REDIS_PREFIX, LOG_LEVEL: 'warn', NO_COLOR: '1', CAPITAL_RAMP_FILE: file };
  });
  afterAll(async () => {
    await rt?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('status, advance-check and set-step; a bad step or a bad file is exit 2 with the reason', async () => {
    const off = await ramp('status');
    expect(off.status, off.stderr).toBe(0);
    expect(off.stdout).toContain(`capital ramp  ${file}`);
    expect(off.stdout).toContain('OFF; max_step_factor 2: no ramp caps (only the RISK_* limits)');

    const started = await ramp('advance-check');
    expect(started.status, started.stderr).toBe(0);
    expect(started.stdout).toMatch(/^started: ramp on: starts at step 1 "first" with equity 100000\.00 \(.+Z\)\n {2}step 1 of 2 "first": gross exposure ≤ 1000\.00, one order ≤ 500\.00\n$/);

    const set = await ramp('set-step', 'second', '--reason', 'a clean week on paper');
    expect(set.status, set.stderr).toBe(0);
    expect(set.stdout.trim()).toBe('✓ ramp on step 2 of 2 "second": gross exposure ≤ 2000.00, one order ≤ 1000.00 (equity 100000)');
    const audit = await rt.deps.prisma.auditLog.findFirst({ where: { action: 'ramp.set' }, orderBy: { id: 'desc' } });
    expect(audit).toMatchObject({ actorEmail: expect.stringMatching(/^cli:/), reason: expect.stringContaining(': a clean week on paper') });

    const status = await ramp('status');
    expect(status.stdout).toContain('▶  2 second');
    expect(status.stdout).toContain('caps: gross exposure ≤ 2000.00 (now 0.00), one order ≤ 1000.00');
    expect(status.stdout).toMatch(/last: set: set by cli:.+: a clean week on paper/);
    expect(JSON.parse((await ramp('status', '--json')).stdout)).toMatchObject({ enabled: true, state: { stepName: 'second', maxOrderNotional: '1000.00' } });

    const unknown = await ramp('set-step', '7', '--reason', 'why not');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('no step 7: the steps are 1 "first", 2 "second"');

    const refused = await ramp('advance-check', '--file', bad);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain(`${bad}:5:51: steps.1.gross_exposure_pct_of_equity: step "second" raises gross_exposure_pct_of_equity from 1 to 3 (×3), more than max_step_factor 2`);
    const shown = await ramp('status', '--file', bad);
    expect(shown.status).toBe(0); // the status still answers, with the file's problem
    expect(shown.stdout).toContain('the file cannot be used (the stored step still applies)');
    expect((await readRampState(rt.deps.prisma))?.stepName).toBe('second'); // nothing changed by the refusals
  });
});
