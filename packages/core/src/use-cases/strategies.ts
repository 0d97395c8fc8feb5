// Strategy configurations: seeded from ops/strategies.yaml, changed by operators (every change audited with
// before/after), and turned into Strategy objects for scoring and backtests by one factory, so live and
// backtest run the very same decision code.
import { ZStrategyConfig, type TActor, type TStrategyConfig } from '@ai-trader/contracts';
import { checkModel, maCross, dec, modelStrategy, rsiReversion, type Strategy, type StrategyDecision } from '@ai-trader/domain';
import type { Prisma } from '@ai-trader/db';
import type { Deps } from '../ports.ts';

export type ActorRef = Pick<TActor, 'id' | 'email'>;
export const SYSTEM_ACTOR: ActorRef = { id: 'system', email: 'system' };

type Row = { name: string; kind: string; enabled: boolean; symbols: string[]; layer: string | null; timeframe: string; params: unknown; sizing: unknown; exits?: unknown; modelName: string | null; version: number; updatedAt: Date; updatedBy: string };

/** A stored row as a validated config (a row that no longer validates is reported, never used). */
export function toConfig(r: Row): TStrategyConfig {
  const parsed = ZStrategyConfig.safeParse({ name: r.name, kind: r.kind, enabled: r.enabled, symbols: r.symbols, layer: r.layer, timeframe: r.timeframe, params: r.params, sizing: r.sizing, exits: r.exits ?? {}, modelName: r.modelName });
  if (!parsed.success) throw new RangeError(`strategy ${r.name} in the database is invalid: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`);
  return parsed.data;
}

export type StrategyView = TStrategyConfig & { version: number; updatedAt: string; updatedBy: string };

export async function listStrategies(deps: Pick<Deps, 'prisma'>): Promise<StrategyView[]> {
  const rows = await deps.prisma.strategyConfig.findMany({ orderBy: { name: 'asc' } });
  return rows.map((r) => ({ ...toConfig(r), version: r.version, updatedAt: r.updatedAt.toISOString(), updatedBy: r.updatedBy }));
}

const data = (c: TStrategyConfig) => ({
  kind: c.kind, enabled: c.enabled, symbols: c.symbols, layer: c.layer, timeframe: c.timeframe,
  params: c.params as Prisma.InputJsonValue, sizing: c.sizing as Prisma.InputJsonValue, exits: c.exits as Prisma.InputJsonValue, modelName: c.modelName,
});

/** Creates or replaces one strategy's configuration; audited with before and after. Returns the new version. */
export async function saveStrategy(deps: Pick<Deps, 'prisma' | 'events'>, input: unknown, actor: ActorRef, reason: string): Promise<{ version: number; changed: boolean }> {
  const c = ZStrategyConfig.parse(input);
  const r = await deps.prisma.$transaction(async (tx) => {
    const before = await tx.strategyConfig.findUnique({ where: { name: c.name } });
    const beforeCfg = before ? toConfig(before) : null;
    if (beforeCfg && JSON.stringify(beforeCfg) === JSON.stringify(c)) return { version: before!.version, changed: false };
    const saved = before
      ? await tx.strategyConfig.update({ where: { name: c.name }, data: { ...data(c), version: { increment: 1 }, updatedBy: actor.email } })
      : await tx.strategyConfig.create({ data: { name: c.name, ...data(c), updatedBy: actor.email } });
    await tx.auditLog.create({
      data: { actorId: actor.id, actorEmail: actor.email, action: before ? 'strategy.update' : 'strategy.create', reason, before: (beforeCfg ?? undefined) as Prisma.InputJsonValue | undefined, after: { ...c, version: saved.version } as Prisma.InputJsonValue },
    });
    return { version: saved.version, changed: true };
  });
  if (r.changed) await deps.events.publish('strategy');
  return r;
}

export async function setStrategyEnabled(deps: Pick<Deps, 'prisma' | 'events'>, name: string, enabled: boolean, actor: ActorRef, reason: string) {
  const row = await deps.prisma.strategyConfig.findUnique({ where: { name } });
  if (!row) throw new RangeError(`no strategy named ${name}`);
  return saveStrategy(deps, { ...toConfig(row), enabled }, actor, reason);
}

/** Seeds configurations that do not exist yet; never overwrites an operator's change. */
export async function seedStrategies(deps: Pick<Deps, 'prisma' | 'events'>, configs: unknown[], actor: ActorRef = SYSTEM_ACTOR): Promise<string[]> {
  const created: string[] = [];
  for (const c of configs) {
    const cfg = ZStrategyConfig.parse(c);
    if (await deps.prisma.strategyConfig.findUnique({ where: { name: cfg.name } })) continue;
    await saveStrategy(deps, cfg, actor, 'seeded from ops/strategies.yaml');
    created.push(cfg.name);
  }
  return created;
}

/** How many past closes (oldest first) a strategy needs beside the features. */
export const historyNeeded = (c: TStrategyConfig): number => (c.kind === 'ma-cross' ? c.params.slow + 1 : 0);

/** The one factory: the same Strategy for live scoring and backtests. Model strategies need the active model. */
export function buildStrategy(c: TStrategyConfig, model?: { params: unknown; version: string }): Strategy {
  if (c.kind === 'rsi-reversion') return rsiReversion(c.name, c.params);
  if (c.kind === 'model') {
    if (!model) throw new RangeError(`strategy ${c.name} needs an active version of model ${c.modelName}; train one (ai-trader models train) and activate it`);
    return modelStrategy(c.name, checkModel(model.params, model.version), model.version, c.params);
  }
  const { fast, slow } = c.params;
  return {
    name: c.name, kind: 'ma-cross',
    evaluate({ closes }): StrategyDecision | null {
      const x = maCross((closes ?? []).map((v) => dec(v)), { fast, slow });
      if (!x) return null;
      const gap = x.fastNow.minus(x.slowNow).div(x.slowNow).toNumber();
      return {
        side: x.side, score: Math.max(-1, Math.min(1, gap * 100)),
        reason: `SMA(${fast}) ${x.fastNow.toFixed(4)} crossed ${x.side === 'BUY' ? 'above' : 'below'} SMA(${slow}) ${x.slowNow.toFixed(4)}`,
        topFeatures: [],
      };
    },
  };
}

/** The active version of a model, or null. */
export async function activeModel(deps: Pick<Deps, 'prisma'>, name: string): Promise<{ params: unknown; version: string } | null> {
  const m = await deps.prisma.trainedModel.findFirst({ where: { name, active: true } });
  return m ? { params: m.params, version: `${m.name}@${m.version}` } : null;
}
