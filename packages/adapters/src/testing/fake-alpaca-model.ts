// The fake Alpaca's vocabulary: its options and handles (FakeAlpaca), the order record it keeps (the spec's Order
// fields), and the small pure helpers its books use (market clock, calendar, ids).
import { randomUUID } from 'node:crypto';
import { CALENDAR_YEARS, etOffsetMinutes, regularSession, type Dec } from '@ai-trader/domain';

export interface FakeAlpacaAsset {
  symbol: string;
  tradable?: boolean; // default true
  status?: 'active' | 'inactive';
  shortable?: boolean;
  fractionable?: boolean;
}

export interface FakeClock {
  isOpen: boolean;
  nextOpen?: string; // ISO; default: an hour from now when closed, tomorrow when open
  nextClose?: string;
}

export interface FakeAlpacaOptions {
  keyId: string;
  secretKey: string;
  /** More key pairs accepted besides keyId/secretKey (see setKeys to change them while running). */
  extraKeys?: Array<{ keyId: string; secretKey: string }>;
  cash?: string; // starting cash (default 100000); a cash account: buying power = cash − open buy orders
  prices?: Record<string, string>; // market orders fill at these; symbols listed here are tradable assets
  assets?: FakeAlpacaAsset[];
  clock?: FakeClock; // default open
  /** When the market is closed: queue day orders for the open, as Alpaca does (default), or refuse them. */
  closedMarket?: 'queue' | 'reject';
  fillDelayMs?: number; // between accepting an order and filling it (default 0)
  /** POST /v2/orders is decided at once, its answer sent this many ms later (or uniformly in [min, max]); default 0. */
  orderAnswerDelayMs?: number | [number, number];
  positionLimitQty?: string; // refuse an order that would take |position| beyond this
  shorting?: boolean; // default false: selling more than is held is refused
  rateLimit?: { requests: number; windowMs: number } | null; // default Alpaca's 200 per 60 s; null = none
  textFrames?: boolean; // default false: binary frames, as paper sends
}

export interface FakeAlpacaRequest {
  method: string;
  path: string; // path + query
  keyOk: boolean;
  status: number | null; // null: no answer sent (black-holed, or still held back by orderAnswerDelayMs)
  at: number; // ms since epoch, sub-ms precision
  clientOrderId?: string;
}

export interface FakeAlpacaWsMessage {
  action: string;
  ok?: boolean; // auth: never the key or secret
  streams?: string[];
}

/** An order as the fake keeps it: the spec's Order fields. */
export interface FakeOrder {
  id: string; client_order_id: string; created_at: string; updated_at: string; submitted_at: string; filled_at: string | null;
  expired_at: string | null; canceled_at: string | null; failed_at: string | null; replaced_at: null; replaced_by: null; replaces: null;
  asset_id: string; symbol: string; asset_class: 'us_equity'; notional: null; qty: string; filled_qty: string; filled_avg_price: string | null;
  order_class: 'simple'; order_type: string; type: string; side: 'buy' | 'sell'; time_in_force: string; limit_price: string | null;
  stop_price: string | null; status: string; extended_hours: boolean; legs: null; trail_percent: string | null; trail_price: string | null;
  hwm: string | null; // trailing stops: the highest price seen since it was placed (its stop_price follows it)
}

