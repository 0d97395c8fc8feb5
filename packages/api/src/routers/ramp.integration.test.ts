// The capital ramp's procedures over the real runtime: the status names the file's problem with its line instead
// of failing; set-step (admin) and evaluate (trader+) change the step through the audited use-cases; a ramp that is
// off or a step that does not exist is a BAD_REQUEST saying so.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRuntime, type TestRuntime } from '@ai-trader/adapters/testing';
import type { TActor } from '@ai-trader/contracts';
import { LiveHub } from '../live-hub.ts';
import { appRouter } from '../root.ts';

const admin: TActor = { id: 'a1', email: 'admin@example.com', role: 'admin' };
const trader: TActor = { id: 't1', email: 'trader@example.com', role: 'trader' };
const ON = `enabled: true
steps:
  - { name: small, gross_exposure_pct_of_equity: 2, order_notional_pct_of_equity: 1, min_trading_days: 3 }
  - { name: bigger, gross_exposure_pct_of_equity: 4, order_notional_pct_of_equity: 2, min_trading_days: 3 }
`;

describe('ramp procedures', () => {
  let rt: TestRuntime;
  let live: LiveHub;
  const dir = mkdtempSync(path.join(tmpdir(), 'ramp-api-'));
  const file = path.join(dir, 'capital-ramp.yaml');
  const caller = (actor: TActor) => appRouter.createCaller({ deps: rt.deps, live, actor });

  beforeAll(async () => {
    writeFileSync(file, ON);
    rt = await createTestRuntime('rampapi', { CAPITAL_RAMP_FILE: file });
    live = new LiveHub(rt.config.REDIS_URL, rt.config.REDIS_PREFIX);
  });
  afterAll(async () => {
    await live?.close();
    await rt?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('status, evaluate and set-step; the file\'s problem is shown with its line', async () => {
    expect(await caller(trader).ramp.status()).toMatchObject({ file, fileError: null, enabled: false, state: null, steps: [{ name: 'small' }, { name: 'bigger' }], grossExposure: '0.00' });
    expect(await caller(trader).ramp.evaluate()).toMatchObject({ changed: true, verdict: { kind: 'started' }, state: { stepName: 'small', maxGrossExposure: '2000.00' } });
    await expect(caller(trader).ramp.setStep({ step: 2, reason: 'looks fine' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(caller(admin).ramp.setStep({ step: 'huge', reason: 'looks fine' })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: 'no step "huge": the steps are 1 "small", 2 "bigger"' });
    expect(await caller(admin).ramp.setStep({ step: 'bigger', reason: 'looks fine' })).toMatchObject({ stepIndex: 1, maxOrderNotional: '2000.00', verdict: { kind: 'set' } });
    const s = await caller(trader).ramp.status();
    expect(s).toMatchObject({ enabled: true, state: { stepName: 'bigger' } });
    expect(s.history.map((h) => h.action)).toEqual(['ramp.set', 'ramp.set']);
    expect(s.history[0]).toMatchObject({ actorEmail: 'admin@example.com', reason: expect.stringContaining('→ step 2 "bigger" (gross ≤ 4000.00, order ≤ 2000.00): looks fine') });

    writeFileSync(file, ON.replace('gross_exposure_pct_of_equity: 4', 'gross_exposure_pct_of_equity: 9'));
    const bad = await caller(trader).ramp.status();
    expect(bad.fileError).toBe(`${file}:4:51: steps.1.gross_exposure_pct_of_equity: step "bigger" raises gross_exposure_pct_of_equity from 2 to 9 (×4.5), more than max_step_factor 2`);
    expect(bad.state?.stepName).toBe('bigger'); // the stored step still applies
    await expect(caller(admin).ramp.setStep({ step: 1, reason: 'back down' })).rejects.toMatchObject({ code: 'PRECONDITION_FAILED', message: bad.fileError });

    writeFileSync(file, ON.replace('enabled: true', 'enabled: false'));
    await expect(caller(admin).ramp.setStep({ step: 1, reason: 'back down' })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('the capital ramp is off') });
  });
});
