// Reconciliation: our open orders and positions against what the broker reports. Orders the broker no longer
// has open are repaired from its trade updates where it offers them (fills, cancels, rejects replayed through
// the same idempotent portfolio.apply path); whatever still differs, in two passes in a row (an order being
// submitted or a fill on its way differs for a moment), is drift: listed with both sides, an open
// `reconcile.drift` alert, and trading held at REDUCING (exits only). A confirmed position difference is then
// repaired from the broker's truth (audited `position.repair`) unless an order of ours for the symbol is still
// working (its fills may be on their way). A clean pass resolves the alert; it never resumes trading by itself
// (resume is an operator's decision).
import type { TActor } from '@ai-trader/contracts';
import { dec, decStr } from '@ai-trader/domain';
import { latestCloses } from '../infra/latest-bars.ts';
import type { BrokerPort, Deps } from '../ports.ts';
import { raiseAlert, resolveAlert } from './alerts.ts';
import { applyTradeUpdate } from './apply-trade-update.ts';
import { changeTradingState, getTradingState } from './trading-state.ts';

export const RECONCILE_ACTOR: TActor = { id: 'system:reconcile', email: 'system:reconcile', role: 'admin' };
const WORKING = ['pending_new', 'new', 'partially_filled'] as const;
const OURS = /^ait-/;

type BrokerPosition = Awaited<ReturnType<NonNullable<BrokerPort['positions']>>>[number];

export interface Drift {
  kind: 'order_open_here_only' | 'order_open_at_broker_only' | 'position_mismatch';
  subject: string; // client order id or symbol
  ours: string;
  broker: string;
  /** Confirmed position_mismatch only: whether our position was set from the broker's, and why not. */
  repaired?: boolean;
  note?: string;
}

export interface ReconcileResult {
  at: string;
  repaired: number; // trade updates applied from the broker
  drift: Drift[]; // confirmed: also seen by the previous pass
  suspect: Drift[]; // seen for the first time: confirmed or gone at the next pass
  clean: boolean;
  stateChanged: boolean;
}

/** What the console shows: the last pass, and the last drift found (kept after clean passes). */
export interface StoredReconciliation extends Omit<ReconcileResult, 'stateChanged'> {
  lastDrift: { at: string; drift: Drift[] } | null;
}

const lastKeyOf = (deps: Pick<Deps, 'config'>) => `${deps.config.REDIS_PREFIX}:reconcile:last`;

/** The last reconciliation pass as stored in Redis, or null before the first one. */
export async function lastReconciliation(deps: Pick<Deps, 'config' | 'redis'>): Promise<StoredReconciliation | null> {
  const raw = await deps.redis.get(lastKeyOf(deps));
  if (!raw) return null;
  const { seen: _seen, ...stored } = JSON.parse(raw) as StoredReconciliation & { seen?: string[] };
  return { ...stored, lastDrift: stored.lastDrift ?? null };
}

