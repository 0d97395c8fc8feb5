// Scoring one new bar (the worker after each ingest): the features of the bar (stored, incremental), then every enabled strategy whose
// symbols (or scanner layer) include the symbol decides; each decision becomes a Signal (unique per
// strategy, symbol and bar) carrying its score, model version, top features and target notional from the
// strategy's sizing, and goes to risk. The same factory (buildStrategy) serves backtests.
import type { TJobPayload, TTimeframe } from '@ai-trader/contracts';
import { dec, decStr, targetNotional, TIMEFRAME_MINUTES, ZERO, type FeatureVector } from '@ai-trader/domain';
import { TIMEFRAME_TABLE, type Prisma } from '@ai-trader/db';
import { latestCloses } from '../infra/latest-bars.ts';
import type { Deps } from '../ports.ts';
import { updateFeaturesForBar } from './features.ts';
import { watchExits } from './watch-exits.ts';
import { latestLayerSymbols } from './scanner.ts';
import { activeModel, buildStrategy, historyNeeded, toConfig } from './strategies.ts';

/** Bars of a timeframe in one regular session (for volatility scaling). */
export const barsPerDay = (tf: TTimeframe): number => (tf === '1d' ? 1 : 390 / TIMEFRAME_MINUTES[tf]);

/** Enabled strategies that trade this symbol on this timeframe. */
async function strategiesFor(deps: Pick<Deps, 'prisma'>, symbol: string, timeframe: TTimeframe) {
  const rows = await deps.prisma.strategyConfig.findMany({ where: { enabled: true, timeframe }, orderBy: { name: 'asc' } });
  const out = [];
  const layers = new Map<string, string[]>();
  for (const r of rows) {
    const c = toConfig(r);
    let symbols = c.symbols;
    if (!symbols.length && c.layer) {
      if (!layers.has(c.layer)) layers.set(c.layer, await latestLayerSymbols(deps, c.layer).catch(() => []));
      symbols = layers.get(c.layer)!;
    }
    if (symbols.includes(symbol)) out.push(c);
  }
  return out;
}

async function equity(deps: Pick<Deps, 'prisma' | 'pool' | 'redis' | 'config'>): Promise<ReturnType<typeof dec>> {
  const [account, positions] = await Promise.all([deps.prisma.portfolioAccount.findUnique({ where: { id: 1 } }), deps.prisma.position.findMany({ where: { qty: { not: 0 } } })]);
  const last = await latestCloses(deps, positions.map((p) => p.symbol), '5m');
  let e = account ? dec(account.cash.toString()) : ZERO;
  for (const p of positions) e = e.plus(dec(p.qty.toString()).times(last.get(p.symbol) ?? p.avgCost.toString()));
  return e;
}

export async function scoreBar(deps: Deps, p: TJobPayload<'scoring.score'>): Promise<{ signalIds: string[] }> {
  // Features of every ingested bar are kept current (the feature store), whether or not a strategy trades it.
  const f = await updateFeaturesForBar(deps, p);
  // Exits of what we hold come first; a bar that stops a position out opens no new entry in it.
  const exit = await watchExits(deps, p);
  const configs = await strategiesFor(deps, p.symbol, p.timeframe);
  if (!configs.length) return { signalIds: exit.trigger?.signalId ? [exit.trigger.signalId] : [] };
  const features: FeatureVector = f.values;
  const barTs = new Date(p.ts);
  const need = Math.max(1, ...configs.map(historyNeeded));
  const rows = await deps.pool.query<{ ts: Date; open: string; high: string; low: string; close: string; volume: string; source: string }>(
    `SELECT ts, open::text, high::text, low::text, close::text, volume::text, source FROM ${TIMEFRAME_TABLE[p.timeframe]} WHERE symbol = $1 AND ts <= $2 ORDER BY ts DESC LIMIT ${need}`,
    [p.symbol, barTs],
  );
  const last = rows.rows[0];
  if (!last || last.ts.getTime() !== barTs.getTime()) return { signalIds: exit.trigger?.signalId ? [exit.trigger.signalId] : [] };
  const bar = { symbol: p.symbol, timeframe: p.timeframe, ts: p.ts, open: last.open, high: last.high, low: last.low, close: last.close, volume: last.volume, source: last.source };
  const closes = rows.rows.map((r) => r.close).reverse();

  const ids: string[] = [];
  let eq: ReturnType<typeof dec> | null = null;
  for (const c of configs) {
    const model = c.kind === 'model' ? await activeModel(deps, c.modelName!) : undefined;
    if (c.kind === 'model' && !model) {
      deps.logger.warn({ strategy: c.name, model: c.modelName }, `strategy ${c.name} is enabled but model ${c.modelName} has no active version: no signal`);
      continue;
    }
    const d = buildStrategy(c, model ?? undefined).evaluate({ symbol: p.symbol, timeframe: p.timeframe, bar, features, closes });
    if (!d || (exit.trigger && d.side === 'BUY')) continue;
    eq ??= await equity(deps);
    const size = targetNotional(c.sizing, { equity: eq, barVol: features.vol_20, barsPerDay: barsPerDay(p.timeframe) });
    await deps.prisma.signal.createMany({
      data: [{
        strategy: c.name, symbol: p.symbol, barTs, side: d.side, price: last.close, score: d.score, modelVersion: d.modelVersion ?? null,
        topFeatures: d.topFeatures as unknown as Prisma.InputJsonValue, targetNotional: decStr(size.notional),
        // An entry carries the strategy's exits: risk prices them into the intent from the signal's price.
        detail: { reason: d.reason, sizing: size.why, strategyKind: c.kind, ...(d.side === 'BUY' && Object.keys(c.exits).length ? { exits: c.exits } : {}) },
      }],
      skipDuplicates: true,
    });
    const signal = await deps.prisma.signal.findUniqueOrThrow({ where: { strategy_symbol_barTs: { strategy: c.name, symbol: p.symbol, barTs } } });
    await deps.jobs.add('risk.check', { signalId: signal.id });
    // The first line of an order's trail in trading/orders.log (its signal id is on every later line).
    deps.logger.info({ category: 'orders', signalId: signal.id, strategy: c.name, symbol: p.symbol, side: d.side, barTs: p.ts }, `Signal: ${d.side} ${p.symbol} @ ${dec(last.close).toFixed()} (${c.name})`);
    ids.push(signal.id);
  }
  if (ids.length) await deps.events.publish('signal');
  if (exit.trigger?.signalId) ids.unshift(exit.trigger.signalId);
  return { signalIds: ids };
}
