// The ports use-cases talk through. Adapters (sim broker, Alpaca, feeds) implement them; tests wire the
// real ones (Postgres, Redis, the simulated broker), never mocks.
import type { TAlertDelivery, TAlertSinkName, TBar, TBrokerCause, TConfig, TJobName, TJobPayload, TLiveEvent, TOrderSide, TTimeframe, TTradeUpdate } from '@ai-trader/contracts';
import type { Db, PgPool } from '@ai-trader/db';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

export interface SubmitOrderRequest {
  clientOrderId: string;
  symbol: string;
  side: TOrderSide;
  qty: string;
  /** market, or a protective SELL that waits at the broker: stop (at stopPrice) or trailing_stop (trailPercent % under
   *  the highest price since it was placed). Only brokers with `protectiveStops` take the last two. */
  type: 'market' | 'stop' | 'trailing_stop';
  stopPrice?: string;
  trailPercent?: string;
  /** Default: the broker's setting for market orders (day); protective orders are sent gtc. */
  timeInForce?: 'day' | 'gtc';
  /** The market time the order was decided at (the signal's bar). A broker that simulates a market from bars fills
   *  it only on bars that begin after it; real brokers ignore it. */
  marketTs?: string;
  /** false: the order closes or protects a position. Under a request limit (Alpaca) only entries (the default) leave
   *  the reserve to exits, cancels and emergencies. */
  isEntry?: boolean;
}

export interface SubmitOrderAck {
  brokerOrderId: string;
  status: 'accepted' | 'rejected';
  /** For a rejection: the broker's words, and its cause in our terms. */
  reason?: string;
  cause?: TBrokerCause;
}

export interface BrokerOpenOrder {
  clientOrderId: string;
  brokerOrderId: string;
  symbol: string;
  side: TOrderSide;
  qty: string;
  filledQty: string;
  /** The broker's own word for where it stands (Alpaca: new, accepted, pending_cancel, …), where it gives one. */
  status?: string;
}

/** A position as the broker holds it (negative qty: short). */
export interface BrokerPosition {
  symbol: string;
  qty: string;
  avgEntryPrice?: string;
}

/** What the broker did for one position asked to be closed: the closing order it placed, or why it placed none. */
export interface ClosingOrderOutcome {
  symbol: string;
  /** The position's quantity as the broker held it when asked (negative: short), where it said. */
  positionQty?: string;
  ok: boolean;
  order?: BrokerOpenOrder & { status: string };
  reason?: string;
  /** The refusal may pass if asked again (the broker answered 5xx or 429 for this position). */
  retryable?: boolean;
}

export interface CloseAllOutcome {
  closing: ClosingOrderOutcome[];
  /** Executions of the closing orders the broker already reports (the sim fills at once in an open market). */
  fills: TTradeUpdate[];
  /** Open orders it cancelled on the way and reports (Alpaca's close-all does not say which). */
  canceled: TTradeUpdate[];
}

/** The account as the broker reports it; equity where it values the account itself (Alpaca does, the sim does not). */
export interface BrokerAccount {
  cash: string;
  buyingPower: string;
  equity?: string;
  currency?: string;
  /** The broker's word for the account (Alpaca: ACTIVE, ACCOUNT_UPDATED, …), where it gives one. */
  status?: string;
  /** New orders are refused at the broker (Alpaca: trading_blocked, account_blocked or trade_suspended_by_user). */
  tradingBlocked?: boolean;
  accountBlocked?: boolean;
  tradeSuspendedByUser?: boolean;
}

/** Room for one new order under the broker's request limit, taken ahead (BrokerPort.reserveOrderRequest). */
export interface OrderRequestSlot {
  /** Which account's limit it was taken from (a key rotation in between makes it unusable). */
  readonly account: string;
  /** performance.now() when it was taken. */
  readonly takenAt: number;
  /** Set by the request that used it: a slot pays for one request. */
  used: boolean;
}