export async function reconcile(deps: Deps): Promise<ReconcileResult> {
  const at = deps.clock.now();
  let repaired = 0;
  const ourOpen = async () => deps.prisma.order.findMany({ where: { status: { in: [...WORKING] } }, select: { clientOrderId: true, createdAt: true, symbol: true, status: true } });
  const brokerOpen = new Map((await deps.broker.listOpenOrders()).map((o) => [o.clientOrderId, o]));
  // 1. Our working orders the broker no longer has open: replay what happened to them.
  const missing = (await ourOpen()).filter((o) => !brokerOpen.has(o.clientOrderId));
  if (missing.length && deps.broker.tradeUpdatesSince) {
    const since = new Date(Math.min(...missing.map((o) => o.createdAt.getTime()))).toISOString();
    const ids = new Set(missing.map((o) => o.clientOrderId)); // ours: "ait-…", or a liquidation's closing order in our books
    for (const u of await deps.broker.tradeUpdatesSince(since, [...ids])) {
      if (!OURS.test(u.clientOrderId) && !ids.has(u.clientOrderId)) continue;
      if ((await applyTradeUpdate(deps, u).catch(() => 'ignored')) === 'applied') repaired++;
    }
  }
  // 2. What still differs.
  const found: Drift[] = [];
  const oursNow = await ourOpen();
  const ourIds = new Set(oursNow.map((o) => o.clientOrderId));
  for (const o of oursNow) if (!brokerOpen.has(o.clientOrderId)) found.push({ kind: 'order_open_here_only', subject: o.clientOrderId, ours: `${o.symbol} ${o.status}`, broker: 'not open' });
  for (const [cid, o] of brokerOpen)
    if (OURS.test(cid) && !ourIds.has(cid)) found.push({ kind: 'order_open_at_broker_only', subject: cid, ours: 'unknown', broker: `${o.side} ${o.qty} ${o.symbol}, ${o.filledQty} filled` });
  const brokerPositions = new Map<string, BrokerPosition>();
  if (deps.broker.positions) {
    for (const p of await deps.broker.positions()) brokerPositions.set(p.symbol, p);
    const mine = new Map((await deps.prisma.position.findMany()).map((p) => [p.symbol, dec(p.qty.toString())]));
    for (const symbol of new Set([...brokerPositions.keys(), ...mine.keys()])) {
      const a = mine.get(symbol) ?? dec(0), b = dec(brokerPositions.get(symbol)?.qty ?? 0);
      if (!a.eq(b)) found.push({ kind: 'position_mismatch', subject: symbol, ours: a.toFixed(), broker: b.toFixed() });
    }
  }
  const lastKey = lastKeyOf(deps);
  const prevRaw = await deps.redis.get(lastKey);
  const prev = prevRaw ? (JSON.parse(prevRaw) as { seen?: string[]; lastDrift?: StoredReconciliation['lastDrift'] }) : null;
  const seenBefore = new Set(prev?.seen ?? []);
  // A position difference is confirmed only when the same quantities are seen twice: under a steady flow of orders
  // a fill in flight at each pass (our books a moment behind the broker) would otherwise look like the same drift
  // twice and stop entries. A real difference on a symbol still trading is confirmed once its flow pauses.
  const keyOf = (d: Drift) => (d.kind === 'position_mismatch' ? `${d.kind}|${d.subject}|${d.ours}|${d.broker}` : `${d.kind}|${d.subject}`);
  const suspect = found.filter((d) => !seenBefore.has(keyOf(d)));
  const drift = found.filter((d) => seenBefore.has(keyOf(d)));
  const clean = drift.length === 0;
  let stateChanged = false;
  if (!clean) {
    const reason = `reconciliation found ${drift.length} difference(s) with the broker: ${drift.slice(0, 5).map((d) => `${d.kind} ${d.subject} (ours ${d.ours}, broker ${d.broker})`).join('; ')}`;
    if ((await getTradingState(deps.prisma)).state === 'ACTIVE') {
      await deps.prisma.$transaction((tx) => changeTradingState(tx, { to: 'REDUCING', actor: RECONCILE_ACTOR, reason, action: 'reconcile.drift', at }));
      await deps.events.publish('trading-state');
      stateChanged = true;
    }
    // 3. Entries are stopped; now set confirmed position differences to the broker's truth.
    const working = new Set([...oursNow.map((o) => o.symbol), ...[...brokerOpen].filter(([cid]) => OURS.test(cid)).map(([, o]) => o.symbol)]);
    for (const d of drift) {
      if (d.kind !== 'position_mismatch') continue;
      if (working.has(d.subject)) Object.assign(d, { repaired: false, note: `not repaired: an order of ours for ${d.subject} is still working, its fills may be on their way` });
      else Object.assign(d, await repairPosition(deps, d, brokerPositions.get(d.subject), at));
    }
    if (drift.some((d) => d.repaired)) {
      await deps.events.publish('position');
      await deps.events.publish('audit');
    }
    await raiseAlert(deps, { key: 'reconcile.drift', level: 'critical', source: 'reconciliation', message: `${reason}; entries stopped until an operator resumes`, details: { drift } });
  } else if (!suspect.length) await resolveAlert(deps, 'reconcile.drift', `clean at ${at.toISOString()}${repaired ? ` after repairing ${repaired} update(s)` : ''}`);
  const lastDrift = clean ? (prev?.lastDrift ?? null) : { at: at.toISOString(), drift };
  await deps.redis.set(lastKey, JSON.stringify({ at: at.toISOString(), clean, repaired, drift, suspect, lastDrift, seen: found.map(keyOf) }));
  if (repaired || !clean) deps.logger.warn({ category: 'positions', repaired, drift }, clean ? 'reconciliation repaired our books from the broker' : 'reconciliation found drift');
  return { at: at.toISOString(), repaired, drift, suspect, clean, stateChanged };
}

