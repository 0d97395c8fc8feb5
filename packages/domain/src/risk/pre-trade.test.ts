import { describe, expect, it } from 'vitest';
import { dec } from '../money.ts';
import { checkPreTrade, type PreTradeInput } from './pre-trade.ts';

const base: PreTradeInput = {
  state: 'ACTIVE',
  side: 'BUY',
  price: dec('600.25'),
  positionQty: dec(0),
  buyingPower: dec(100_000),
  limits: { orderNotional: dec(10_000), maxPositionQty: dec(1000), maxPositionNotional: dec(50_000) },
};

describe('checkPreTrade', () => {
  it('sizes an entry to the order notional, whole shares', () => {
    const d = checkPreTrade(base);
    expect(d).toMatchObject({ ok: true, isEntry: true });
    if (d.ok) expect(d.qty.toFixed()).toBe('16'); // 10000 / 600.25 = 16.66 → 16
  });

  it('denies everything when HALTED', () => {
    expect(checkPreTrade({ ...base, state: 'HALTED' })).toMatchObject({ ok: false, code: 'TRADING_HALTED' });
    expect(checkPreTrade({ ...base, state: 'HALTED', side: 'SELL', positionQty: dec(5) })).toMatchObject({ ok: false, code: 'TRADING_HALTED' });
  });

  it('allows exits but not entries when REDUCING', () => {
    expect(checkPreTrade({ ...base, state: 'REDUCING' })).toMatchObject({ ok: false, code: 'ENTRIES_STOPPED' });
    const exit = checkPreTrade({ ...base, state: 'REDUCING', side: 'SELL', positionQty: dec(7) });
    expect(exit).toMatchObject({ ok: true, isEntry: false });
    if (exit.ok) expect(exit.qty.toFixed()).toBe('7');
  });

  it('never sells what it does not hold', () => {
    expect(checkPreTrade({ ...base, side: 'SELL' })).toMatchObject({ ok: false, code: 'NO_POSITION_TO_EXIT' });
  });

  it('enforces max position quantity and notional', () => {
    expect(checkPreTrade({ ...base, positionQty: dec(990) })).toMatchObject({ ok: false, code: 'MAX_POSITION_QTY' });
    expect(checkPreTrade({ ...base, positionQty: dec(70) })).toMatchObject({ ok: false, code: 'MAX_POSITION_NOTIONAL' });
  });

  it('enforces buying power', () => {
    const d = checkPreTrade({ ...base, buyingPower: dec('9000') });
    expect(d).toMatchObject({ ok: false, code: 'INSUFFICIENT_BUYING_POWER' });
    if (!d.ok) expect(d.message).toContain('9000.00');
  });

  it('denies entries, but not exits, on stale market data', () => {
    expect(checkPreTrade({ ...base, dataStale: true })).toMatchObject({ ok: false, code: 'STALE_MARKET_DATA' });
    expect(checkPreTrade({ ...base, dataStale: true, side: 'SELL', positionQty: dec(3) })).toMatchObject({ ok: true, isEntry: false });
  });

  it('denies an order smaller than one share', () => {
    expect(checkPreTrade({ ...base, price: dec(20_000) })).toMatchObject({ ok: false, code: 'ORDER_TOO_SMALL' });
  });
});
