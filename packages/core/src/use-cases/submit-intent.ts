// Sends one approved intent to the broker exactly once, with client_order_id derived from the intent id.
// The intent row is locked FOR UPDATE (one submitter per intent) and the trading-state row FOR SHARE across
// the broker call, so a HALT (which takes it FOR UPDATE) either happens before — and the intent is BLOCKED —
// or waits until the order is placed, then cancels it. Plain SQL on one pooled connection: this is the hot path.
// A protective exit goes as a GTC stop or trailing stop; any other SELL first has the symbol's protective stop
// cancelled at the broker (it holds the shares there), and is not sent if that stop filled first.
import { createHash } from 'node:crypto';
import { ZBrokerCause, type TBrokerCause, type TJobPayload, type TOrderSide, type TTradingState } from '@ai-trader/contracts';
import { withTransaction, type PgClient } from '@ai-trader/db';
import { dec, transition } from '@ai-trader/domain';
import { UnrecoverableError } from 'bullmq';
import { observeOrderLatency } from '../infra/metrics.ts';
import type { Deps, OrderRequestSlot } from '../ports.ts';
import { TRADING_STATE_LOCK } from './trading-state.ts';

/** Deterministic, broker-safe (≤ 48 chars, [a-z0-9-]) client order id: retries reuse it. */
export function clientOrderIdFor(intentId: string): string {
  return `ait-${createHash('sha256').update(intentId).digest('hex').slice(0, 32)}`;
}

/** 'waiting': an older intent of the same symbol is still unsent — per-symbol order is kept, so this one goes after it. */
export type SubmitOutcome = 'submitted' | 'already-submitted' | 'blocked' | 'rejected' | 'failed' | 'waiting';

interface IntentRow {
  id: string;
  symbol: string;
  side: TOrderSide;
  qty: string;
  isEntry: boolean;
  status: 'PENDING' | 'SUBMITTED' | 'BLOCKED' | 'FAILED';
  hasOrder: boolean;
  state: TTradingState;
  barTs: Date | null;
  /** When the signal was created (signal → ack latency). */
  signalAt: Date | null;
  orderType: 'market' | 'stop' | 'trailing_stop';
  stopPrice: string | null;
  trailPct: string | null;
  /** For a SELL that is not itself protective: the client order ids of the symbol's working protective stops. */
  protective: string[] | null;
  /** An intent of the same symbol decided earlier is still PENDING (risk decides one at a time, so createdAt orders them). */
  olderUnsent: boolean;
  /** The signal the intent was decided on (the logs' correlation id). */
  signalId: string | null;
}

/** The cause of a failure to reach the broker (the adapter's error kind where it has one). */
export function failureCause(e: unknown): TBrokerCause {
  const kind = ZBrokerCause.safeParse((e as { kind?: unknown }).kind);
  return kind.success ? kind.data : 'broker_down';
}

/** The intent, what the submission needs to know about it, and the trading state (locked by the caller or not). */
const INTENT_SQL = `SELECT i.id, i.symbol, i.side::text AS side, i.qty::text AS qty, i."isEntry", i.status::text AS status,
          EXISTS (SELECT 1 FROM orders o WHERE o."intentId" = i.id) AS "hasOrder", t.state::text AS state,
          (SELECT s."barTs" FROM risk_decisions d JOIN signals s ON s.id = d."signalId" WHERE d.id = i."riskDecisionId") AS "barTs",
          (SELECT s."createdAt" FROM risk_decisions d JOIN signals s ON s.id = d."signalId" WHERE d.id = i."riskDecisionId") AS "signalAt",
          (SELECT d."signalId" FROM risk_decisions d WHERE d.id = i."riskDecisionId") AS "signalId",
          i."orderType", i."stopLoss"::text AS "stopPrice", i."trailPct"::text AS "trailPct",
          CASE WHEN i.side = 'SELL' AND i."exitReason" IS DISTINCT FROM 'protective_stop' THEN ARRAY(
            SELECT o."clientOrderId" FROM orders o JOIN order_intents pi ON pi.id = o."intentId"
             WHERE o.status IN ('pending_new', 'new', 'partially_filled') AND o.symbol = i.symbol AND o.side = 'SELL' AND pi."exitReason" = 'protective_stop') END AS protective,
          EXISTS (SELECT 1 FROM order_intents e WHERE e.status = 'PENDING' AND e.symbol = i.symbol AND e."createdAt" < i."createdAt") AS "olderUnsent"
     FROM order_intents i, trading_state t
    WHERE i.id = $1 AND t.id = 1`;

