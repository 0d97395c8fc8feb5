// Backtest: a strategy over stored bars through the live decision path — the same feature engine, the same
// Strategy (buildStrategy), the same sizing, the same pre-trade risk checks and limits, the same fill rule as
// the simulated broker (an order placed on a bar's close fills at the next bar's open) and the same position
// arithmetic (applyFill). Only the queues and tables in between are left out. Result: equity curve, round-trip
// trades, hit rate, max drawdown, Sharpe; stored as a BacktestRun for the console.
import type { TBar, TOrderSide, TStrategyConfig, TTimeframe } from '@ai-trader/contracts';
import { TIMEFRAME_TABLE, type Prisma } from '@ai-trader/db';
import { applyFill, checkExit, checkPreTrade, createFeatureEngine, dec, decStr, exitLevels, FEATURE_WARMUP_BARS, inRegularSession, targetNotional, TIMEFRAME_MINUTES, toEt, ZERO, type Dec, type ExitLevels, type PositionState } from '@ai-trader/domain';
import type { Deps } from '../ports.ts';
import { barsPerDay } from './score-bar.ts';
import { activeModel, buildStrategy, historyNeeded, toConfig, type ActorRef } from './strategies.ts';
import { latestLayerSymbols } from './scanner.ts';

export interface BacktestRequest {
  strategy: string; // a stored strategy's name (its current config is what runs, enabled or not)
  from: string; // New York dates, inclusive
  to: string;
  symbols?: string[]; // default: the strategy's symbols (or its layer's latest)
  startingCash?: string;
  onProgress?: (done: number, total: number) => void;
}

export interface BacktestTrade {
  symbol: string;
  qty: string;
  entryTs: string;
  entryPrice: string;
  exitTs: string | null; // null: still open at the end (valued at the last close)
  exitPrice: string | null;
  pnl: string;
}

export interface BacktestMetrics {
  startingCash: string;
  endingEquity: string;
  totalReturnPct: number;
  trades: number; // closed round trips
  wins: number;
  hitRate: number | null;
  maxDrawdownPct: number;
  sharpe: number | null; // annualised from daily equity returns (√252)
  signals: number;
  denied: Record<string, number>; // pre-trade denials by reason code
  bars: number;
  exits?: number; // stop-loss / take-profit / trailing-stop triggers (the engine's watch)
}

export interface BacktestResult {
  id: string;
  strategy: string;
  metrics: BacktestMetrics;
  equityCurve: { ts: string; equity: string }[];
  trades: BacktestTrade[];
}

const MAX_CURVE_POINTS = 2000;

type BarRow = { symbol: string; ts: Date; open: string; high: string; low: string; close: string; volume: string; source: string };

export class BacktestInputError extends Error {}

export async function runBacktest(deps: Pick<Deps, 'prisma' | 'pool' | 'config' | 'logger'>, r: BacktestRequest, actor: ActorRef): Promise<BacktestResult> {
  const row = await deps.prisma.strategyConfig.findUnique({ where: { name: r.strategy } });
  if (!row) throw new BacktestInputError(`no strategy named ${r.strategy}; see ai-trader strategies list`);
  const cfg = toConfig(row);
  for (const [k, v] of [['from', r.from], ['to', r.to]] as const) if (!/^\d{4}-\d{2}-\d{2}$/.test(v)) throw new BacktestInputError(`${k} ${v}: must be a date like 2025-06-02`);
  if (r.from > r.to) throw new BacktestInputError(`from ${r.from} is after to ${r.to}`);
  const symbols = r.symbols?.length ? r.symbols : cfg.symbols.length ? cfg.symbols : cfg.layer ? await latestLayerSymbols(deps, cfg.layer) : [];
  if (!symbols.length) throw new BacktestInputError(`strategy ${cfg.name} has no symbols (and no succeeded ${cfg.layer ?? 'scanner'} run): pass symbols`);
  const model = cfg.kind === 'model' ? await activeModel(deps, cfg.modelName!) : undefined;
  const strategy = buildStrategy(cfg, model ?? undefined); // throws for a model strategy without an active model
  const cash0 = dec(r.startingCash ?? deps.config.SIM_STARTING_CASH);

  const run = await deps.prisma.backtestRun.create({
    data: { strategy: cfg.name, config: { ...cfg, model: model?.version ?? null } as unknown as Prisma.InputJsonValue, symbols, fromDate: r.from, toDate: r.to, createdBy: actor.email },
  });
  try {
    const bars = await loadBars(deps, cfg.timeframe, symbols, r.from, r.to);
    const result = simulate(bars, cfg, strategy, cash0, deps.config, r);
    const saved = await deps.prisma.backtestRun.update({
      where: { id: run.id },
      data: {
        status: 'succeeded', finishedAt: new Date(), metrics: result.metrics as unknown as Prisma.InputJsonValue,
        equityCurve: result.equityCurve as unknown as Prisma.InputJsonValue, trades: result.trades as unknown as Prisma.InputJsonValue,
      },
    });
    deps.logger.info({ backtest: saved.id, strategy: cfg.name, ...result.metrics, denied: undefined }, 'backtest finished');
    return { id: saved.id, strategy: cfg.name, ...result };
  } catch (e) {
    await deps.prisma.backtestRun.update({ where: { id: run.id }, data: { status: 'failed', finishedAt: new Date(), error: (e as Error).message } });
    throw e;
  }
}

