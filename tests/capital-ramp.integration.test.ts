// The capital ramp against the real books (Postgres, Redis): the current step caps entries through checkRisk and
// the what-if (OrderDenied with the ramp's codes); the evaluation, on a fake clock, advances after a clean step with
// readiness green, holds (saying why) otherwise, and steps back after an injected incident — a breaker-trip alert,
// an emergency audit row, a drift alert. Every step change is an audit row. The evaluation's readiness is a stub of
// its interface; the production source (the readiness checks' results) is tested on its own below.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCapitalRamp } from '@ai-trader/adapters';
import { READINESS_CHECK_IDS } from '@ai-trader/contracts';
import { createTestRuntime, type TestRuntime } from '@ai-trader/adapters/testing';
import { checkRisk, evaluateRamp, ingestBar, raiseAlert, RampInputError, readinessChecks, readRampState, setRampStep, whatIfOrder, type Clock, type ReadinessSource } from '@ai-trader/core';

const bar = (symbol: string, ts: string, px: string) => ({ symbol, timeframe: '5m' as const, ts, open: px, high: px, low: px, close: px, volume: '1000', source: 'test' });

const RAMP = parseCapitalRamp(
  `enabled: true
max_step_factor: 2
steps:
  - { name: s1, gross_exposure_pct_of_equity: 10, order_notional_pct_of_equity: 5, min_trading_days: 2 }
  - { name: s2, gross_exposure_pct_of_equity: 20, order_notional_pct_of_equity: 10, min_trading_days: 2 }
  - { name: s3, gross_exposure_pct_of_equity: 40, order_notional_pct_of_equity: 20, min_trading_days: 3 }
`,
  'ramp.yaml',
);

