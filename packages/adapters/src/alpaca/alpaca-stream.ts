// Alpaca's trade_updates WebSocket: authenticate, listen, hand each order event over as a TTradeUpdate. A dropped
// connection is re-opened with backoff; once listening again, onGap(since) lets the owner repair what was missed.
import type { TTradeUpdate } from '@ai-trader/contracts';
import type { CredentialSource } from '@ai-trader/core';
import type { Logger } from 'pino';
import type { RawData, WebSocket } from 'ws';
import { fixedCredentials } from '../net/credentials.ts';
import { ReconnectingSocket } from '../net/reconnecting-socket.ts';
import type { AlpacaKeys } from './alpaca-rest.ts';
import {
  AlpacaError, scrubSecrets, snippet, toTradeUpdate, ZAlpacaStreamAuthorization, ZAlpacaStreamError, ZAlpacaStreamListening,
  ZAlpacaTradeUpdateMessage, type TAlpacaTradeUpdateEvent,
} from './alpaca-wire.ts';

export interface AlpacaStreamStatus {
  /** authorized, listening, error (server's), or ours: reconnecting, closed. */
  status: string;
  message?: string;
}

export interface AlpacaStreamOptions {
  url: string; // ALPACA_STREAM_URL, e.g. wss://paper-api.alpaca.markets/stream
  /** Fixed keys, or `credentials`. */
  keyId?: string;
  secretKey?: string;
  /** Where the keys in use come from: each connection authenticates with the current ones, a change announced by the
   *  source reconnects at once with the new ones, and a refusal is final only if the keys have not changed. */
  credentials?: CredentialSource<AlpacaKeys>;
  logger: Logger;
  /** Each order event that changes our books; `raw` is Alpaca's event (position_qty, the order snapshot, …). */
  onUpdate(update: TTradeUpdate, raw: TAlpacaTradeUpdateEvent): void | Promise<void>;
  /**
   * Called once listening again after a reconnect (and on the first connection when `since` is given), with the
   * broker time of the newest event received before the drop — or, if none was, of when listening first began.
   * Alpaca does not replay missed events: the owner repairs from REST (AlpacaBroker.tradeUpdatesSince). Events keep
   * flowing meanwhile, so the repair must be idempotent (it is, by execution id and terminal states).
   */
  onGap(sinceIso: string): void | Promise<void>;
  onStatus?(s: AlpacaStreamStatus): void;
  /** Repair from this instant on the first connection too (e.g. the last event time persisted before a restart). */
  since?: string;
  reconnectBaseMs?: number;
  reconnectCapMs?: number;
  /** A ping this often; no pong before the next one means a dead connection (default 20 000 ms). */
  pingIntervalMs?: number;
}

const DEDUPE_WINDOW = 5000; // event keys remembered to drop exact repeats

/*
 * Protocol (docs.alpaca.markets/docs/websocket-streaming; see alpaca-wire.ts): auth with key and secret, then listen to
 * trade_updates. Paper sends binary frames and other servers text frames: both are decoded as UTF-8 JSON. An
 * "unauthorized" answer ends the stream (reconnecting with wrong keys would only be refused again) until the keys change.
 */
export class AlpacaStream {
  private readonly socket: ReconnectingSocket;
  private readonly credentials: CredentialSource<AlpacaKeys>;
  private readonly secrets = new Set<string>(); // every key used, scrubbed from what is logged
  private used: AlpacaKeys | undefined; // the keys of the current connection
  private unsubscribe: (() => void) | undefined;
  private listenedBefore = false;
  private lastEventMs: number | undefined;
  private firstListenMs: number | undefined;
  private readonly seen = new Set<string>();
  private pinger: NodeJS.Timeout | undefined;
  private delivered: Promise<void> = Promise.resolve(); // updates go to onUpdate one at a time, in arrival order

