// Close every position on the simulated broker's books in one transaction (its answer to Alpaca's
// DELETE /v2/positions?cancel_orders=true): open orders cancelled, a closing market order per position, filled at once
// at the last price (± slippage) when the market is open, left open otherwise; refused while trading is suspended.
import { randomUUID } from 'node:crypto';
import type { ClosingOrderOutcome } from '@ai-trader/core';
import type { Db } from '@ai-trader/db';
import { applyFill, dec, decStr, ZERO } from '@ai-trader/domain';
import { fillPrice, marketClockAt, refusals } from './sim-model.ts';

export interface ClosedOnBooks {
  canceled: { id: string; clientOrderId: string }[];
  closing: ClosingOrderOutcome[];
  /** sim order ids filled at once (their executions are the fills to report). */
  filledIds: string[];
}

/** `bars`: market time is the last bar's (replay), else the clock's. */
export function closeAllOnBooks(prisma: Db, opts: { now: Date; bars: boolean; slippageBps: number }): Promise<ClosedOnBooks> {
  const { now, bars } = opts;
  return prisma.$transaction(async (tx) => {
    const [a] = await tx.$queryRaw<{ marketTs: Date | null; suspended: boolean }[]>`SELECT "marketTs", "suspendTrade" AS suspended FROM sim_account WHERE id = 1 FOR UPDATE`;
    if (!a) throw new Error('sim_account row is missing: SimBroker.init() creates it (bootstrapBooks at start-up)');
    const canceled = await tx.$queryRaw<{ id: string; clientOrderId: string }[]>`
      UPDATE sim_orders SET status = 'canceled', "updatedAt" = ${now} WHERE status IN ('new', 'partially_filled') RETURNING id, "clientOrderId"`;
    const marketAt = bars ? a.marketTs : now;
    const bound = bars && a.marketTs ? new Date(a.marketTs.getTime() + 5 * 60_000) : now;
    const held = await tx.$queryRaw<{ symbol: string; qty: string; avgCost: string; px: string | null }[]>`
      SELECT p.symbol, p.qty::text AS qty, p."avgCost"::text AS "avgCost",
             (SELECT q.close::text FROM (
                (SELECT ts, close FROM market_data_5m WHERE symbol = p.symbol AND ts <= ${bound} ORDER BY ts DESC LIMIT 1)
                UNION ALL
                (SELECT ts, close FROM market_data_1m WHERE symbol = p.symbol AND ts <= ${bound} ORDER BY ts DESC LIMIT 1)
              ) q ORDER BY q.ts DESC LIMIT 1) AS px
        FROM sim_positions p WHERE p.qty <> 0 ORDER BY p.symbol FOR UPDATE OF p`;
    const closing: ClosingOrderOutcome[] = [];
    if (a.suspended) {
      const r = refusals.suspended();
      for (const p of held) closing.push({ symbol: p.symbol, positionQty: dec(p.qty).toFixed(), ok: false, reason: `HTTP ${r.status}: ${r.message}` });
      return { canceled, closing, filledIds: [] as string[] };
    }
    const open = !!marketAt && marketClockAt(marketAt).isOpen;
    const orders = held.map((p) => {
      const qty = dec(p.qty);
      const side = qty.gt(0) ? ('SELL' as const) : ('BUY' as const);
      const price = p.px ? fillPrice(dec(p.px), side, opts.slippageBps) : null;
      const fill = open && price ? applyFill({ qty, avgCost: dec(p.avgCost), realizedPnl: ZERO }, { side, qty: qty.abs(), price }) : null;
      return { id: randomUUID(), clientOrderId: randomUUID(), symbol: p.symbol, side, qty: qty.abs(), positionQty: qty, price, fill };
    });
    if (orders.length) {
      await tx.$executeRaw`
        INSERT INTO sim_orders (id, "clientOrderId", symbol, side, type, qty, "filledQty", status, "refPrice", "updatedAt")
        SELECT o.id, o.cid, o.symbol, o.side::"OrderSide", 'market', o.qty, CASE WHEN o.filled THEN o.qty ELSE 0 END,
               (CASE WHEN o.filled THEN 'filled' ELSE 'new' END)::"OrderStatus", o.px, ${now}
          FROM unnest(${orders.map((o) => o.id)}::uuid[], ${orders.map((o) => o.clientOrderId)}::text[], ${orders.map((o) => o.symbol)}::text[],
                      ${orders.map((o) => o.side)}::text[], ${orders.map((o) => decStr(o.qty))}::numeric[], ${orders.map((o) => !!o.fill)}::boolean[],
                      ${orders.map((o) => (o.price ? decStr(o.price) : null))}::numeric[])
               AS o(id, cid, symbol, side, qty, filled, px)`;
    }
    const filled = orders.filter((o) => o.fill);
    if (filled.length) {
      const barTs = bars ? a.marketTs! : now;
      await tx.$executeRaw`
        INSERT INTO sim_executions (id, "simOrderId", qty, price, "barTs", at)
        SELECT gen_random_uuid(), o.id, o.qty, o.px, ${barTs}, ${now}
          FROM unnest(${filled.map((o) => o.id)}::uuid[], ${filled.map((o) => decStr(o.qty))}::numeric[], ${filled.map((o) => decStr(o.price!))}::numeric[]) AS o(id, qty, px)`;
      await tx.$executeRaw`UPDATE sim_positions SET qty = 0, "avgCost" = 0, "updatedAt" = ${now} WHERE symbol = ANY(${filled.map((o) => o.symbol)}::text[])`;
      const cash = filled.reduce((sum, o) => sum.plus(o.fill!.cashDelta), ZERO);
      await tx.$executeRaw`UPDATE sim_account SET cash = cash + ${decStr(cash)}::numeric, "updatedAt" = ${now} WHERE id = 1`;
    }
    for (const o of orders)
      closing.push({
        symbol: o.symbol, positionQty: o.positionQty.toFixed(), ok: true,
        order: { clientOrderId: o.clientOrderId, brokerOrderId: o.id, symbol: o.symbol, side: o.side, qty: o.qty.toFixed(), filledQty: o.fill ? o.qty.toFixed() : '0', status: o.fill ? 'filled' : 'new' },
      });
    return { canceled, closing, filledIds: filled.map((o) => o.id) };
  });
}
