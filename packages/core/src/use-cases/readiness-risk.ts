// Readiness check 6, risk: a what-if order over the position limit is denied by the limit (through the same facts and
// rules as a real decision), every open position has its stop armed (and placed at a broker that keeps stops), and
// the breakers are watching, configured, and have tripped at least once on the paper/simulated path.
import type { TDenyReason } from '@ai-trader/contracts';
import { dec } from '@ai-trader/domain';
import { latestCloses } from '../infra/latest-bars.ts';
import type { Deps } from '../ports.ts';
import { BREAKER_ACTOR } from './breakers.ts';
import { whatIfOrder } from './check-risk.ts';
import { expectedFeedSymbols } from './monitor-freshness.ts';
import { DAY, fail, pass, type ReadinessCheck } from './readiness-types.ts';

/** Denials that prove a limit held (a gate such as MARKET_CLOSED stops the order before the limits are reached). */
const LIMIT_CODES: readonly TDenyReason[] = ['MAX_POSITION_QTY', 'MAX_POSITION_NOTIONAL', 'MAX_GROSS_EXPOSURE', 'MAX_NET_EXPOSURE', 'RAMP_ORDER_NOTIONAL_CAP', 'RAMP_GROSS_EXPOSURE_CAP'] as TDenyReason[];

/** The breakers' watch runs every 15 s: a newer equity snapshot than this shows it is running. */
const BREAKER_WATCH_MAX_SILENCE_S = 300;
/** A test trip older than this no longer shows the breakers work as configured now. */
const TEST_TRIP_MAX_AGE_DAYS = 90;

export const positionLimitsCheck: ReadinessCheck = {
  id: 'risk.position-limits',
  group: 'risk',
  title: 'Position limits enforced (a what-if over the limit is denied)',
  windowSeconds: DAY,
  scheduled: false,
  remedy: 'check RISK_MAX_POSITION_QTY / RISK_MAX_POSITION_NOTIONAL and the risk engine; run the probe while the market is open and the feed fresh',
  async run(deps: Deps) {
    const c = deps.config;
    const symbols = expectedFeedSymbols(c);
    const last = await latestCloses(deps, symbols, '5m');
    const symbol = symbols.find((s) => last.has(s));
    if (!symbol) return fail(`no stored price for any feed symbol (${symbols.join(', ')}): nothing to probe with`, { symbols }, 'let the feed deliver bars (or backfill), then run the check again');
    const price = dec(last.get(symbol)!);
    // Twice the larger of the two limits: whatever is held already, the order alone breaks them.
    const notional = dec(c.RISK_MAX_POSITION_NOTIONAL).times(2).plus(dec(c.RISK_MAX_POSITION_QTY).plus(1).times(price).times(2)).toFixed(2);
    const a = await whatIfOrder(deps, { symbol, side: 'BUY', notional });
    const evidence = {
      probe: `BUY ${symbol} for ${notional} at ${price.toFixed()}`, maxPositionQty: c.RISK_MAX_POSITION_QTY, maxPositionNotional: c.RISK_MAX_POSITION_NOTIONAL,
      wouldPass: a.wouldPass, code: a.code, message: a.message, positionQty: a.facts.positionQty, state: a.facts.state,
    };
    if (a.wouldPass) return fail(`an order over the position limits would pass risk: ${a.message}`, evidence, 'the limits are not enforced: stop and look at the risk configuration before going live');
    if (!LIMIT_CODES.includes(a.code!))
      return fail(`the probe was denied by ${a.code} before the limits were reached (${a.message}): the limits were not tested`, evidence, 'run this check while trading is ACTIVE, the market open and the feed fresh');
    return pass(`denied by ${a.code}: ${a.message}`, evidence);
  },
};

