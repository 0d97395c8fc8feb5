// The ports use-cases talk through. Adapters (sim broker, Alpaca, feeds) implement them; tests wire the
// real ones (Postgres, Redis, the simulated broker), never mocks.
import type { TBar, TConfig, TJobName, TJobPayload, TLiveEvent, TOrderSide, TTradeUpdate } from '@ai-trader/contracts';
import type { Db } from '@ai-trader/db';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

export interface SubmitOrderRequest {
  clientOrderId: string;
  symbol: string;
  side: TOrderSide;
  qty: string;
  type: 'market';
}

export interface SubmitOrderAck {
  brokerOrderId: string;
  status: 'accepted' | 'rejected';
  reason?: string;
}

export interface BrokerOpenOrder {
  clientOrderId: string;
  brokerOrderId: string;
  symbol: string;
  side: TOrderSide;
  qty: string;
  filledQty: string;
}

export interface BrokerPort {
  readonly name: string;
  /** Idempotent by clientOrderId: a repeat returns the order the broker already has. */
  submitOrder(req: SubmitOrderRequest): Promise<SubmitOrderAck>;
  /** Cancels every open order at the broker; returns the cancellations as trade updates. */
  cancelAllOrders(): Promise<TTradeUpdate[]>;
  listOpenOrders(): Promise<BrokerOpenOrder[]>;
  /** Prepares what the broker needs on a fresh database (idempotent). */
  init?(): Promise<void>;
  /** Only brokers that simulate a market: match open orders against a new bar. */
  onMarketBar?(bar: TBar): Promise<TTradeUpdate[]>;
}

export interface Clock {
  now(): Date;
}
export const systemClock: Clock = { now: () => new Date() };

export interface JobSink {
  add<N extends TJobName>(name: N, payload: TJobPayload<N>): Promise<void>;
}

export interface EventBus {
  publish(kind: TLiveEvent['kind']): Promise<void>;
}

export interface Deps {
  config: TConfig;
  prisma: Db;
  redis: Redis;
  jobs: JobSink;
  broker: BrokerPort;
  clock: Clock;
  logger: Logger;
  events: EventBus;
}
