// The capital ramp's pure parts: caps in money, whole trading days in a step, and the verdict.
import { describe, expect, it } from 'vitest';
import { dec } from '../money.ts';
import { decideRamp, rampCaps, tradingDaysWithin, type RampFacts } from './capital-ramp.ts';
import { checkPreTrade, type PreTradeInput } from './pre-trade.ts';

const step = (name: string, gross: number, order: number, days: number) => ({ name, gross_exposure_pct_of_equity: gross, order_notional_pct_of_equity: order, min_trading_days: days });

describe('capital ramp (pure)', () => {
  it('caps are percent of equity, to the cent', () => {
    const c = rampCaps(step('a', 1, 0.5, 5), dec('123456.78'));
    expect([c.maxGrossExposure.toFixed(2), c.maxOrderNotional.toFixed(2)]).toEqual(['1234.57', '617.28']);
  });

  it('counts whole New York sessions: a step begun mid-session counts from the next; weekends and holidays are not days', () => {
    const wed1000 = new Date('2025-06-04T14:00:00Z'); // Wed 10:00 ET
    expect(tradingDaysWithin(wed1000, new Date('2025-06-04T20:30:00Z'))).toBe(0); // the same day: begun after the open
    expect(tradingDaysWithin(wed1000, new Date('2025-06-05T19:59:00Z'))).toBe(0); // Thu 15:59 ET: not closed yet
    expect(tradingDaysWithin(wed1000, new Date('2025-06-05T20:00:00Z'))).toBe(1); // Thu's close
    expect(tradingDaysWithin(wed1000, new Date('2025-06-09T20:00:00Z'))).toBe(3); // Thu, Fri, Mon
    expect(tradingDaysWithin(new Date('2025-06-04T13:00:00Z'), new Date('2025-06-04T20:00:00Z'))).toBe(1); // begun before the open
    // Juneteenth 2025 (Thu) is a holiday; Friday 20th trades.
    expect(tradingDaysWithin(new Date('2025-06-18T22:00:00Z'), new Date('2025-06-20T21:00:00Z'))).toBe(1);
    expect(tradingDaysWithin(new Date('2025-07-03T16:00:00Z'), new Date('2025-07-03T17:00:00Z'))).toBe(0); // early close at 13:00, begun after the open
  });

  const facts = (over: Partial<RampFacts> = {}): RampFacts => ({
    stepIndex: 1, stepCount: 3, step: step('two', 2, 1, 2), stepStartedAt: new Date('2025-06-04T21:00:00Z'), now: new Date('2025-06-06T21:00:00Z'),
    incidents: [], readiness: { green: true, detail: 'all pass' }, ...over,
  });

  it('advances after min_trading_days clean with readiness green, and says why it holds otherwise', () => {
    expect(decideRamp(facts())).toEqual({ kind: 'advanced', toIndex: 2, reason: '2 clean trading days, readiness green', cleanTradingDays: 2 });
    expect(decideRamp(facts({ now: new Date('2025-06-05T21:00:00Z') }))).toMatchObject({ kind: 'held', toIndex: 1, reason: '1 of 2 clean trading days' });
    expect(decideRamp(facts({ readiness: { green: false, detail: 'apis.broker stale' } }))).toMatchObject({ kind: 'held', reason: 'readiness not green: apis.broker stale' });
    expect(decideRamp(facts({ stepIndex: 2 }))).toMatchObject({ kind: 'held', toIndex: 2, reason: 'at the last step "two" (2 clean trading days)' });
  });

  it('steps back one on any incident in the step; at the first step the step starts again', () => {
    const incidents = [
      { kind: 'breaker' as const, at: new Date('2025-06-05T15:00:00Z'), what: 'daily loss breaker' },
      { kind: 'drift' as const, at: new Date('2025-06-05T16:00:00Z'), what: 'qty drift' },
    ];
    expect(decideRamp(facts({ incidents }))).toMatchObject({ kind: 'stepped-back', toIndex: 0, reason: 'breaker trip at 2025-06-05T15:00:00Z: daily loss breaker (and 1 more)' });
    expect(decideRamp(facts({ incidents: incidents.slice(1), stepIndex: 0 }))).toMatchObject({ kind: 'stepped-back', toIndex: 0, reason: 'drift at 2025-06-05T16:00:00Z: qty drift; already at the first step, which starts again' });
  });

  it('pre-trade: an entry over the step\'s order cap or gross cap is denied with the ramp\'s codes; exits are never capped', () => {
    const base: PreTradeInput = {
      state: 'ACTIVE', side: 'BUY', price: dec(100), positionQty: dec(0), buyingPower: dec(100000), exposure: { gross: dec(0), net: dec(0) },
      limits: { orderNotional: dec(1000), maxPositionQty: dec(1000), maxPositionNotional: dec(100000), maxGrossExposure: dec(100000) },
      ramp: { step: 'week-1', maxGrossExposure: dec(1500), maxOrderNotional: dec(999) },
    };
    expect(checkPreTrade(base)).toEqual({ ok: false, code: 'RAMP_ORDER_NOTIONAL_CAP', message: 'order costs 1000.00, the capital ramp\'s step "week-1" caps one order at 999.00' });
    const roomy = { ...base, ramp: { ...base.ramp!, maxOrderNotional: dec(1000) } };
    expect(checkPreTrade(roomy)).toMatchObject({ ok: true });
    expect(checkPreTrade({ ...roomy, exposure: { gross: dec(600), net: dec(600) } })).toEqual({
      ok: false, code: 'RAMP_GROSS_EXPOSURE_CAP', message: 'gross exposure would be 1600.00, the capital ramp\'s step "week-1" caps it at 1500.00',
    });
    expect(checkPreTrade({ ...base, side: 'SELL', positionQty: dec(50) })).toMatchObject({ ok: true, isEntry: false });
    expect(checkPreTrade({ ...base, ramp: null })).toMatchObject({ ok: true });
  });
});