/** Stored bars from a warm-up window before `from` to the end of `to` (New York), grouped by time. */
async function loadBars(deps: Pick<Deps, 'pool'>, tf: TTimeframe, symbols: string[], from: string, to: string) {
  const table = TIMEFRAME_TABLE[tf];
  const start = new Date(`${from}T00:00:00Z`), end = new Date(Date.parse(`${to}T00:00:00Z`) + 2 * 86_400_000);
  const out: BarRow[] = [];
  for (const symbol of symbols) {
    const warm = await deps.pool.query<BarRow>(
      `SELECT symbol, ts, open::text, high::text, low::text, close::text, volume::text, source FROM ${table} WHERE symbol = $1 AND ts < $2 ORDER BY ts DESC LIMIT ${FEATURE_WARMUP_BARS * 3}`, [symbol, start]);
    const main = await deps.pool.query<BarRow>(
      `SELECT symbol, ts, open::text, high::text, low::text, close::text, volume::text, source FROM ${table} WHERE symbol = $1 AND ts >= $2 AND ts < $3 ORDER BY ts`, [symbol, start, end]);
    const inRange = main.rows.filter((b) => (tf === '1d' ? b.ts.toISOString().slice(0, 10) : toEt(b.ts).date) <= to);
    if (!inRange.length) throw new BacktestInputError(`no stored ${tf} bars for ${symbol} between ${from} and ${to}: import or backfill them first`);
    out.push(...warm.rows.reverse(), ...inRange);
  }
  out.sort((a, b) => a.ts.getTime() - b.ts.getTime() || a.symbol.localeCompare(b.symbol));
  return { rows: out, fromMs: start.getTime() };
}

interface Pending { side: TOrderSide; qty: Dec; refPrice: Dec; levels: ExitLevels | null }
interface Armed { stop: Dec | null; target: Dec | null; trail: Dec | null; hw: Dec | null; fromMs: number }