describe('capital ramp', () => {
  let rt: TestRuntime;
  let now = new Date('2025-06-04T14:00:00Z'); // Wednesday 10:00 ET: the market is open
  const clock: Clock = { now: () => now };
  let green = true;
  const readiness: ReadinessSource = async () => (green ? { green: true, detail: 'all pass' } : { green: false, detail: 'apis.broker stale: last ran 3 days ago' });
  const evaluate = () => evaluateRamp(rt.deps, { ramp: RAMP, readiness });
  const audits = async () => (await rt.deps.prisma.auditLog.findMany({ where: { action: { startsWith: 'ramp.' } }, orderBy: { id: 'asc' } })).map((a) => `${a.action}: ${a.reason}`);

  beforeAll(async () => {
    rt = await createTestRuntime('ramp', { RISK_MAX_OPEN_ORDERS: '10', RISK_MAX_ORDERS_PER_MINUTE: '100', SIM_STARTING_CASH: '100000' });
    rt.deps.clock = clock;
    for (const s of ['SPY', 'QQQ', 'AAPL', 'MSFT']) await ingestBar(rt.deps, bar(s, '2025-06-04T13:55:00Z', '100'));
  });
  afterAll(async () => rt?.cleanup());

  let n = 0;
  const signal = (symbol: string, targetNotional: string | null) =>
    rt.deps.prisma.signal.create({ data: { strategy: `s${n}`, symbol, barTs: new Date(Date.parse('2025-06-04T13:55:00Z') - n++ * 300_000), side: 'BUY', price: '100', targetNotional, detail: {} } });

  it('off until its first evaluation; then the first step caps one order and the gross exposure', async () => {
    expect(await readRampState(rt.deps.prisma)).toBeNull();
    expect(await whatIfOrder(rt.deps, { symbol: 'SPY', side: 'BUY' })).toMatchObject({ wouldPass: true, qty: '100' }); // ORDER_NOTIONAL 10000

    const started = await evaluate();
    expect(started.verdict).toMatchObject({ kind: 'started', reason: 'ramp on: starts at step 1 "s1" with equity 100000.00' });
    expect(started.state).toMatchObject({ enabled: true, stepIndex: 0, stepName: 's1', maxGrossExposure: '10000.00', maxOrderNotional: '5000.00', equityAtStepStart: '100000' });
    expect(await audits()).toEqual(['ramp.set: ramp on: starts at step 1 "s1" with equity 100000.00: step 1 "s1" (gross ≤ 10000.00, order ≤ 5000.00)']);

    const over = await checkRisk(rt.deps, { signalId: (await signal('SPY', null)).id });
    expect(over).toMatchObject({ outcome: 'DENIED', reasonCode: 'RAMP_ORDER_NOTIONAL_CAP', message: 'order costs 10000.00, the capital ramp\'s step "s1" caps one order at 5000.00' });
    expect(await whatIfOrder(rt.deps, { symbol: 'SPY', side: 'BUY' })).toMatchObject({ wouldPass: false, code: 'RAMP_ORDER_NOTIONAL_CAP' });
    expect(await whatIfOrder(rt.deps, { symbol: 'SPY', side: 'BUY', notional: '4000' })).toMatchObject({ wouldPass: true, qty: '40' });

    expect(await checkRisk(rt.deps, { signalId: (await signal('SPY', '4000')).id })).toMatchObject({ outcome: 'APPROVED' });
    expect(await checkRisk(rt.deps, { signalId: (await signal('QQQ', '4000')).id })).toMatchObject({ outcome: 'APPROVED' });
    // 8000 working; another 4000 would make 12000 over the step's 10000.
    expect(await whatIfOrder(rt.deps, { symbol: 'AAPL', side: 'BUY', notional: '4000' })).toMatchObject({ wouldPass: false, code: 'RAMP_GROSS_EXPOSURE_CAP' });
    expect(await checkRisk(rt.deps, { signalId: (await signal('AAPL', '4000')).id })).toMatchObject({
      outcome: 'DENIED', reasonCode: 'RAMP_GROSS_EXPOSURE_CAP', message: 'gross exposure would be 12000.00, the capital ramp\'s step "s1" caps it at 10000.00',
    });
    expect(await checkRisk(rt.deps, { signalId: (await signal('AAPL', '2000')).id })).toMatchObject({ outcome: 'APPROVED' }); // exactly at the cap
  });

  it('holds until the step has its clean trading days and readiness is green, then advances (once)', async () => {
    now = new Date('2025-06-05T21:00:00Z'); // Thursday after the close: one whole session in the step
    expect((await evaluate()).verdict).toMatchObject({ kind: 'held', reason: '1 of 2 clean trading days', cleanTradingDays: 1 });
    now = new Date('2025-06-06T21:00:00Z'); // Friday: two
    green = false;
    expect((await evaluate()).verdict).toMatchObject({ kind: 'held', reason: 'readiness not green: apis.broker stale: last ran 3 days ago', cleanTradingDays: 2 });
    expect((await readRampState(rt.deps.prisma))?.verdict?.reason).toBe('readiness not green: apis.broker stale: last ran 3 days ago'); // stored for the console
    expect((await audits()).length).toBe(1); // a hold changes no step: no audit row

    green = true;
    const adv = await evaluate();
    expect(adv.verdict).toMatchObject({ kind: 'advanced', reason: '2 clean trading days, readiness green' });
    expect(adv.state).toMatchObject({ stepIndex: 1, stepName: 's2', maxGrossExposure: '20000.00', maxOrderNotional: '10000.00', stepStartedAt: now.toISOString() });
    expect((await audits()).at(-1)).toBe('ramp.advance: advanced step 1 "s1" (gross ≤ 10000.00, order ≤ 5000.00) → step 2 "s2" (gross ≤ 20000.00, order ≤ 10000.00): 2 clean trading days, readiness green');
    expect((await evaluate()).verdict).toMatchObject({ kind: 'held', reason: '0 of 2 clean trading days' }); // again: nothing more
  });

  it('steps back after a breaker trip, an emergency action or a drift in the step', async () => {
    now = new Date('2025-06-09T15:00:00Z'); // Monday 11:00 ET
    await raiseAlert(rt.deps, { key: 'breaker.daily_loss:2025-06-09', level: 'critical', source: 'risk', message: 'daily loss breaker: equity 98000.00 → REDUCING' });
    now = new Date('2025-06-09T21:00:00Z');
    const back = await evaluate();
    expect(back.verdict).toMatchObject({ kind: 'stepped-back', reason: 'breaker trip at 2025-06-09T15:00:00Z: daily loss breaker: equity 98000.00 → REDUCING' });
    expect(back.state).toMatchObject({ stepIndex: 0, stepName: 's1', stepStartedAt: now.toISOString() });
    expect((await audits()).at(-1)).toMatch(/^ramp\.step-back: stepped-back step 2 "s2" .* → step 1 "s1" .*: breaker trip at 2025-06-09T15:00:00Z/);
    expect((await evaluate()).verdict.kind).toBe('held'); // the incident belongs to the step it ended

    // An operator moves it up; an emergency action (an audit row, as haltTrading writes it) steps it back.
    const set = await setRampStep(rt.deps, { ramp: RAMP, step: 's3', actor: { id: 'u1', email: 'ops@example.com', role: 'admin' }, reason: 'tested on paper' });
    expect(set).toMatchObject({ stepIndex: 2, maxGrossExposure: '40000.00', verdict: { kind: 'set', reason: 'set by ops@example.com: tested on paper' } });
    expect((await audits()).at(-1)).toMatch(/^ramp\.set: step 1 "s1" .* → step 3 "s3" \(gross ≤ 40000\.00, order ≤ 20000\.00\): tested on paper$/);
    now = new Date('2025-06-10T14:00:00Z');
    await rt.deps.prisma.auditLog.create({ data: { at: now, actorId: 'u1', actorEmail: 'ops@example.com', action: 'trading.halt', reason: 'broker outage' } });
    now = new Date('2025-06-10T21:00:00Z');
    expect((await evaluate()).verdict).toMatchObject({ kind: 'stepped-back', reason: 'emergency at 2025-06-10T14:00:00Z: trading.halt by ops@example.com: broker outage' });
    expect((await readRampState(rt.deps.prisma))?.stepName).toBe('s2');

    now = new Date('2025-06-11T15:00:00Z');
    await raiseAlert(rt.deps, { key: 'reconcile.drift', level: 'critical', source: 'reconciliation', message: 'AAPL: ours 10, broker 12; entries stopped until an operator resumes' });
    now = new Date('2025-06-11T21:00:00Z');
    expect((await evaluate()).verdict).toMatchObject({ kind: 'stepped-back', reason: expect.stringMatching(/^drift at 2025-06-11T15:00:00Z: AAPL: ours 10/) });
    expect((await readRampState(rt.deps.prisma))?.stepName).toBe('s1');
    expect((await audits()).filter((a) => a.startsWith('ramp.step-back')).length).toBe(3);
  });

  it('in production readiness is the readiness checks: green only when all pass now and none failed in the step', async () => {
    const step = { since: new Date('2025-06-11T21:00:00Z'), now: new Date('2025-06-11T23:00:00Z') };
    now = step.now; // the report judges freshness at the deps clock
    const never = await readinessChecks(rt.deps, step);
    expect(never.green).toBe(false);
    expect(never.detail).toMatch(/^code\.no-test-code not-run: never run/);

    const result = (check: string, status: 'pass' | 'fail', at: string, summary = 'ok') => ({
      check, status, summary, evidence: {}, ranBy: 'test', trigger: 'manual', startedAt: new Date(at), finishedAt: new Date(at), durationMs: 1,
    });
    await rt.deps.prisma.readinessResult.createMany({ data: READINESS_CHECK_IDS.map((c) => result(c, 'pass', '2025-06-11T22:30:00Z')) });
    expect(await readinessChecks(rt.deps, step)).toEqual({ green: true, detail: 'every readiness check passed and is fresh' });
    // A failure during the step, passing again since: not green all through the step.
    await rt.deps.prisma.readinessResult.create({ data: result('db.backup-restore', 'fail', '2025-06-11T22:00:00Z', 'restore into the scratch database failed') });
    expect(await readinessChecks(rt.deps, step)).toEqual({
      green: false, detail: 'not green all through the step: db.backup-restore failed at 2025-06-11T22:00:00Z: restore into the scratch database failed',
    });
    expect((await readinessChecks(rt.deps, { ...step, since: new Date('2025-06-11T22:10:00Z') })).green).toBe(true); // before this step: not counted
    await rt.deps.prisma.readinessResult.deleteMany({});
  });

  it('refuses an unknown step; turning the ramp off in its file lifts the caps', async () => {
    const actor = { id: 'u1', email: 'ops@example.com', role: 'admin' as const };
    await expect(setRampStep(rt.deps, { ramp: RAMP, step: 4, actor, reason: 'why not' })).rejects.toThrow(new RampInputError('no step 4: the steps are 1 "s1", 2 "s2", 3 "s3"'));
    await expect(setRampStep(rt.deps, { ramp: { ...RAMP, enabled: false }, step: 1, actor, reason: 'x y z' })).rejects.toThrow(RampInputError);

    now = new Date('2025-06-12T14:00:00Z'); // in session again
    await ingestBar(rt.deps, bar('MSFT', '2025-06-12T13:55:00Z', '100'));
    expect(await whatIfOrder(rt.deps, { symbol: 'MSFT', side: 'BUY', notional: '6000' })).toMatchObject({ wouldPass: false, code: 'RAMP_ORDER_NOTIONAL_CAP' });
    const off = await evaluateRamp(rt.deps, { ramp: { ...RAMP, enabled: false }, readiness });
    expect(off).toMatchObject({ changed: true, verdict: { kind: 'disabled' }, state: { enabled: false } });
    expect((await audits()).at(-1)).toBe('ramp.set: turned off in the ramp file (enabled: false): no ramp caps from now');
    expect(await whatIfOrder(rt.deps, { symbol: 'MSFT', side: 'BUY', notional: '6000' })).toMatchObject({ wouldPass: true });
  });
});
