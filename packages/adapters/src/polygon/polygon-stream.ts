// Live minute bars from Polygon's (Massive) WebSocket: authenticate, subscribe AM.<symbol>, turn AM events into
// TBar. A dropped connection is re-opened with backoff (re-auth, re-subscribe); auth_failed or close() end it for good.
import type { TBar } from '@ai-trader/contracts';
import type { CredentialSource } from '@ai-trader/core';
import type { Logger } from 'pino';
import type { RawData, WebSocket } from 'ws';
import { fixedCredentials } from '../net/credentials.ts';
import { ReconnectingSocket } from '../net/reconnecting-socket.ts';
import { PolygonError, scrub, snippet } from './polygon-error.ts';
import type { PolygonKey } from './polygon-rest.ts';
import { toBar, ZPolygonMinuteEvent, ZPolygonStatusEvent } from './polygon-wire.ts';

export interface PolygonStreamStatus {
  /** A server status (connected/success, auth_success, auth_failed, max_connections, …) or ours: reconnecting, closed. */
  status: string;
  message?: string;
}

export interface PolygonStreamOptions {
  url: string; // e.g. wss://socket.polygon.io/stocks (POLYGON_STREAM_URL)
  /** A fixed key, or `credentials`. */
  apiKey?: string;
  /** Where the key in use comes from: each connection authenticates with the current one, a change announced by the
   *  source reconnects at once with the new one, and auth_failed is final only if the key has not changed. */
  credentials?: CredentialSource<PolygonKey>;
  symbols: string[];
  logger: Logger;
  onBar(bar: TBar): void | Promise<void>;
  onStatus?(s: PolygonStreamStatus): void;
  reconnectBaseMs?: number;
  reconnectCapMs?: number;
}

/*
 * Protocol, from massive-com/client-python massive/websocket/__init__.py (commit 481e5c2):
 *   self.json.dumps({"action": "auth", "params": self.api_key})
 *   if auth_msg_parsed[0]["status"] == "auth_failed": raise AuthError(auth_msg_parsed[0]["message"])
 *   self.json.dumps({"action": "subscribe", "params": subs})   # subs = ",".join(topics), e.g. "AM.AAPL,AM.MSFT"
 * and massive-com/client-js examples/websocket/ws-library-advanced.js, which sends auth in its 'open' handler.
 * We subscribe only after auth_success: a subscribe sent earlier is answered "auth_required" (SubscribeEvent enum).
 */
export class PolygonStream {
  private readonly socket: ReconnectingSocket;
  private readonly credentials: CredentialSource<PolygonKey>;
  private readonly keys = new Set<string>(); // every key used, scrubbed from what is logged
  private used: string | undefined; // the key of the current connection
  private unsubscribe: (() => void) | undefined;
  private authed = false;

  constructor(private readonly o: PolygonStreamOptions) {
    if (o.symbols.length === 0) throw new RangeError('PolygonStream needs at least one symbol');
    if (o.credentials) this.credentials = o.credentials;
    else if (o.apiKey) this.credentials = fixedCredentials({ apiKey: o.apiKey });
    else throw new RangeError('PolygonStream needs apiKey or credentials');
    if (o.apiKey) this.keys.add(o.apiKey);
    this.socket = new ReconnectingSocket({
      what: 'Polygon stream', url: o.url, logger: o.logger, reconnectBaseMs: o.reconnectBaseMs, reconnectCapMs: o.reconnectCapMs,
      attach: (ws) => this.attach(ws),
      onStatus: (s) => this.o.onStatus?.(s),
      clean: (text) => this.clean(text),
    });
  }

  /** Connects; resolves once the first subscription is confirmed, rejects on auth_failed (PolygonError 'auth').
   *  While the server cannot be reached it keeps retrying (with backoff) and the promise stays pending. */
  start(): Promise<void> {
    const started = this.socket.start('PolygonStream');
    this.unsubscribe = this.credentials.onChange(() => {
      this.o.logger.info('Polygon key changed: reconnecting the stream with the new one');
      this.socket.renew();
    });
    return started;
  }

  /** Stops for good: no reconnect after this. Resolves when the socket is closed. */
  close(): Promise<void> {
    this.unsubscribe?.();
    return this.socket.close('PolygonStream closed before it was subscribed');
  }

