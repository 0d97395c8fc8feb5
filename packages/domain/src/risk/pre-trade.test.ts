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

  describe('every OrderDenied code, with its sentence', () => {
    const limits = { ...base.limits, maxGrossExposure: dec(100_000), maxNetExposure: dec(80_000), maxOpenOrders: 5, maxOrdersPerMinute: 10, priceCollarPct: 2 };
    const full = { ...base, limits, marketOpen: true, tradable: true, lastPrice: dec('600'), exposure: { gross: dec(0), net: dec(0) }, openOrders: 0, ordersLastMinute: 0, duplicate: false };
    const cases: [string, Partial<typeof full>, string][] = [
      ['MARKET_CLOSED', { marketOpen: false }, 'the market is closed: a market order would wait for the open at an unknown price'],
      ['MAX_ORDERS_PER_MINUTE', { ordersLastMinute: 10 }, '10 orders in the last minute, limit 10: a runaway loop is stopped here'],
      ['SYMBOL_NOT_TRADABLE', { tradable: false }, 'the broker does not allow trading this symbol'],
      ['PRICE_COLLAR', { lastPrice: dec('580') }, 'reference price 600.25 is 3.49 % from the last price 580, collar 2 %'],
      ['DUPLICATE_SIGNAL', { duplicate: true }, 'this strategy already has a working BUY for this symbol'],
      ['MAX_GROSS_EXPOSURE', { exposure: { gross: dec(95_000), net: dec(0) } }, 'gross exposure would be 104604.00, limit 100000.00'],
      ['MAX_NET_EXPOSURE', { exposure: { gross: dec(0), net: dec(75_000) } }, 'net exposure would be 84604.00, limit 80000.00'],
      ['MAX_OPEN_ORDERS', { openOrders: 5 }, '5 orders already working, limit 5'],
    ];
    it.each(cases)('%s', (code, patch, message) => {
      expect(checkPreTrade({ ...full, ...patch })).toEqual({ ok: false, code, message });
    });
    it('passes when every limit holds, and exits are not blocked by entry limits', () => {
      expect(checkPreTrade(full)).toMatchObject({ ok: true, isEntry: true });
      const exit = { ...full, side: 'SELL' as const, positionQty: dec(3), lastPrice: dec('1'), tradable: false, duplicate: true, openOrders: 99, exposure: { gross: dec(1e9), net: dec(1e9) } };
      expect(checkPreTrade(exit)).toMatchObject({ ok: true, isEntry: false });
      expect(checkPreTrade({ ...exit, marketOpen: false })).toMatchObject({ ok: false, code: 'MARKET_CLOSED' });
    });
  });
});
