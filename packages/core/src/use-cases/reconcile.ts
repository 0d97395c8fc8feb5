// Reconciliation: our open orders and positions against what the broker reports. Orders the broker no longer
// has open are repaired from its trade updates where it offers them (fills, cancels, rejects replayed through
// the same idempotent portfolio.apply path); whatever still differs, in two passes in a row (an order being
// submitted or a fill on its way differs for a moment), is drift: listed with both sides, an open
// `reconcile.drift` alert, and trading held at REDUCING (exits only) until a clean pass. A clean pass resolves
// the alert; it never resumes trading by itself (resume is an operator's decision).
import type { TActor } from '@ai-trader/contracts';
import { dec } from '@ai-trader/domain';
import type { Deps } from '../ports.ts';
import { raiseAlert, resolveAlert } from './alerts.ts';
import { applyTradeUpdate } from './apply-trade-update.ts';
import { changeTradingState, getTradingState } from './trading-state.ts';

export const RECONCILE_ACTOR: TActor = { id: 'system:reconcile', email: 'system:reconcile', role: 'admin' };
const WORKING = ['pending_new', 'new', 'partially_filled'] as const;
const OURS = /^ait-/;

export interface Drift {
  kind: 'order_open_here_only' | 'order_open_at_broker_only' | 'position_mismatch';
  subject: string; // client order id or symbol
  ours: string;
  broker: string;
}

export interface ReconcileResult {
  at: string;
  repaired: number; // trade updates applied from the broker
  drift: Drift[]; // confirmed: also seen by the previous pass
  suspect: Drift[]; // seen for the first time: confirmed or gone at the next pass
  clean: boolean;
  stateChanged: boolean;
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
    for (const u of await deps.broker.tradeUpdatesSince(since, missing.map((o) => o.clientOrderId))) {
      if (!OURS.test(u.clientOrderId)) continue;
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
  if (deps.broker.positions) {
    const theirs = new Map((await deps.broker.positions()).map((p) => [p.symbol, dec(p.qty)]));
    const mine = new Map((await deps.prisma.position.findMany()).map((p) => [p.symbol, dec(p.qty.toString())]));
    for (const symbol of new Set([...theirs.keys(), ...mine.keys()])) {
      const a = mine.get(symbol) ?? dec(0), b = theirs.get(symbol) ?? dec(0);
      if (!a.eq(b)) found.push({ kind: 'position_mismatch', subject: symbol, ours: a.toFixed(), broker: b.toFixed() });
    }
  }
  const lastKey = `${deps.config.REDIS_PREFIX}:reconcile:last`;
  const prevRaw = await deps.redis.get(lastKey);
  const seenBefore = new Set(prevRaw ? (JSON.parse(prevRaw) as { seen: string[] }).seen ?? [] : []);
  const keyOf = (d: Drift) => `${d.kind}|${d.subject}`;
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
    await raiseAlert(deps, { key: 'reconcile.drift', level: 'critical', source: 'reconciliation', message: `${reason}; entries stopped until a clean pass`, details: { drift } });
  } else if (!suspect.length) await resolveAlert(deps, 'reconcile.drift', `clean at ${at.toISOString()}${repaired ? ` after repairing ${repaired} update(s)` : ''}`);
  await deps.redis.set(lastKey, JSON.stringify({ at: at.toISOString(), clean, repaired, drift, suspect, seen: found.map(keyOf) }));
  if (repaired || !clean) deps.logger.warn({ repaired, drift }, clean ? 'reconciliation repaired our books from the broker' : 'reconciliation found drift');
  return { at: at.toISOString(), repaired, drift, suspect, clean, stateChanged };
}