export interface BrokerPort {
  readonly name: string;
  /** The broker keeps stop and trailing-stop orders working on its side: an entry's stop-loss or trailing stop is
   *  then also placed there as one protective SELL (see watch-exits.ts). The sim broker has none: its exits stay
   *  engine-only, so the backtest equals the replay. */
  readonly protectiveStops?: boolean;
  /** Idempotent by clientOrderId: a repeat returns the order the broker already has. `slot`: one taken ahead by
   *  reserveOrderRequest, used for this request if still fresh (else the call waits for the limit itself). */
  submitOrder(req: SubmitOrderRequest, slot?: OrderRequestSlot): Promise<SubmitOrderAck>;
  /** A broker whose requests are limited (Alpaca's per-minute limit): waits until the limit lets one new order go and
   *  takes that room for the submitOrder given the slot. A submission waits here, before it takes its locks — never
   *  while holding the trading-state lock a HALT has to wait for. A slot left unused for long is dropped. */
  reserveOrderRequest?(o?: { isEntry?: boolean }): Promise<OrderRequestSlot>;
  /** Cancels every open order at the broker; returns the cancellations as trade updates. */
  cancelAllOrders(): Promise<TTradeUpdate[]>;
  listOpenOrders(): Promise<BrokerOpenOrder[]>;
  /** Cancels one order and waits until the broker confirms: 'canceled' (it will not trade any more — also when it
   *  was already canceled, expired or rejected, or the broker never had it), 'not_open' (it filled before the cancel
   *  took; its fills come as trade updates). Throws when the broker cannot be reached or does not confirm in time. */
  cancelOrder?(clientOrderId: string): Promise<'canceled' | 'not_open'>;
  /** Prepares what the broker needs on a fresh database (idempotent). */
  init?(): Promise<void>;
  /** The broker's market clock, where it has one (Alpaca); without it the NYSE calendar at the order's bar time decides. */
  marketClock?(): Promise<{ isOpen: boolean; nextOpen: string | null; nextClose: string | null; /** the broker's own time, where it says */ at?: string | null }>;
  /** A broker that simulates a market from bars (the sim with replayed or synthetic bars): its market time, the start
   *  of the newest bar it was shown (null before the first). A what-if is judged at it instead of the wall clock. */
  marketTime?(): Promise<Date | null>;
  /** Whether the broker lets us trade the symbol, where it can tell. */
  isTradable?(symbol: string): Promise<boolean>;
  /** The account (cash, buying power, equity), where the broker can tell: `ai-trader status --account`. */
  account?(): Promise<BrokerAccount>;
  /** What the broker holds, where it can tell (reconciliation compares it with our books). */
  positions?(): Promise<BrokerPosition[]>;
  /** Emergency liquidation at the broker: every open order cancelled, then a closing market order per position
   *  (Alpaca DELETE /v2/positions?cancel_orders=true). Asking again with nothing open does nothing. */
  closeAllPositions?(): Promise<CloseAllOutcome>;
  /** The account's own trading switch (Alpaca suspend_trade): while suspended the broker refuses every new order,
   *  whatever our processes do. Returns the setting as the broker now reports it. */
  suspendTrading?(suspend: boolean): Promise<boolean>;
  isTradingSuspended?(): Promise<boolean>;
  /** Trade updates since a time for the given orders (reconciliation replays what our books missed). `fillsOf` (broker
   *  order id → client order id): only the fills of these orders are wanted, so the broker need look nothing up. */
  tradeUpdatesSince?(sinceIso: string, clientOrderIds: readonly string[], fillsOf?: ReadonlyMap<string, string>): Promise<TTradeUpdate[]>;
  /** Only brokers that simulate a market: match open orders against a new bar. */
  onMarketBar?(bar: TBar): Promise<TTradeUpdate[]>;
}

/** Where history comes from for a backfill: Polygon REST, or the replay files. */
export interface BarHistorySource {
  readonly name: string;
  /** Bars of one symbol for one New York trading day, in pages. */
  dayBars(symbol: string, day: string, timeframe: TTimeframe): AsyncIterable<TBar[]>;
  /** News mentioning the symbol published on that day, in pages (sources without news yield nothing). */
  dayNews(symbol: string, day: string): AsyncIterable<TNewsItem[]>;
  /** Requests made today against the provider's quota, where there is one. */
  usage?(): Promise<{ day: string; count: number; limit: number | null }>;
}