export interface FakeAlpaca {
  restUrl: string;
  wsUrl: string;
  requests: FakeAlpacaRequest[];
  wsMessages: FakeAlpacaWsMessage[];
  wsConnections(): number;
  orders(): FakeOrder[];
  positions(): Array<{ symbol: string; qty: string; avgEntryPrice: string }>;
  cash(): string;
  /** Sets a symbol's price; open orders of the symbol that can now execute do: market orders, marketable limits, sell
   *  stops at or above the price, trailing stops whose high-water mark (raised by this price) less the trail reaches it. */
  setPrice(symbol: string, price: string): void;
  /** Sets the market clock; opening releases the orders queued while closed. */
  setClock(c: FakeClock): void;
  setAsset(a: FakeAlpacaAsset): void;
  /** The next order of `symbol` executes in these pieces, one partial fill each; what they leave stays open. */
  scriptFills(symbol: string, pieces: string[]): void;
  faults: {
    /** The next n requests (matching method / path prefix, if given) answer `status` (default 503) with an HTML page. */
    failNext(n: number, o?: { status?: number; method?: string; path?: string }): void;
    /** The next n requests answer 429, with Retry-After when given, and X-RateLimit-Reset that many seconds (or 1) ahead. */
    rateLimitNext(n: number, retryAfterSeconds?: number): void;
    /** The next n POST /v2/orders create their order and then drop the connection without answering. */
    blackholeNextOrders(n?: number): void;
    /** The next POST /v2/orders is refused with this status and body. */
    refuseNextOrder(status: number, body: { code?: number; message: string } & Record<string, unknown>): void;
  };
  /** duplicate: every event sent twice; reorder: an order's events held until it executes, then sent newest first. */
  setStreamFaults(f: { duplicate?: boolean; reorder?: boolean }): void;
  /** Drops every WebSocket without a close handshake. */
  dropStreams(): void;
  /** While unavailable, connections are refused (and events produced meanwhile are lost, as on the real stream). */
  setStreamAvailable(up: boolean): void;
  /** Any message, to every listening client. */
  pushRaw(msg: unknown): void;
  /** The key pairs accepted from now on, instead of the ones before (a rotation at the provider: an old key revoked,
   *  a new one issued). Streams already authorised stay connected, as with revoked keys at Alpaca. */
  setKeys(pairs: Array<{ keyId: string; secretKey: string }>): void;
  close(): Promise<void>;
}

export const OPEN = new Set(['new', 'partially_filled', 'accepted', 'pending_new', 'held', 'pending_cancel', 'pending_replace', 'accepted_for_bidding', 'stopped', 'suspended', 'calculated', 'done_for_day']);
export const TIFS = new Set(['day', 'gtc', 'opg', 'cls', 'ioc', 'fok']);
export const DECIMAL = /^\d+(\.\d+)?$/;
export const assetId = (symbol: string) => `00000000-0000-4000-8000-${Buffer.from(symbol.padEnd(6, '_')).toString('hex').slice(0, 12)}`;
export const nowIso = () => new Date().toISOString();
export const nonNegative = (v: Dec) => (v.lt(0) ? '0' : v.toFixed());

/** An instant as Alpaca's clock prints it: New York local time with its offset ("2025-06-24T14:15:22-04:00"). */
export function etIso(ms: number): string {
  const off = etOffsetMinutes(ms);
  const local = new Date(ms + off * 60_000).toISOString().slice(0, 19);
  const a = Math.abs(off);
  return `${local}${off < 0 ? '-' : '+'}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}

/** Regular session of a New York date (minutes), from the domain's NYSE calendar where it has the year, else weekdays. */
export function session(date: string): { open: number; close: number } | null {
  const y = Number(date.slice(0, 4));
  if (y >= CALENDAR_YEARS.first && y <= CALENDAR_YEARS.last) return regularSession(date);
  const wd = new Date(`${date}T12:00:00Z`).getUTCDay();
  return wd === 0 || wd === 6 ? null : { open: 570, close: 960 };
}
export const nextDay = (d: string) => new Date(Date.parse(`${d}T12:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
export const hhmm = (m: number, colon = true) => `${String(Math.floor(m / 60)).padStart(2, '0')}${colon ? ':' : ''}${String(m % 60).padStart(2, '0')}`;
/** "20220202135509981::<uuid>": the spec's activity id form, sortable by time. */
export const activityId = (iso: string) => `${iso.replace(/[-:TZ.]/g, '').slice(0, 17)}::${randomUUID()}`;
