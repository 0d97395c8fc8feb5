import { describe, expect, it } from 'vitest';
import { dec } from '../money.ts';
import { checkExit, exitLevels, type ArmedPosition } from './exits.ts';

const bar = (high: string, low: string) => ({ high: dec(high), low: dec(low) });
const armed = (o: Partial<Record<keyof ArmedPosition, string | null>>): ArmedPosition => ({
  qty: dec(o.qty ?? '10'),
  stopPrice: o.stopPrice ? dec(o.stopPrice) : null,
  targetPrice: o.targetPrice ? dec(o.targetPrice) : null,
  trailPct: o.trailPct ? dec(o.trailPct) : null,
  highWater: o.highWater ? dec(o.highWater) : null,
});

describe('exitLevels', () => {
  it('prices the stop and the target from the entry, to the cent', () => {
    const l = exitLevels(dec('123.45'), { stopLossPct: 2, takeProfitPct: 4.5, trailingStopPct: 3 });
    expect(l.stopLoss!.toFixed()).toBe('120.98'); // 123.45 × 0.98 = 120.981
    expect(l.takeProfit!.toFixed()).toBe('129.01'); // 123.45 × 1.045 = 129.00525
    expect(l.trailPct!.toFixed()).toBe('3');
  });
  it('arms nothing without rules', () => {
    expect(exitLevels(dec(100), undefined)).toEqual({ stopLoss: null, takeProfit: null, trailPct: null });
    expect(exitLevels(dec(100), { takeProfitPct: 5 })).toMatchObject({ stopLoss: null, trailPct: null });
  });
});

describe('checkExit', () => {
  it('triggers the stop-loss when the low reaches it (equal counts)', () => {
    expect(checkExit(armed({ stopPrice: '98' }), bar('101', '98.01')).trigger).toBeNull();
    expect(checkExit(armed({ stopPrice: '98' }), bar('101', '98')).trigger).toMatchObject({ reason: 'stop_loss' });
  });
  it('triggers the take-profit when the high reaches it', () => {
    expect(checkExit(armed({ targetPrice: '104' }), bar('103.99', '100')).trigger).toBeNull();
    expect(checkExit(armed({ targetPrice: '104' }), bar('104', '100')).trigger?.reason).toBe('take_profit');
  });
  it('assumes the worst inside one bar: the stop before the target', () => {
    expect(checkExit(armed({ stopPrice: '98', targetPrice: '104' }), bar('105', '97')).trigger?.reason).toBe('stop_loss');
  });
  it('trails the highest price and exits when the low falls the given % under it', () => {
    let p = armed({ trailPct: '5', highWater: '100' });
    let c = checkExit(p, bar('110', '106'));
    expect(c.trigger).toBeNull(); // 5 % under 100 is 95
    expect(c.highWater!.toFixed()).toBe('110');
    p = { ...p, highWater: c.highWater };
    c = checkExit(p, bar('108', '104.6'));
    expect(c.trigger).toBeNull(); // 5 % under 110 is 104.50
    c = checkExit(p, bar('108', '104.5'));
    expect(c.trigger).toMatchObject({ reason: 'trailing_stop' });
    expect(c.trigger!.level.toFixed()).toBe('104.5');
  });
  it('does not let the bar that makes a new high also stop it out on that high', () => {
    // previous high-water 100 (trail 5 % → 95); this bar goes to 120 then down to 96: not triggered on 114.
    const c = checkExit(armed({ trailPct: '5', highWater: '100' }), bar('120', '96'));
    expect(c.trigger).toBeNull();
    expect(c.highWater!.toFixed()).toBe('120');
  });
  it('does nothing for a flat position', () => {
    expect(checkExit(armed({ qty: '0', stopPrice: '98' }), bar('100', '90')).trigger).toBeNull();
  });
});