function simulate(
  data: { rows: BarRow[]; fromMs: number }, cfg: TStrategyConfig, strategy: ReturnType<typeof buildStrategy>, cash0: Dec,
  config: Pick<Deps['config'], 'RISK_MAX_POSITION_QTY' | 'RISK_MAX_POSITION_NOTIONAL' | 'RISK_MAX_GROSS_EXPOSURE' | 'RISK_MAX_NET_EXPOSURE' | 'RISK_MAX_OPEN_ORDERS' | 'RISK_PRICE_COLLAR_PCT'>, r: BacktestRequest,
) {
  const tf = cfg.timeframe;
  const engines = new Map<string, ReturnType<typeof createFeatureEngine>>();
  const closes = new Map<string, string[]>();
  const positions = new Map<string, PositionState>();
  const pending = new Map<string, Pending>();
  const armed = new Map<string, Armed>(); // the exits the live watch would hold per symbol (watch-exits.ts)
  const last = new Map<string, Dec>();
  const open = new Map<string, { qty: Dec; entryTs: string; entryPrice: Dec; realizedAtEntry: Dec }>();
  const trades: BacktestTrade[] = [];
  const denied: Record<string, number> = {};
  const curve: { ts: string; equity: Dec }[] = [];
  const keep = Math.max(1, historyNeeded(cfg));
  let cash = cash0, signals = 0, bars = 0, exits = 0;
  const pos = (s: string): PositionState => positions.get(s) ?? { qty: ZERO, avgCost: ZERO, realizedPnl: ZERO };
  const equity = () => [...positions].reduce((e, [s, p]) => e.plus(p.qty.times(last.get(s) ?? p.avgCost)), cash);
  const iso = (d: Date) => d.toISOString().replace('.000Z', 'Z');

  const rows = data.rows;
  for (let i = 0; i < rows.length; i++) {
    const b = rows[i]!;
    const ts = iso(b.ts);
    const bar: TBar = { symbol: b.symbol, timeframe: tf, ts, open: b.open, high: b.high, low: b.low, close: b.close, volume: b.volume, source: b.source };
    const live = b.ts.getTime() >= data.fromMs;
    // 1. The order placed on this symbol's previous bar fills at this bar's open (the sim broker's rule).
    const order = pending.get(b.symbol);
    if (order) {
      pending.delete(b.symbol);
      const before = pos(b.symbol);
      const fill = applyFill(before, { side: order.side, qty: order.qty, price: dec(b.open) });
      cash = cash.plus(fill.cashDelta);
      positions.set(b.symbol, fill.position);
      // As apply-trade-update arms them: the entry's levels, the high-water mark from the fill price, judged from the next bar.
      if (fill.position.qty.lte(0)) armed.delete(b.symbol);
      else if (order.side === 'BUY' && order.levels && (order.levels.stopLoss || order.levels.takeProfit || order.levels.trailPct)) {
        const prevHw = armed.get(b.symbol)?.hw;
        const px = dec(b.open);
        armed.set(b.symbol, { stop: order.levels.stopLoss, target: order.levels.takeProfit, trail: order.levels.trailPct, hw: order.levels.trailPct ? (prevHw && prevHw.gt(px) ? prevHw : px) : null, fromMs: b.ts.getTime() });
      }
      if (before.qty.isZero() && !fill.position.qty.isZero()) open.set(b.symbol, { qty: fill.position.qty, entryTs: ts, entryPrice: dec(b.open), realizedAtEntry: before.realizedPnl });
      else if (fill.position.qty.isZero()) {
        const o = open.get(b.symbol);
        if (o) trades.push({ symbol: b.symbol, qty: o.qty.toFixed(), entryTs: o.entryTs, entryPrice: o.entryPrice.toFixed(), exitTs: ts, exitPrice: dec(b.open).toFixed(), pnl: decStr(fill.position.realizedPnl.minus(o.realizedAtEntry).toDecimalPlaces(2)) });
        open.delete(b.symbol);
      }
    }
    last.set(b.symbol, dec(b.close));
    // 2. Features and the decision on this bar's close.
    let engine = engines.get(b.symbol);
    if (!engine) engines.set(b.symbol, (engine = createFeatureEngine(tf)));
    const features = engine.update(bar);
    const hist = closes.get(b.symbol) ?? [];
    hist.push(b.close);
    if (hist.length > keep) hist.shift();
    closes.set(b.symbol, hist);
    if (!live) continue;
    bars++;
    const decide = (side: TOrderSide, orderNotional: Dec) => {
      // This symbol's own order of the previous bar has filled above; orders of other symbols placed on this
      // same timestamp are still working and hold buying power at their reference price, as intents do live.
      const committed = [...pending.values()].filter((p) => p.side === 'BUY').reduce((s, p) => s.plus(p.qty.times(p.refPrice)), ZERO);
      const exposure = [...positions].reduce((e, [s, p]) => e.plus(p.qty.times(last.get(s) ?? p.avgCost).abs()), ZERO).plus(committed);
      const sellingHere = pending.get(b.symbol)?.side === 'SELL' ? pending.get(b.symbol)!.qty : ZERO;
      return checkPreTrade({
        state: 'ACTIVE', side, price: dec(b.close), positionQty: side === 'SELL' ? pos(b.symbol).qty.minus(sellingHere) : pos(b.symbol).qty, dataStale: false,
        buyingPower: cash.minus(committed), marketOpen: inRegularSession(b.ts, tf === '1d' ? 1 : TIMEFRAME_MINUTES[tf]),
        exposure: { gross: exposure, net: exposure }, openOrders: pending.size, lastPrice: dec(b.close),
        limits: {
          orderNotional, maxPositionQty: dec(config.RISK_MAX_POSITION_QTY), maxPositionNotional: dec(config.RISK_MAX_POSITION_NOTIONAL),
          maxGrossExposure: dec(config.RISK_MAX_GROSS_EXPOSURE), maxNetExposure: dec(config.RISK_MAX_NET_EXPOSURE), maxOpenOrders: config.RISK_MAX_OPEN_ORDERS,
          priceCollarPct: config.RISK_PRICE_COLLAR_PCT,
        },
      });
    };
    const deny = (code: string) => (denied[code] = (denied[code] ?? 0) + 1);
    // The engine's exit watch first (watch-exits.ts): bars after the fill's own bar, stop before target.
    let stoppedOut = false;
    const a = armed.get(b.symbol);
    if (a && b.ts.getTime() > a.fromMs && pos(b.symbol).qty.gt(0)) {
      const c = checkExit({ qty: pos(b.symbol).qty, stopPrice: a.stop, targetPrice: a.target, trailPct: a.trail, highWater: a.hw }, { high: dec(b.high), low: dec(b.low) });
      if (c.highWater) a.hw = c.highWater;
      if (c.trigger) {
        stoppedOut = true;
        exits++;
        const decision = decide('SELL', ZERO);
        if (decision.ok) pending.set(b.symbol, { side: 'SELL', qty: decision.qty, refPrice: dec(b.close), levels: null });
        else deny(decision.code);
      }
    }
    const d = strategy.evaluate({ symbol: b.symbol, timeframe: tf, bar, features, closes: hist });
    if (d && !(stoppedOut && d.side === 'BUY')) {
      signals++;
      const size = targetNotional(cfg.sizing, { equity: equity(), barVol: features.vol_20, barsPerDay: barsPerDay(tf) });
      const decision = decide(d.side, size.notional);
      if (decision.ok) pending.set(b.symbol, { side: d.side, qty: decision.qty, refPrice: dec(b.close), levels: decision.isEntry ? exitLevels(dec(b.close), cfg.exits) : null });
      else deny(decision.code);
    }
    // 3. Mark to market once per time step (after the last symbol of this ts).
    if (i === rows.length - 1 || rows[i + 1]!.ts.getTime() !== b.ts.getTime()) curve.push({ ts, equity: equity() });
    if (r.onProgress && bars % 2000 === 0) r.onProgress(i + 1, rows.length);
  }
  r.onProgress?.(rows.length, rows.length);
  for (const [symbol, o] of open) {
    const p = pos(symbol), px = last.get(symbol)!;
    trades.push({ symbol, qty: o.qty.toFixed(), entryTs: o.entryTs, entryPrice: o.entryPrice.toFixed(), exitTs: null, exitPrice: null, pnl: decStr(p.realizedPnl.minus(o.realizedAtEntry).plus(px.minus(p.avgCost).times(p.qty)).toDecimalPlaces(2)) });
  }
  trades.sort((a, b) => a.entryTs.localeCompare(b.entryTs) || a.symbol.localeCompare(b.symbol));
  return { metrics: { ...metricsOf(curve, trades, cash0, signals, denied, bars), exits }, equityCurve: thin(curve).map((p) => ({ ts: p.ts, equity: decStr(p.equity.toDecimalPlaces(2)) })), trades };
}

