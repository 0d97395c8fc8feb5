// The life cycle both provider streams share (Alpaca trade_updates, Polygon minute bars): open a WebSocket, hand it to
// the owner to speak its protocol, re-open with backoff when it drops, stop for good on a refusal or on close().
import type { Logger } from 'pino';
import { WebSocket } from 'ws';
import { backoffMs, BACKOFF_BASE_MS, BACKOFF_CAP_MS } from '../polygon/polygon-retry.ts';

export interface SocketStatus {
  status: string;
  message?: string;
}

export interface ReconnectingSocketOptions {
  /** How log lines name the stream, e.g. "Alpaca stream". */
  what: string;
  url: string;
  logger: Logger;
  reconnectBaseMs?: number;
  reconnectCapMs?: number;
  /** Wires a freshly opened socket: its 'open', 'message', 'pong' handlers (close and error are handled here). */
  attach(ws: WebSocket): void;
  /** After every close of the current socket, before deciding to reconnect (e.g. to stop a ping timer). */
  onSocketClosed?(): void;
  onStatus?(s: SocketStatus): void;
  /** Takes secrets out of a text before it is logged. */
  clean(text: string): string;
}

export class ReconnectingSocket {
  private ws: WebSocket | undefined;
  private stopped = false; // no reconnect after the current socket closes (until renew)
  private closed = false; // close() was called: for good
  private started = false;
  private attempt = 0;
  private timer: NodeJS.Timeout | undefined;
  private ready: { resolve(): void; reject(e: Error): void } | undefined;

  constructor(private readonly o: ReconnectingSocketOptions) {}

  /** Connects; resolves at the owner's markReady(), rejects at giveUp(). While the server cannot be reached it keeps
   *  retrying with backoff and the promise stays pending. */
  start(name: string): Promise<void> {
    if (this.started) throw new Error(`${name}.start() called twice`);
    this.started = true;
    return new Promise<void>((resolve, reject) => {
      this.ready = { resolve, reject };
      this.connect();
    });
  }

  /** A healthy connection (listening, subscribed): start() resolves and the next drop starts backoff afresh. */
  markReady(): void {
    this.attempt = 0;
    this.settle();
  }

  /** No reconnect when the current socket closes (while the owner decides between renew() and giveUp()). */
  hold(): void {
    this.stopped = true;
  }

  /** Stops reconnecting (a refusal that would only be refused again); start() rejects with `err`. */
  giveUp(err: Error): void {
    this.stopped = true;
    this.settle(err);
  }

  /** A new connection now, e.g. with new credentials after a rotation: the current socket is dropped (what it would
   *  still have said is lost; the owner repairs gaps as after any reconnect). Also after giveUp; never after close(). */
  renew(): void {
    if (this.closed) return;
    this.stopped = false;
    this.attempt = 0;
    clearTimeout(this.timer);
    const old = this.ws;
    this.ws = undefined; // its close is then not taken for a drop
    if (old) {
      this.o.onSocketClosed?.();
      old.terminate();
    }
    this.connect();
  }

  /** Stops for good: no reconnect after this. Resolves when the socket is closed. */
  async close(notReady: string): Promise<void> {
    this.stopped = true;
    this.closed = true;
    clearTimeout(this.timer);
    this.settle(new Error(notReady));
    const ws = this.ws;
    if (!ws || ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => ws.terminate(), 2000);
      ws.once('close', () => {
        clearTimeout(force);
        resolve();
      });
      ws.close(1000, 'client closing');
    });
  }

  private connect(): void {
    if (this.stopped) return;
    const ws = new WebSocket(this.o.url);
    this.ws = ws;
    this.o.attach(ws);
    // 'close' always follows 'error'; the reconnect decision is made there.
    ws.on('error', (e) => this.o.logger.warn({ url: this.o.url }, this.o.clean(`${this.o.what} error: ${e.message}`)));
    ws.on('close', (code) => this.onClose(ws, code));
  }

  private onClose(ws: WebSocket, code: number): void {
    if (ws !== this.ws) return;
    this.o.onSocketClosed?.();
    if (this.stopped) {
      this.o.onStatus?.({ status: 'closed' });
      return;
    }
    const delayMs = backoffMs(this.attempt++, this.o.reconnectBaseMs ?? BACKOFF_BASE_MS, this.o.reconnectCapMs ?? BACKOFF_CAP_MS);
    this.o.logger.warn({ code, attempt: this.attempt, delayMs }, `${this.o.what} closed (code ${code}); reconnecting in ${delayMs} ms`);
    this.o.onStatus?.({ status: 'reconnecting', message: `in ${delayMs} ms` });
    this.timer = setTimeout(() => this.connect(), delayMs);
  }

  private settle(err?: Error): void {
    const r = this.ready;
    this.ready = undefined;
    if (!r) return;
    if (err) r.reject(err);
    else r.resolve();
  }
}