/** What the intent's row says: send it now, or the outcome without sending ('halted': to be BLOCKED by the caller). */
function verdictOf(intent: IntentRow): 'send' | 'halted' | Exclude<SubmitOutcome, 'submitted' | 'rejected'> {
  if (intent.hasOrder || intent.status === 'SUBMITTED') return 'already-submitted';
  if (intent.status === 'BLOCKED') return 'blocked';
  if (intent.status === 'FAILED') return 'failed';
  if (intent.state === 'HALTED' || (intent.state === 'REDUCING' && intent.isEntry)) return 'halted';
  if (intent.olderUnsent) return 'waiting';
  return 'send';
}

/**
 * Under a broker's request limit, room for the order is taken before the transaction (it can take up to a minute when
 * the limit is used up): a submission waiting for it then holds no lock a HALT would wait for, and no pooled
 * connection. Only when the intent, read without locks, looks sendable — the locked read decides; room taken for an
 * intent that then is not sent is one request of the limit left unused. An intent that read shows already settled
 * (submitted, blocked, failed) or held behind an older one needs no transaction at all: `outcome`.
 */
async function beforeLocking(deps: Deps, intentId: string): Promise<{ slot?: OrderRequestSlot; outcome?: SubmitOutcome }> {
  if (!deps.broker.reserveOrderRequest) return {};
  const { rows } = await deps.pool.query<IntentRow>(INTENT_SQL, [intentId]);
  if (!rows[0]) return {}; // the locked read says what is wrong
  const verdict = verdictOf(rows[0]);
  if (verdict === 'send') return { slot: await deps.broker.reserveOrderRequest({ isEntry: rows[0].isEntry }) };
  return verdict === 'halted' ? {} : { outcome: verdict };
}

/**
 * `isLastAttempt`: the job's final try. A broker that cannot be reached (or keeps answering 429) is retried by
 * the queue; on the last attempt the intent is marked FAILED with its cause instead, so it is visible and never
 * retried behind anyone's back (reconciliation reports an order the broker did create after all).
 */
export async function submitIntent(deps: Deps, p: TJobPayload<'execution.submit'>, opts: { isLastAttempt?: boolean } = {}): Promise<SubmitOutcome> {
  const clientOrderId = clientOrderIdFor(p.intentId);
  let brokerError: unknown = null;
  let signalAt: Date | null = null;
  const note: { rejected?: { cause: TBrokerCause; reason: string }; blocked?: string; intent?: IntentRow } = {};
  const { slot, outcome: settled } = await beforeLocking(deps, p.intentId);
  if (settled) return settled;
  const outcome = await withTransaction(deps.pool, async (client): Promise<SubmitOutcome> => {
    // Shared with other submitters, exclusive for a state change: a HALT waits for the submissions in flight, and the
    // ones after it queue behind it (see TRADING_STATE_LOCK) and then see HALTED.
    await client.query(`SELECT pg_advisory_xact_lock_shared(${TRADING_STATE_LOCK})`);
    const { rows } = await client.query<IntentRow>(`${INTENT_SQL} FOR UPDATE OF i FOR SHARE OF t`, [p.intentId]);
    const intent = rows[0];
    if (!intent) throw new UnrecoverableError(`intent ${p.intentId} does not exist (or the trading_state row is missing)`);
    signalAt = intent.signalAt;
    note.intent = intent;
    const verdict = verdictOf(intent);
    if (verdict === 'halted') {
      note.blocked = `trading state ${intent.state} at submission`;
      await client.query(`UPDATE order_intents SET status = 'BLOCKED', "statusReason" = $2, "updatedAt" = now() WHERE id = $1`, [intent.id, note.blocked]);
      return 'blocked';
    }
    if (verdict !== 'send') return verdict;
    let ack;
    try {
      if (intent.protective?.length && (await cancelProtective(deps, intent.protective)) === 'not_open') {
        note.blocked = 'the broker-side protective stop filled first: a second SELL is not sent';
        await client.query(`UPDATE order_intents SET status = 'BLOCKED', "statusReason" = $2, "updatedAt" = now() WHERE id = $1`, [intent.id, note.blocked]);
        return 'blocked';
      }
      const type = intent.orderType;
      ack = await deps.broker.submitOrder({
        clientOrderId, symbol: intent.symbol, side: intent.side, qty: intent.qty, type, isEntry: intent.isEntry,
        ...(type === 'stop' ? { stopPrice: dec(intent.stopPrice!).toFixed(), timeInForce: 'gtc' as const } : {}),
        ...(type === 'trailing_stop' ? { trailPercent: dec(intent.trailPct!).toFixed(), timeInForce: 'gtc' as const } : {}),
        ...(intent.barTs ? { marketTs: intent.barTs.toISOString() } : {}),
      }, slot);
    } catch (e) {
      if (!opts.isLastAttempt) throw e;
      brokerError = e;
      const cause = failureCause(e);
      await client.query(`UPDATE order_intents SET status = 'FAILED', "failCause" = $2, "statusReason" = $3, "updatedAt" = now() WHERE id = $1`, [
        intent.id, cause, `${cause}: ${(e as Error).message}`.slice(0, 500),
      ]);
      await auditBrokerCall(client, deps, intent, clientOrderId, { status: 'failed', brokerOrderId: null, cause, reason: (e as Error).message });
      return 'failed';
    }
    const status = transition('pending_new', ack.status === 'accepted' ? 'accepted' : 'rejected');
    await client.query(
      `WITH o AS (
         INSERT INTO orders (id, "intentId", "clientOrderId", "brokerOrderId", broker, symbol, side, type, qty, status, "rejectReason", "rejectCause", "submittedAt", "updatedAt")
         VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, $6::"OrderSide", $12, $7::numeric, $8::"OrderStatus", $9, $10, $11, now()))
       UPDATE order_intents SET status = 'SUBMITTED', "updatedAt" = now() WHERE id = $1`,
      [intent.id, clientOrderId, ack.brokerOrderId, deps.broker.name, intent.symbol, intent.side, intent.qty, status,
        ack.reason ?? null, status === 'rejected' ? (ack.cause ?? 'rejected') : null, deps.clock.now(), intent.orderType],
    );
    if (status === 'rejected') note.rejected = { cause: ack.cause ?? 'rejected', reason: ack.reason ?? 'rejected by the broker' };
    await auditBrokerCall(client, deps, intent, clientOrderId, {
      status: status === 'rejected' ? 'rejected' : 'accepted', brokerOrderId: ack.brokerOrderId, cause: note.rejected?.cause ?? null, reason: note.rejected?.reason ?? null,
    });
    return status === 'rejected' ? 'rejected' : 'submitted';
  });
  if (outcome === 'submitted' || outcome === 'rejected') observeOrderLatency('signal_to_ack', signalAt);
  if (outcome === 'submitted' || outcome === 'rejected' || brokerError || note.blocked) await deps.events.publish('order');
  // Every line carries the ids it knows (signal → intent → order), so one grep follows the order (trading/orders.log).
  const i = note.intent;
  const ids = { category: 'orders', ...(i?.signalId ? { signalId: i.signalId } : {}), intentId: p.intentId, clientOrderId, ...(i ? { symbol: i.symbol, side: i.side } : {}) };
  const what = i ? `${i.side} ${dec(i.qty).toFixed()} ${i.symbol}` : p.intentId;
  if (outcome === 'submitted') deps.logger.info({ ...ids, broker: deps.broker.name }, `Order submitted: ${what} (${i?.orderType ?? 'market'}, ${deps.broker.name})`);
  if (note.blocked) deps.logger.warn(ids, `Order blocked: ${what}: ${note.blocked}`);
  if (note.rejected)
    deps.logger.warn({ ...ids, cause: note.rejected.cause }, `Order rejected: ${what} by ${deps.broker.name}: ${note.rejected.reason}`);
  if (brokerError)
    deps.logger.error({ ...ids, cause: failureCause(brokerError) }, `Order not sent: ${what}: ${(brokerError as Error).message}`);
  return outcome;
}