function metricsOf(curve: { ts: string; equity: Dec }[], trades: BacktestTrade[], cash0: Dec, signals: number, denied: Record<string, number>, bars: number): BacktestMetrics {
  const end = curve.at(-1)?.equity ?? cash0;
  let peak = cash0.toNumber(), maxDd = 0;
  for (const p of curve) {
    const e = p.equity.toNumber();
    peak = Math.max(peak, e);
    maxDd = Math.max(maxDd, (peak - e) / peak);
  }
  // Daily returns from the last equity of each New York day.
  const daily = new Map<string, number>();
  for (const p of curve) daily.set(toEt(new Date(p.ts)).date, p.equity.toNumber());
  const eod = [cash0.toNumber(), ...daily.values()];
  const rets = eod.slice(1).map((e, i) => e / eod[i]! - 1);
  const mean = rets.reduce((s, x) => s + x, 0) / (rets.length || 1);
  const sd = Math.sqrt(rets.reduce((s, x) => s + (x - mean) ** 2, 0) / Math.max(1, rets.length - 1));
  const closed = trades.filter((t) => t.exitTs !== null);
  const wins = closed.filter((t) => dec(t.pnl).gt(0)).length;
  return {
    startingCash: decStr(cash0), endingEquity: decStr(end.toDecimalPlaces(2)), totalReturnPct: Number(end.minus(cash0).div(cash0).times(100).toFixed(4)),
    trades: closed.length, wins, hitRate: closed.length ? wins / closed.length : null, maxDrawdownPct: Number((maxDd * 100).toFixed(4)),
    sharpe: rets.length >= 2 && sd > 0 ? Number(((mean / sd) * Math.sqrt(252)).toFixed(4)) : null, signals, denied, bars,
  };
}

/** At most MAX_CURVE_POINTS points, keeping the first, the last and each stride's end. */
function thin<T>(xs: T[]): T[] {
  if (xs.length <= MAX_CURVE_POINTS) return xs;
  const stride = Math.ceil(xs.length / MAX_CURVE_POINTS);
  return xs.filter((_, i) => i === 0 || i === xs.length - 1 || i % stride === stride - 1);
}

export async function listBacktests(deps: Pick<Deps, 'prisma'>, q: { strategy?: string; limit: number }) {
  const rows = await deps.prisma.backtestRun.findMany({ where: q.strategy ? { strategy: q.strategy } : {}, orderBy: { startedAt: 'desc' }, take: q.limit });
  return rows.map((b) => ({
    id: b.id, strategy: b.strategy, symbols: b.symbols, from: b.fromDate, to: b.toDate, status: b.status, error: b.error,
    metrics: b.metrics as BacktestMetrics | null, equityCurve: (b.equityCurve ?? []) as { ts: string; equity: string }[], trades: (b.trades ?? []) as unknown as BacktestTrade[],
    createdBy: b.createdBy, startedAt: b.startedAt.toISOString(), finishedAt: b.finishedAt?.toISOString() ?? null,
  }));
}