/**
 * Sets our position in `d.subject` to the broker's quantity, at the broker's average entry price where it gives
 * one (else ours, else the last price). Realised P&L and cash are left alone: the difference is not a trade of
 * ours. Skipped if our quantity moved since the comparison (the next pass judges again).
 */
async function repairPosition(deps: Deps, d: Drift, theirs: BrokerPosition | undefined, at: Date): Promise<Pick<Drift, 'repaired' | 'note'>> {
  const symbol = d.subject;
  const qty = dec(theirs?.qty ?? 0);
  const lastPrice = theirs?.avgEntryPrice ? undefined : (await latestCloses(deps, [symbol], '5m')).get(symbol);
  const outcome = await deps.prisma.$transaction(async (tx) => {
    await tx.$queryRaw`SELECT 1 FROM positions WHERE symbol = ${symbol} FOR UPDATE`;
    const before = await tx.position.findUnique({ where: { symbol } });
    const oursNow = dec(before?.qty.toString() ?? 0);
    if (!oursNow.eq(d.ours)) return { repaired: false, note: `not repaired: our position moved to ${oursNow.toFixed()} since the comparison` };
    const avgCost = theirs?.avgEntryPrice && !qty.isZero() ? theirs.avgEntryPrice : (before?.avgCost.toString() ?? lastPrice ?? '0');
    // Exit levels belong to the position we had: gone when it is flat or has turned to the other side.
    const keepLevels = !!before && !qty.isZero() && qty.isNegative() === oursNow.isNegative();
    const levels = keepLevels ? {} : { stopPrice: null, targetPrice: null, trailPct: null, highWater: null };
    const after = await tx.position.upsert({
      where: { symbol },
      create: { symbol, qty: decStr(qty), avgCost: decStr(dec(avgCost)), realizedPnl: '0' },
      update: { qty: decStr(qty), avgCost: decStr(dec(avgCost)), ...levels },
    });
    const view = (p: typeof after | null) => (p ? { symbol, qty: p.qty.toFixed(), avgCost: p.avgCost.toFixed(), realizedPnl: p.realizedPnl.toFixed(), stopPrice: p.stopPrice?.toFixed() ?? null, targetPrice: p.targetPrice?.toFixed() ?? null } : null);
    await tx.auditLog.create({
      data: {
        at,
        actorId: RECONCILE_ACTOR.id,
        actorEmail: RECONCILE_ACTOR.email,
        action: 'position.repair',
        reason: `reconciliation: our ${symbol} position (${d.ours}) differed from the broker's (${d.broker}) in two passes in a row; set to the broker's`,
        before: { position: view(before) },
        after: { position: view(after), brokerAvgEntryPrice: theirs?.avgEntryPrice ?? null },
      },
    });
    return { repaired: true, before: view(before), after: view(after) };
  });
  if (!outcome.repaired) return outcome;
  deps.logger.warn({ category: 'positions', symbol, before: outcome.before, after: outcome.after }, `position.repaired: ${symbol} set from ours ${d.ours} to the broker's ${d.broker}`);
  return { repaired: true };
}
