// A book to liquidate, the same on both sides: N positions and M open orders in our books (each order with its
// signal, decision and intent, as the real path writes them) and at the broker — the simulated broker's tables, or
// the fake Alpaca filled over its own REST API. Used by the emergency tests and bench/emergency-liquidate.bench.ts.
import { randomUUID } from 'node:crypto';
import type { Deps } from '@ai-trader/core';

export interface BookSpec {
  positions: number;
  openOrders: number;
  /** Market time of the prices (a regular-session bar start): the sim's market is open at it. */
  barTs?: string;
}

export const SESSION_BAR = '2025-06-04T14:00:00Z';
export const symbolOf = (i: number) => `S${String(i).padStart(3, '0')}`;
export const priceOf = (i: number) => `${100 + i}.25`;

interface OurOrder {
  clientOrderId: string;
  brokerOrderId: string;
  symbol: string;
  side: 'BUY' | 'SELL';
  qty: string;
}

/** Our books: positions (qty 10 at the price) and working orders (status new) with their decision chain. */
export async function seedOurBooks(deps: Pick<Deps, 'prisma'>, positions: Array<{ symbol: string; qty: string; avgCost: string }>, orders: OurOrder[], barTs = SESSION_BAR): Promise<void> {
  const p = deps.prisma;
  await p.position.createMany({ data: positions.map((x) => ({ symbol: x.symbol, qty: x.qty, avgCost: x.avgCost, realizedPnl: '0' })) });
  const rows = orders.map((o, i) => ({ o, signalId: randomUUID(), decisionId: randomUUID(), intentId: randomUUID(), barTs: new Date(Date.parse(barTs) - (i + 1) * 1000) }));
  await p.signal.createMany({ data: rows.map((r) => ({ id: r.signalId, strategy: 'seed', symbol: r.o.symbol, barTs: r.barTs, side: r.o.side, price: '100', detail: {} })) });
  await p.riskDecision.createMany({ data: rows.map((r) => ({ id: r.decisionId, signalId: r.signalId, outcome: 'APPROVED' as const, message: 'seeded' })) });
  await p.orderIntent.createMany({
    data: rows.map((r) => ({ id: r.intentId, riskDecisionId: r.decisionId, symbol: r.o.symbol, side: r.o.side, qty: r.o.qty, refPrice: '100', isEntry: r.o.side === 'BUY', status: 'SUBMITTED' as const })),
  });
  await p.order.createMany({
    data: rows.map((r) => ({
      intentId: r.intentId, clientOrderId: r.o.clientOrderId, brokerOrderId: r.o.brokerOrderId, broker: 'seed', symbol: r.o.symbol, side: r.o.side,
      qty: r.o.qty, status: 'new' as const, submittedAt: new Date(),
    })),
  });
}

/** The simulated broker holding the same book: bars (the last price), positions, open orders, market time in session. */
export async function seedSimBook(deps: Pick<Deps, 'prisma' | 'pool'>, spec: BookSpec): Promise<{ symbols: string[]; orders: OurOrder[] }> {
  const barTs = spec.barTs ?? SESSION_BAR;
  const symbols = Array.from({ length: spec.positions }, (_, i) => symbolOf(i));
  const values = symbols.map((s, i) => `('${s}', '${barTs}', ${priceOf(i)}, ${priceOf(i)}, ${priceOf(i)}, ${priceOf(i)}, 100000, 'seed')`).join(',');
  if (symbols.length) await deps.pool.query(`INSERT INTO market_data_5m (symbol, ts, open, high, low, close, volume, source) VALUES ${values}`);
  await deps.pool.query(`UPDATE sim_account SET "marketTs" = $1 WHERE id = 1`, [barTs]);
  await deps.prisma.simPosition.createMany({ data: symbols.map((s, i) => ({ symbol: s, qty: '10', avgCost: priceOf(i) })) });
  const orders: OurOrder[] = Array.from({ length: spec.openOrders }, (_, i) => ({
    clientOrderId: `ait-seed-${String(i).padStart(4, '0')}`, brokerOrderId: randomUUID(), symbol: symbolOf(i % Math.max(1, spec.positions)), side: 'BUY', qty: '1',
  }));
  await deps.prisma.simOrder.createMany({
    data: orders.map((o) => ({ id: o.brokerOrderId, clientOrderId: o.clientOrderId, symbol: o.symbol, side: o.side, type: 'market', qty: o.qty, status: 'new' as const, refPrice: '100', notBefore: new Date(barTs) })),
  });
  await seedOurBooks(deps, symbols.map((s, i) => ({ symbol: s, qty: '10', avgCost: priceOf(i) })), orders, barTs);
  return { symbols, orders };
}

/** The fake Alpaca holding the book (positions bought at market, orders as limit BUYs far under the price, so they
 *  stay open), filled through its REST API (not through our client: its limiter and counters stay untouched). */
export async function seedAlpacaBook(deps: Pick<Deps, 'prisma'>, fake: { restUrl: string }, keys: { keyId: string; secretKey: string }, spec: BookSpec): Promise<{ symbols: string[]; orders: OurOrder[] }> {
  const post = async (body: Record<string, unknown>) => {
    const r = await fetch(`${fake.restUrl}/v2/orders`, {
      method: 'POST', headers: { 'APCA-API-KEY-ID': keys.keyId, 'APCA-API-SECRET-KEY': keys.secretKey, 'content-type': 'application/json' }, body: JSON.stringify(body),
    });
    if (r.status !== 200) throw new Error(`seeding the fake Alpaca: ${r.status} ${await r.text()}`);
    return (await r.json()) as { id: string };
  };
  const symbols = Array.from({ length: spec.positions }, (_, i) => symbolOf(i));
  for (const s of symbols) await post({ symbol: s, qty: '10', side: 'buy', type: 'market', time_in_force: 'day', client_order_id: `seed-buy-${s}` });
  const orders: OurOrder[] = [];
  for (let i = 0; i < spec.openOrders; i++) {
    const o = { clientOrderId: `ait-seed-${String(i).padStart(4, '0')}`, symbol: symbolOf(i % Math.max(1, spec.positions)), side: 'BUY' as const, qty: '1' };
    const placed = await post({ symbol: o.symbol, qty: o.qty, side: 'buy', type: 'limit', limit_price: '1', time_in_force: 'gtc', client_order_id: o.clientOrderId });
    orders.push({ ...o, brokerOrderId: placed.id });
  }
  await seedOurBooks(deps, symbols.map((s, i) => ({ symbol: s, qty: '10', avgCost: priceOf(i) })), orders);
  return { symbols, orders };
}