export const stopLossesCheck: ReadinessCheck = {
  id: 'risk.stop-losses',
  group: 'risk',
  title: 'A stop-loss for every open position',
  windowSeconds: DAY,
  scheduled: false,
  remedy: 'give the strategies an exits config with a stop-loss or trailing stop, or close the unprotected positions (ai-trader positions close)',
  async run(deps: Deps) {
    const { rows } = await deps.pool.query<{ symbol: string; qty: string; stop: string | null; trail: string | null; working: number }>(
      `SELECT p.symbol, p.qty::text AS qty, p."stopPrice"::text AS stop, p."trailPct"::text AS trail,
              (SELECT count(*)::int FROM orders o JOIN order_intents i ON i.id = o."intentId"
                WHERE o.symbol = p.symbol AND i."orderType" IN ('stop', 'trailing_stop') AND o.status IN ('pending_new', 'new', 'partially_filled')) AS working
         FROM positions p WHERE p.qty <> 0 ORDER BY p.symbol`,
    );
    const atBroker = deps.broker.protectiveStops === true;
    const unarmed = rows.filter((r) => r.stop === null && r.trail === null);
    const unplaced = atBroker ? rows.filter((r) => (r.stop !== null || r.trail !== null) && r.working === 0) : [];
    const evidence = {
      openPositions: rows.length, broker: deps.broker.name, stopsAtBroker: atBroker,
      positions: rows.map((r) => `${r.symbol} ${r.qty}: ${r.stop ? `stop ${r.stop}` : r.trail ? `trailing ${r.trail} %` : 'no stop'}${atBroker ? `, ${r.working} protective order(s) working` : ''}`),
    };
    const problems = [
      ...(unarmed.length ? [`${unarmed.length} open position(s) without a stop-loss: ${unarmed.map((r) => r.symbol).join(', ')}`] : []),
      ...(unplaced.length ? [`${unplaced.length} position(s) whose stop is not working at ${deps.broker.name}: ${unplaced.map((r) => r.symbol).join(', ')}`] : []),
    ];
    if (problems.length) return fail(problems.join('; '), evidence);
    return pass(rows.length ? `all ${rows.length} open position(s) have a stop armed${atBroker ? ` and working at ${deps.broker.name}` : ''}` : 'no open position', evidence);
  },
};

export const breakersCheck: ReadinessCheck = {
  id: 'risk.breakers',
  group: 'risk',
  title: 'Circuit breakers and drawdown control configured, watching, test-tripped',
  windowSeconds: DAY,
  scheduled: false,
  remedy: 'run the workers with the risk role (its breakers watch), and trip a breaker once on paper (e.g. a replay with a small RISK_DAILY_LOSS_LIMIT), then resume with a reason',
  async run(deps: Deps) {
    const c = deps.config;
    const now = deps.clock.now();
    const [snap, trip] = await Promise.all([
      deps.prisma.equitySnapshot.findFirst({ orderBy: { id: 'desc' } }),
      deps.prisma.auditLog.findFirst({
        where: { OR: [{ action: { startsWith: 'breaker.' } }, { actorId: BREAKER_ACTOR.id }], at: { gte: new Date(now.getTime() - TEST_TRIP_MAX_AGE_DAYS * DAY * 1000) } },
        orderBy: { at: 'desc' },
      }),
    ]);
    const silence = snap ? Math.floor((now.getTime() - snap.at.getTime()) / 1000) : null;
    const evidence = {
      maxDrawdownPct: c.RISK_MAX_DRAWDOWN_PCT, dailyLossLimit: c.RISK_DAILY_LOSS_LIMIT, maxConsecutiveRejects: c.RISK_MAX_CONSECUTIVE_REJECTS, maxErrorRatePct: c.RISK_MAX_ERROR_RATE_PCT,
      lastEquitySnapshot: snap?.at.toISOString() ?? null, watchSilentSeconds: silence,
      lastTrip: trip ? `${trip.at.toISOString()} ${trip.action}: ${trip.reason ?? ''}` : null,
    };
    const problems: string[] = [];
    if (c.RISK_MAX_DRAWDOWN_PCT >= 100) problems.push('RISK_MAX_DRAWDOWN_PCT is 100: the drawdown breaker can never trip');
    if (dec(c.RISK_DAILY_LOSS_LIMIT).gte(c.SIM_STARTING_CASH) && c.BROKER === 'sim') problems.push('RISK_DAILY_LOSS_LIMIT is at least the whole starting cash: the daily-loss breaker can never trip');
    if (silence === null) problems.push('no equity snapshot: the breakers watch has never run');
    else if (silence > BREAKER_WATCH_MAX_SILENCE_S) problems.push(`the breakers watch last ran ${silence} s ago (it runs every 15 s): are the workers with the risk role running?`);
    if (!trip) problems.push(`no breaker has tripped in the last ${TEST_TRIP_MAX_AGE_DAYS} days: trip one on paper to see it work`);
    if (problems.length) return fail(problems.join('; '), evidence);
    return pass(`breakers watching (last ${silence} s ago); last test trip ${trip!.at.toISOString()} (${trip!.action})`, evidence);
  },
};
