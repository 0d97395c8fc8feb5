// The simulated market's rules, pure: fill prices with slippage, the volume a bar can fill, the NYSE market clock
// at an instant, the refusals in Alpaca's words, and the seeded draws of the fault injection.
import { createHash } from 'node:crypto';
import type { TBrokerCause, TConfig, TOrderSide } from '@ai-trader/contracts';
import { Dec, dec, etOffsetMinutes, regularSession, toEt } from '@ai-trader/domain';
import type Decimal from 'decimal.js';

/** BUY pays `bps` above the open, SELL receives `bps` below it; with slippage the price is rounded to the cent (half up). */
export function fillPrice(open: Decimal, side: TOrderSide, bps: number): Decimal {
  if (bps === 0) return open; // exactly the open, whatever its precision (the backtest fills there too)
  const factor = dec(bps).div(10_000);
  const raw = side === 'BUY' ? open.times(dec(1).plus(factor)) : open.times(dec(1).minus(factor));
  return raw.toDecimalPlaces(2, Dec.ROUND_HALF_UP);
}

/** Whole shares a bar can fill: `pct` % of its volume, rounded down. */
export function volumeCap(volume: string, pct: number): Decimal {
  return dec(volume).times(pct).div(100).floor();
}

export interface MarketClock {
  isOpen: boolean;
  nextOpen: string | null; // ISO UTC; null beyond the calendar's years
  nextClose: string | null;
}

/** The UTC instant of a New York wall time (date YYYY-MM-DD, minutes since midnight). */
function etInstant(date: string, minutes: number): Date {
  const local = Date.parse(`${date}T00:00:00Z`) + minutes * 60_000;
  // Sessions lie far from the 02:00 DST switch, so the offset a few hours later is the offset of that wall time.
  return new Date(local - etOffsetMinutes(local + 5 * 3_600_000) * 60_000);
}

const nextDate = (date: string) => new Date(Date.parse(`${date}T12:00:00Z`) + 86_400_000).toISOString().slice(0, 10);

/** The NYSE regular session at `now`: open or not, and the next open and close (as Alpaca's /v2/clock). */
export function marketClockAt(now: Date): MarketClock {
  const et = toEt(now);
  let date = et.date;
  let today: ReturnType<typeof regularSession>;
  try {
    today = regularSession(date);
  } catch {
    return { isOpen: false, nextOpen: null, nextClose: null }; // outside the calendar's years
  }
  const isOpen = !!today && et.minutes >= today.open && et.minutes < today.close;
  let nextOpen: string | null = null, nextClose: string | null = null;
  if (today && et.minutes < today.close) nextClose = etInstant(date, today.close).toISOString();
  if (today && et.minutes < today.open) nextOpen = etInstant(date, today.open).toISOString();
  try {
    for (let i = 0; i < 14 && (!nextOpen || !nextClose); i++) {
      date = nextDate(date);
      const s = regularSession(date);
      if (!s) continue;
      nextOpen ??= etInstant(date, s.open).toISOString();
      nextClose ??= etInstant(date, s.close).toISOString();
    }
  } catch {
    // the next session lies beyond the calendar: unknown
  }
  return { isOpen, nextOpen, nextClose };
}

/** A refusal: our cause and Alpaca's words for the same refusal (as AlpacaBroker reports them: "cause: message"). */
export interface Refusal {
  cause: TBrokerCause;
  message: string; // what Alpaca says (its classifier maps it to `cause`)
  status: number; // the HTTP status Alpaca answers it with
}

export const refusals = {
  badQty: (qty: string): Refusal => ({ cause: 'rejected', status: 422, message: `qty must be > 0 (got ${qty})` }),
  unknownAsset: (symbol: string): Refusal => ({ cause: 'not_tradable', status: 422, message: `asset "${symbol}" not found` }),
  marketClosed: (at: Date, nextOpen: string | null): Refusal => ({
    cause: 'market_closed', status: 422, message: `market is closed (sim market time ${at.toISOString()}${nextOpen ? `, next open ${nextOpen}` : ''})`,
  }),
  buyingPower: (buyingPower: Decimal, cost: Decimal): Refusal => ({
    cause: 'insufficient_buying_power', status: 403, message: `insufficient buying power (buying_power ${buyingPower.toFixed(2)}, cost_basis ${cost.toFixed(2)})`,
  }),
  // The sim account does not short. Alpaca answers a sell beyond what is held (and not already being sold) with
  // these words whether or not the account may short (it never turns long into short in one order); its
  // classifier calls that a plain refusal, so the sim does too.
  shortSale: (requested: Decimal, available: Decimal): Refusal => ({
    cause: 'rejected', status: 403, message: `insufficient qty available for order (requested: ${requested.toFixed()}, available: ${Dec.max(available, 0).toFixed()})`,
  }),
  positionLimit: (limit: string): Refusal => ({ cause: 'position_limit', status: 403, message: `position limit exceeded: |position| may not exceed ${limit} shares` }),
  // Alpaca's answer while the account owner has suspended trading (account configuration suspend_trade).
  suspended: (): Refusal => ({ cause: 'rejected', status: 403, message: 'new orders are rejected: trading is suspended by the account owner (suspend_trade)' }),
  injected: (rate: number): Refusal => ({ cause: 'rejected', status: 422, message: `order rejected by the simulated broker (fault injection, SIM_REJECT_RATE=${rate})` }),
};

/** An error of the sim broker that is not a refusal (the port's callers read `kind` as the cause). */
export class SimBrokerError extends Error {
  constructor(readonly kind: TBrokerCause, message: string) {
    super(message);
    this.name = 'SimBrokerError';
  }
}

/** A uniform draw in [0, 1) fixed by the seed and a key: the same order gets the same verdict on every run. */
export function seededDraw(seed: string, key: string): number {
  return createHash('sha256').update(`${seed}\u0000${key}`).digest().readUInt32BE(0) / 2 ** 32;
}

/** A seeded stream of uniform draws in [0, 1) (mulberry32): the n-th call of a run gets the same value every run. */
export function seededStream(seed: string): () => number {
  let a = createHash('sha256').update(seed).digest().readUInt32BE(0);
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** What the sim broker reads from the configuration. */
export interface SimBrokerOptions {
  startingCash: string;
  /** 'bars': the market's time is the newest bar the sim was shown (replay, synthetic: history played back);
   *  'clock': the Clock (a live feed), which risk then asks through marketClock(). */
  marketTime: 'bars' | 'clock';
  slippageBps: number;
  maxVolumePct: number;
  maxPositionQty: string | null;
  latencyMs: { min: number; max: number };
  rejectRate: number;
  failRate: number;
  faultSeed: string;
}

export function simBrokerOptions(config: TConfig): SimBrokerOptions {
  return {
    startingCash: config.SIM_STARTING_CASH,
    marketTime: config.FEED === 'polygon' ? 'clock' : 'bars',
    slippageBps: config.SIM_SLIPPAGE_BPS,
    maxVolumePct: config.SIM_MAX_VOLUME_PCT,
    maxPositionQty: config.SIM_MAX_POSITION_QTY ?? null,
    latencyMs: config.SIM_LATENCY_MS,
    rejectRate: config.SIM_REJECT_RATE,
    failRate: config.SIM_FAIL_RATE,
    faultSeed: config.SIM_FAULT_SEED,
  };
}