  constructor(private readonly o: AlpacaStreamOptions) {
    if (o.since !== undefined && Number.isNaN(Date.parse(o.since))) throw new RangeError(`since must be an ISO timestamp (got '${o.since}')`);
    if (o.credentials) this.credentials = o.credentials;
    else if (o.keyId && o.secretKey) this.credentials = fixedCredentials({ keyId: o.keyId, secretKey: o.secretKey });
    else throw new RangeError('AlpacaStream needs keyId and secretKey, or credentials');
    this.socket = new ReconnectingSocket({
      what: 'Alpaca stream', url: o.url, logger: o.logger, reconnectBaseMs: o.reconnectBaseMs, reconnectCapMs: o.reconnectCapMs,
      attach: (ws) => this.attach(ws),
      onSocketClosed: () => clearInterval(this.pinger),
      onStatus: (s) => this.o.onStatus?.(s),
      clean: (text) => this.clean(text),
    });
  }

  /** Connects; resolves once listening to trade_updates, rejects on unauthorized (AlpacaError 'auth'). While the server
   *  cannot be reached it keeps retrying with backoff and the promise stays pending. */
  start(): Promise<void> {
    const started = this.socket.start('AlpacaStream');
    this.unsubscribe = this.credentials.onChange(() => {
      this.o.logger.info('Alpaca keys changed: reconnecting the stream with the new ones');
      this.socket.renew();
    });
    return started;
  }

  /** The broker time of the newest event received (persist it to repair from there after a restart). */
  lastEventAt(): string | undefined {
    return this.lastEventMs === undefined ? undefined : new Date(this.lastEventMs).toISOString();
  }

  /** Stops for good: no reconnect after this. Resolves when the socket is closed. */
  async close(): Promise<void> {
    this.unsubscribe?.();
    clearInterval(this.pinger);
    await this.socket.close('AlpacaStream closed before it was listening');
  }

  private attach(ws: WebSocket): void {
    let alive = true;
    ws.on('open', () => {
      void this.authenticate(ws);
      clearInterval(this.pinger);
      this.pinger = setInterval(() => {
        // A connection that died without a FIN (NAT timeout, cable) would otherwise never close by itself.
        if (!alive) return ws.terminate();
        alive = false;
        ws.ping();
      }, this.o.pingIntervalMs ?? 20_000);
    });
    ws.on('pong', () => (alive = true));
    ws.on('message', (data) => this.onFrame(ws, data));
  }

