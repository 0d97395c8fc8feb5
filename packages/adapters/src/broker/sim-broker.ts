// The simulated broker: keeps its own books in Postgres (sim_* tables) as a real broker would, accepts
// market orders idempotently by client_order_id, and fills them at the open of the next bar it is shown.
import type { TBar, TTradeUpdate } from '@ai-trader/contracts';
import type { BrokerOpenOrder, BrokerPort, Clock, SubmitOrderAck, SubmitOrderRequest } from '@ai-trader/core';
import type { Db } from '@ai-trader/db';
import { dec, decStr } from '@ai-trader/domain';

const OPEN = ['new', 'partially_filled'] as const;

export class SimBroker implements BrokerPort {
  readonly name = 'sim';

  constructor(private readonly prisma: Db, private readonly clock: Clock, private readonly startingCash: string) {}

  async init(): Promise<void> {
    await this.prisma.simAccount.upsert({ where: { id: 1 }, create: { id: 1, cash: this.startingCash }, update: {} });
  }

  async submitOrder(req: SubmitOrderRequest): Promise<SubmitOrderAck> {
    const existing = await this.prisma.simOrder.findUnique({ where: { clientOrderId: req.clientOrderId } });
    if (existing) return existing.status === 'rejected' ? { brokerOrderId: existing.id, status: 'rejected', reason: 'rejected earlier' } : { brokerOrderId: existing.id, status: 'accepted' };
    const qty = dec(req.qty);
    const reject = qty.lte(0) ? `quantity ${req.qty} must be positive` : null;
    await this.prisma.simOrder.createMany({
      data: [{ clientOrderId: req.clientOrderId, symbol: req.symbol, side: req.side, type: req.type, qty: req.qty, status: reject ? 'rejected' : 'new' }],
      skipDuplicates: true,
    });
    const row = await this.prisma.simOrder.findUniqueOrThrow({ where: { clientOrderId: req.clientOrderId } });
    return row.status === 'rejected' ? { brokerOrderId: row.id, status: 'rejected', reason: reject ?? 'rejected' } : { brokerOrderId: row.id, status: 'accepted' };
  }

  async cancelAllOrders(): Promise<TTradeUpdate[]> {
    const at = this.clock.now();
    const canceled = await this.prisma.$queryRaw<{ id: string; clientOrderId: string }[]>`
      UPDATE sim_orders SET status = 'canceled', "updatedAt" = ${at}
      WHERE status IN ('new', 'partially_filled') RETURNING id, "clientOrderId"`;
    return canceled.map((o) => ({ event: 'canceled', clientOrderId: o.clientOrderId, brokerOrderId: o.id, at: at.toISOString(), reason: 'cancel all' }));
  }

  async listOpenOrders(): Promise<BrokerOpenOrder[]> {
    const rows = await this.prisma.simOrder.findMany({ where: { status: { in: [...OPEN] } }, orderBy: { createdAt: 'asc' } });
    return rows.map((o) => ({ clientOrderId: o.clientOrderId, brokerOrderId: o.id, symbol: o.symbol, side: o.side, qty: o.qty.toFixed(), filledQty: o.filledQty.toFixed() }));
  }

  /** Fills every open order of the bar's symbol at the bar's open, then reports all executions at that bar. */
  async onMarketBar(bar: TBar): Promise<TTradeUpdate[]> {
    const barTs = new Date(bar.ts);
    const price = dec(bar.open);
    await this.prisma.$transaction(async (tx) => {
      const open = await tx.$queryRaw<{ id: string }[]>`
        SELECT id FROM sim_orders WHERE symbol = ${bar.symbol} AND status IN ('new', 'partially_filled') ORDER BY "createdAt" FOR UPDATE`;
      for (const { id } of open) {
        const o = await tx.simOrder.findUniqueOrThrow({ where: { id } });
        const remaining = dec(o.qty.toString()).minus(o.filledQty.toString());
        if (remaining.lte(0)) continue;
        await tx.simExecution.create({ data: { simOrderId: o.id, qty: decStr(remaining), price: decStr(price), barTs, at: this.clock.now() } });
        await tx.simOrder.update({ where: { id: o.id }, data: { filledQty: o.qty, status: 'filled' } });
        const cashDelta = remaining.times(price).times(o.side === 'BUY' ? -1 : 1);
        await tx.$executeRaw`UPDATE sim_account SET cash = cash + ${decStr(cashDelta)}::numeric, "updatedAt" = now() WHERE id = 1`;
      }
    });
    const execs = await this.prisma.simExecution.findMany({ where: { barTs, simOrder: { symbol: bar.symbol } }, include: { simOrder: true }, orderBy: { at: 'asc' } });
    return execs.map((e) => ({
      event: dec(e.simOrder.filledQty.toString()).eq(e.simOrder.qty.toString()) ? 'fill' : 'partial_fill',
      clientOrderId: e.simOrder.clientOrderId,
      brokerOrderId: e.simOrderId,
      executionId: e.id,
      qty: e.qty.toFixed(),
      price: e.price.toFixed(),
      at: e.at.toISOString(),
    }));
  }
}