/** The broker call's summary as an audit row (broker.submit, actor system:execution) in the submission's transaction. */
async function auditBrokerCall(
  client: PgClient,
  deps: Pick<Deps, 'broker' | 'clock'>,
  intent: Pick<IntentRow, 'id' | 'symbol' | 'side' | 'qty' | 'orderType'>,
  clientOrderId: string,
  r: { status: 'accepted' | 'rejected' | 'failed'; brokerOrderId: string | null; cause: string | null; reason: string | null },
): Promise<void> {
  const after = {
    clientOrderId, intentId: intent.id, broker: deps.broker.name, brokerOrderId: r.brokerOrderId, symbol: intent.symbol, side: intent.side, qty: intent.qty,
    type: intent.orderType, status: r.status, cause: r.cause, marketTime: deps.clock.now().toISOString(),
  };
  const reason = r.status === 'accepted' ? `accepted by ${deps.broker.name}` : `${r.status} (${r.cause}): ${r.reason ?? ''}`.slice(0, 500);
  await client.query(`INSERT INTO audit_log ("actorEmail", action, reason, after) VALUES ('system:execution', 'broker.submit', $1, $2)`, [reason, after]);
}

/** Cancels the given protective stops at the broker, each confirmed: 'not_open' when one of them filled first. */
async function cancelProtective(deps: Deps, clientOrderIds: readonly string[]): Promise<'canceled' | 'not_open'> {
  if (!deps.broker.cancelOrder) throw new Error(`broker ${deps.broker.name} cannot cancel orders: protective stops need BrokerPort.cancelOrder`);
  let outcome: 'canceled' | 'not_open' = 'canceled';
  for (const id of clientOrderIds) if ((await deps.broker.cancelOrder(id)) === 'not_open') outcome = 'not_open';
  return outcome;
}