  private async authenticate(ws: WebSocket): Promise<void> {
    let keys: AlpacaKeys;
    try {
      keys = await this.credentials.get();
    } catch (e) {
      // No keys to be had (the database is away, none stored): a failed attempt, retried with backoff.
      this.o.logger.error(this.clean(`Alpaca stream: cannot get the keys: ${(e as Error).message}`));
      return void ws.terminate();
    }
    this.used = keys;
    this.secrets.add(keys.keyId).add(keys.secretKey);
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ action: 'auth', key: keys.keyId, secret: keys.secretKey }));
  }

  private onFrame(ws: WebSocket, data: RawData): void {
    const text = (Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data)).toString('utf8');
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      this.o.logger.warn(`Alpaca stream sent a frame that is not JSON: "${snippet(this.clean(text))}"`);
      return;
    }
    for (const msg of Array.isArray(parsed) ? parsed : [parsed]) this.onMessage(ws, msg);
  }

  private onMessage(ws: WebSocket, msg: unknown): void {
    const update = ZAlpacaTradeUpdateMessage.safeParse(msg);
    if (update.success) return this.onEvent(update.data.data);
    const auth = ZAlpacaStreamAuthorization.safeParse(msg);
    if (auth.success) return this.onAuthorization(ws, auth.data.data.status, auth.data.data.action);
    const listening = ZAlpacaStreamListening.safeParse(msg);
    if (listening.success) return this.onListening(ws, listening.data.data.streams);
    const error = ZAlpacaStreamError.safeParse(msg);
    if (error.success) {
      this.o.logger.warn(this.clean(`Alpaca stream error message: ${error.data.data.error_message}`));
      this.o.onStatus?.({ status: 'error', message: this.clean(error.data.data.error_message) });
      return;
    }
    if ((msg as { stream?: unknown } | null)?.stream === 'trade_updates')
      this.o.logger.warn({ issue: update.error.issues[0]?.message, path: update.error.issues[0]?.path.join('.') }, 'Alpaca stream: malformed trade update skipped');
  }

  private onAuthorization(ws: WebSocket, status: string, action: string): void {
    if (status === 'authorized') {
      this.o.onStatus?.({ status: 'authorized' });
      ws.send(JSON.stringify({ action: 'listen', data: { streams: ['trade_updates'] } }));
      return;
    }
    // Reconnecting with keys the server refuses would only be refused again, every few seconds, for ever — unless they
    // were rotated meanwhile: then the new ones are tried at once.
    clearInterval(this.pinger);
    this.o.onStatus?.({ status, message: `on ${action}` });
    this.socket.hold();
    ws.close(1000, 'unauthorized');
    void this.afterRefusal(this.used, `${status} on ${action}`);
  }

  private async afterRefusal(used: AlpacaKeys | undefined, what: string): Promise<void> {
    const fresh = await this.credentials.refresh().catch(() => used);
    if (used && fresh && (fresh.keyId !== used.keyId || fresh.secretKey !== used.secretKey)) {
      this.o.logger.warn(`Alpaca stream authorization failed (${what}); the keys changed meanwhile, reconnecting with the new ones`);
      return this.socket.renew();
    }
    const err = new AlpacaError('auth', `Alpaca stream authorization failed (${what}); not reconnecting. Check ALPACA_KEY_ID / ALPACA_SECRET_KEY (or the stored key: ai-trader keys list) and that ALPACA_STREAM_URL is the environment of those keys`);
    this.o.logger.error(err.message);
    this.socket.giveUp(err);
  }

  private onListening(ws: WebSocket, streams: string[]): void {
    if (!streams.includes('trade_updates')) {
      this.o.logger.error({ streams }, 'Alpaca stream did not confirm trade_updates; reconnecting');
      ws.terminate();
      return;
    }
    const now = Date.now();
    this.firstListenMs ??= now;
    this.o.onStatus?.({ status: 'listening' });
    const reconnected = this.listenedBefore;
    this.listenedBefore = true;
    this.socket.markReady(); // a confirmed listen is a healthy connection: the next drop starts backoff afresh
    const since = reconnected ? this.lastEventAt() ?? new Date(this.firstListenMs).toISOString() : this.o.since;
    if (since === undefined) return;
    this.o.logger.info({ since, reconnected }, 'Alpaca stream listening; asking the owner to repair the gap');
    Promise.resolve()
      .then(() => this.o.onGap(since))
      .catch((e: unknown) => this.o.logger.error({ err: e, since }, 'Alpaca stream: onGap failed; the gap is not repaired'));
  }

  private onEvent(ev: TAlpacaTradeUpdateEvent): void {
    const t = Date.parse(ev.timestamp ?? ev.order.updated_at ?? ev.order.created_at);
    // Newest, not latest-arrived: an event delivered out of order must not move the repair point backwards.
    if (!Number.isNaN(t) && (this.lastEventMs === undefined || t > this.lastEventMs)) this.lastEventMs = t;
    const key = `${ev.order.id}|${ev.event}|${ev.execution_id ?? ''}|${ev.order.filled_qty}|${ev.timestamp ?? ''}`;
    if (this.seen.has(key)) {
      this.o.logger.debug({ event: ev.event, orderId: ev.order.id }, 'Alpaca stream: repeated event dropped');
      return;
    }
    this.seen.add(key);
    if (this.seen.size > DEDUPE_WINDOW) this.seen.delete(this.seen.values().next().value!);
    let update: TTradeUpdate | null;
    try {
      update = toTradeUpdate(ev);
    } catch (e) {
      this.o.logger.error({ event: ev.event, orderId: ev.order.id, at: ev.timestamp }, this.clean(`Alpaca stream: event skipped: ${(e as Error).message}`));
      return;
    }
    if (!update) {
      this.o.logger.debug({ event: ev.event, orderId: ev.order.id, status: ev.order.status }, 'Alpaca stream: event without effect on our books');
      return;
    }
    const u = update;
    // A failing consumer must not take the connection down with it (nor hold up the next update); it is told in the log.
    this.delivered = this.delivered
      .then(() => this.o.onUpdate(u, ev))
      .catch((e: unknown) => this.o.logger.error({ err: e, clientOrderId: u.clientOrderId, event: u.event, at: u.at }, 'Alpaca stream: onUpdate failed'));
  }

  private clean(text: string): string {
    return scrubSecrets(text, [this.o.secretKey, this.o.keyId, ...[...this.secrets].sort((a, b) => b.length - a.length)]);
  }
}