  private attach(ws: WebSocket): void {
    this.authed = false;
    ws.on('open', () => void this.authenticate(ws));
    ws.on('message', (data) => this.onFrame(ws, data));
  }

  private async authenticate(ws: WebSocket): Promise<void> {
    let key: string;
    try {
      key = (await this.credentials.get()).apiKey;
    } catch (e) {
      // No key to be had (the database is away, none stored): a failed attempt, retried with backoff.
      this.o.logger.error(this.clean(`Polygon stream: cannot get the key: ${(e as Error).message}`));
      return void ws.terminate();
    }
    this.used = key;
    this.keys.add(key);
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ action: 'auth', params: key }));
  }

  private onFrame(ws: WebSocket, data: RawData): void {
    let events: unknown;
    try {
      events = JSON.parse(data.toString());
    } catch {
      this.o.logger.warn(`Polygon stream sent a frame that is not JSON: "${snippet(this.clean(data.toString()))}"`);
      return;
    }
    for (const ev of Array.isArray(events) ? events : [events]) this.onEvent(ws, ev);
  }

  private onEvent(ws: WebSocket, ev: unknown): void {
    const status = ZPolygonStatusEvent.safeParse(ev);
    if (status.success) return this.onServerStatus(ws, status.data.status, status.data.message);
    const am = ZPolygonMinuteEvent.safeParse(ev);
    if (!am.success) {
      // Other channels or event types we did not ask for: not ours to interpret.
      if ((ev as { ev?: unknown } | null)?.ev === 'AM') this.o.logger.warn({ issue: am.error.issues[0]?.message }, 'Polygon stream: malformed AM event skipped');
      return;
    }
    const a = am.data;
    let bar: TBar;
    try {
      bar = toBar(a.sym, '1m', { o: a.o, h: a.h, l: a.l, c: a.c, v: a.v, startMs: a.s });
    } catch (e) {
      this.o.logger.warn(this.clean(`Polygon stream: AM event skipped: ${(e as Error).message}`));
      return;
    }
    // A failing consumer must not take the connection down with it; it is told in the log.
    Promise.resolve()
      .then(() => this.o.onBar(bar))
      .catch((e: unknown) => this.o.logger.error({ symbol: bar.symbol, ts: bar.ts, err: e }, 'Polygon stream: onBar failed'));
  }

  private onServerStatus(ws: WebSocket, status: string, message: string | undefined): void {
    const msg = message === undefined ? undefined : this.clean(message);
    this.o.onStatus?.(msg === undefined ? { status } : { status, message: msg });
    if (status === 'auth_success') {
      this.authed = true;
      ws.send(JSON.stringify({ action: 'subscribe', params: this.o.symbols.map((s) => `AM.${s}`).join(',') }));
      this.o.logger.info({ symbols: this.o.symbols }, 'Polygon stream authenticated; subscribing');
    } else if (status === 'auth_failed') {
      // Reconnecting with a bad key would only be refused again, every few seconds, for ever — unless it was rotated
      // meanwhile: then the new one is tried at once.
      this.socket.hold();
      ws.close(1000, 'auth failed');
      void this.afterRefusal(this.used, msg);
    } else if (status === 'success' && this.authed) {
      this.socket.markReady(); // a confirmed subscription is a healthy connection: the next drop starts backoff afresh
    } else if (['auth_timeout', 'auth_required', 'error', 'max_connections', 'force_disconnect', 'slow_consumer'].includes(status)) {
      this.o.logger.warn({ status }, this.clean(`Polygon stream status ${status}: ${msg ?? ''}`));
    }
  }

  private async afterRefusal(used: string | undefined, msg: string | undefined): Promise<void> {
    const fresh = await this.credentials.refresh().then((k) => k.apiKey, () => used);
    if (used && fresh && fresh !== used) {
      this.o.logger.warn('Polygon stream authentication failed; the key changed meanwhile, reconnecting with the new one');
      return this.socket.renew();
    }
    const err = new PolygonError('auth', `Polygon stream authentication failed (${msg ?? 'no message'}); not reconnecting. Check POLYGON_API_KEY (or the stored key: ai-trader keys list) and that its plan includes stocks WebSocket data`);
    this.o.logger.error(err.message);
    this.socket.giveUp(err);
  }

  private clean(text: string): string {
    let out = text;
    for (const k of this.keys) out = scrub(out, k);
    return out;
  }
}
