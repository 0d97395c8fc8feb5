// The live switch. "Live" is a stored setting, `broker.account` = paper | live, that only `goLive` sets — after every
// readiness check is pass and fresh, by an admin, audited. The runtime refuses to send an order to a live Alpaca URL
// (anything but paper-api.alpaca.markets) unless the setting is live, so editing ALPACA_BASE_URL alone cannot go live.
import type { TActor, TBrokerAccountMode, TReadinessReport } from '@ai-trader/contracts';
import type { BrokerPort, Deps } from '../ports.ts';
import { readinessReport } from './readiness.ts';

export const BROKER_ACCOUNT_SETTING = 'broker.account';
export const PAPER_ALPACA_HOST = 'paper-api.alpaca.markets';

export class GoLiveRefusedError extends Error {
  constructor(message: string, readonly report: TReadinessReport | null) {
    super(message);
    this.name = 'GoLiveRefusedError';
  }
}

export class LiveAccountNotEnabledError extends Error {
  constructor(host: string) {
    super(`refused: ALPACA_BASE_URL points at a live account (${host}) but broker.account is paper — go live with ai-trader broker go-live once readiness is all pass`);
    this.name = 'LiveAccountNotEnabledError';
  }
}

export async function brokerAccountMode(deps: Pick<Deps, 'prisma'>): Promise<TBrokerAccountMode> {
  const row = await deps.prisma.setting.findUnique({ where: { key: BROKER_ACCOUNT_SETTING } });
  return row?.value === 'live' ? 'live' : 'paper';
}

const LOOPBACK = /^(?:localhost|127\.\d+\.\d+\.\d+|\[::1\])$/;

/** Whether the configured broker sends orders to real money: Alpaca at any host but the paper one (a loopback host is a
 *  local stand-in — the fake Alpaca of tests and demos — never an exchange). */
export function isLiveBrokerUrl(config: Pick<Deps['config'], 'BROKER' | 'ALPACA_BASE_URL'>): boolean {
  if (config.BROKER !== 'alpaca') return false;
  const u = new URL(config.ALPACA_BASE_URL);
  return u.host !== PAPER_ALPACA_HOST && !LOOPBACK.test(u.hostname);
}

/**
 * Wraps the broker so that, pointed at a live account, it submits only while broker.account is live (read per
 * order: going back to paper stops the next one). Paper and sim brokers are returned as they are.
 */
export function guardLiveBroker(broker: BrokerPort, deps: Pick<Deps, 'prisma' | 'config'>): BrokerPort {
  if (!isLiveBrokerUrl(deps.config)) return broker;
  const host = new URL(deps.config.ALPACA_BASE_URL).host;
  const submitOrder: BrokerPort['submitOrder'] = async (req) => {
    if ((await brokerAccountMode(deps)) !== 'live') throw new LiveAccountNotEnabledError(host);
    return broker.submitOrder(req);
  };
  // A Proxy keeps every other member the broker's own, its methods bound to it (private fields need the real `this`).
  return new Proxy(broker, {
    get: (t, p) => {
      if (p === 'submitOrder') return submitOrder;
      const v = Reflect.get(t, p, t) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
    },
  });
}

async function setMode(deps: Pick<Deps, 'prisma'>, mode: TBrokerAccountMode, actor: TActor, reason: string, action: string, extra: Record<string, unknown>): Promise<{ changed: boolean }> {
  return deps.prisma.$transaction(async (tx) => {
    const row = await tx.setting.findUnique({ where: { key: BROKER_ACCOUNT_SETTING } });
    const before = row?.value === 'live' ? 'live' : 'paper';
    if (before === mode) return { changed: false };
    await tx.setting.upsert({
      where: { key: BROKER_ACCOUNT_SETTING },
      create: { key: BROKER_ACCOUNT_SETTING, value: mode, updatedById: actor.id, updatedByEmail: actor.email },
      update: { value: mode, updatedById: actor.id, updatedByEmail: actor.email },
    });
    await tx.auditLog.create({ data: { actorId: actor.id, actorEmail: actor.email, action, reason, before: { [BROKER_ACCOUNT_SETTING]: before }, after: { [BROKER_ACCOUNT_SETTING]: mode, ...extra } as object } });
    return { changed: true };
  });
}

/** Readiness must be all pass and fresh now; throws GoLiveRefusedError naming every check that is not. */
export async function assertReadyForLive(deps: Pick<Deps, 'prisma' | 'pool' | 'config' | 'clock'>): Promise<TReadinessReport> {
  const report = await readinessReport(deps);
  if (!report.ready) {
    const bad = report.items.filter((i) => i.status !== 'pass');
    throw new GoLiveRefusedError(`refused: readiness is not all pass and fresh — ${bad.map((i) => `${i.id} ${i.status}`).join(', ')} (ai-trader readiness shows why)`, report);
  }
  return report;
}

/** Switches the broker account to live: only an admin, only when readiness is all pass and fresh; audited. */
export async function goLive(deps: Pick<Deps, 'prisma' | 'pool' | 'config' | 'clock' | 'logger'>, input: { actor: TActor; reason: string; approvedBy?: string }): Promise<{ changed: boolean; report: TReadinessReport }> {
  if (input.actor.role !== 'admin') throw new GoLiveRefusedError('refused: only an admin may switch to a live account', null);
  const report = await assertReadyForLive(deps);
  const r = await setMode(deps, 'live', input.actor, input.reason, 'broker.go-live', {
    readinessAt: report.at, checks: report.items.map((i) => `${i.id} ${i.status} ${i.finishedAt}`), ...(input.approvedBy ? { approvedBy: input.approvedBy } : {}),
  });
  deps.logger.warn({ category: 'audit', actor: input.actor.email, changed: r.changed }, 'broker account switched to LIVE');
  return { ...r, report };
}

/** Back to paper: always allowed to an admin (it only ever reduces risk); audited. */
export async function goPaper(deps: Pick<Deps, 'prisma' | 'logger'>, input: { actor: TActor; reason: string }): Promise<{ changed: boolean }> {
  if (input.actor.role !== 'admin') throw new GoLiveRefusedError('refused: only an admin may change the broker account', null);
  const r = await setMode(deps, 'paper', input.actor, input.reason, 'broker.go-paper', {});
  deps.logger.info({ category: 'audit', actor: input.actor.email, changed: r.changed }, 'broker account switched to paper');
  return r;
}

/** The two-person approval policy (settings.twoPersonApproval, kept by the api's approvals): on, the live switch needs
 *  a second admin, which only the console's approvals can give — the CLI then refuses. */
export async function twoPersonApprovalOn(deps: Pick<Deps, 'prisma'>): Promise<boolean> {
  const row = await deps.prisma.setting.findUnique({ where: { key: 'twoPersonApproval' } });
  return row?.value === true;
}