export interface TNewsItem {
  id: string;
  tickers: string[];
  title: string;
  publisher: string | null;
  author: string | null;
  publishedUtc: string;
  url: string;
  description: string | null;
  keywords: string[];
}

export interface Clock {
  now(): Date;
}
export const systemClock: Clock = { now: () => new Date() };

export interface JobSink {
  add<N extends TJobName>(name: N, payload: TJobPayload<N>): Promise<void>;
  /** Makes sure the job with this payload's natural id will run: added when missing, retried when it failed for
   *  good (or completed without effect); left alone while it waits or runs. */
  ensure<N extends TJobName>(name: N, payload: TJobPayload<N>): Promise<'queued' | 'retried' | 'present'>;
  /** A parent job that runs once all its children have finished (failed children do not block it). */
  addFlow<P extends TJobName, C extends TJobName>(parent: { name: P; payload: TJobPayload<P> }, children: { name: C; payload: TJobPayload<C> }[]): Promise<void>;
}

export interface EventBus {
  publish(kind: TLiveEvent['kind']): Promise<void>;
}

/** A provider API key in the clear: held in memory only, never logged or returned, stored sealed (api-keys.ts). */
export type ApiSecret = { provider: 'alpaca'; keyId: string; secretKey: string } | { provider: 'polygon'; apiKey: string };
export type AlpacaSecret = Extract<ApiSecret, { provider: 'alpaca' }>;
export type PolygonSecret = Extract<ApiSecret, { provider: 'polygon' }>;

export interface ApiProbeResult {
  ok: boolean;
  /** The provider answered (any HTTP status). */
  reachable: boolean;
  /** It took the key. */
  authorised: boolean;
  /** What it said, in words, never with the key. */
  detail: string;
  /** Provider clock minus ours, where it tells its time. */
  clockSkewMs: number | null;
}

/** Tries a key against its provider with cheap calls: Alpaca's account and clock, Polygon's market status. */
export interface ApiProbe {
  probe(secret: ApiSecret): Promise<ApiProbeResult>;
}

/**
 * The credentials a running client uses, looked up when needed: cached briefly, re-read at once when a rotation is
 * announced, so a swap reaches running processes without a restart. `refresh` skips the cache (after a refusal).
 */
export interface CredentialSource<T> {
  get(): Promise<T>;
  refresh(): Promise<T>;
  /** Called after the credentials changed (a rotation or rollback elsewhere); returns the unsubscribe. */
  onChange(listener: () => void): () => void;
}

/** One alert as a sink sends it: the delivery snapshot plus its time in New York, ready to print. */
export interface AlertMessage extends TAlertDelivery {
  /** e.g. "2025-06-04 10:05:03 EDT" */
  atNewYork: string;
}

/** Somewhere alerts go besides the console (adapters: webhook, Slack-compatible webhook, SMTP e-mail). */
export interface AlertSink {
  readonly name: TAlertSinkName;
  /** Where it sends, safe to print: no password, no token. */
  readonly target: string;
  /** Resolves once the receiver took the alert; throws AlertSinkError (message without secrets) otherwise. */
  send(alert: AlertMessage): Promise<void>;
  close?(): Promise<void>;
}

export class AlertSinkError extends Error {
  /** `permanent`: retrying cannot help (a 4xx refusal, a rejected address); otherwise the delivery is retried. */
  constructor(message: string, readonly permanent = false) {
    super(message);
    this.name = 'AlertSinkError';
  }
}

export interface Deps {
  config: TConfig;
  prisma: Db;
  /** Plain node-postgres, for COPY and DDL. */
  pool: PgPool;
  redis: Redis;
  history: BarHistorySource;
  jobs: JobSink;
  broker: BrokerPort;
  clock: Clock;
  logger: Logger;
  events: EventBus;
  apiProbe: ApiProbe;
  /** The configured alert sinks (none configured: empty; alerts then live on the console only). */
  alertSinks: AlertSink[];
}
