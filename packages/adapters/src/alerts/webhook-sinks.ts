// The two HTTP sinks: a generic webhook (the alert as JSON) and a Slack-compatible incoming webhook ({ text, blocks }).
// Their URLs are secrets (a Slack URL is all token): only the masked form is ever printed, and errors never quote it.
import { maskSecretUrl } from '@ai-trader/contracts';
import { AlertSinkError, type AlertMessage, type AlertSink } from '@ai-trader/core';
import { slackBody, webhookBody } from './alert-format.ts';

export class WebhookAlertSink implements AlertSink {
  readonly target: string;

  constructor(
    readonly name: 'webhook' | 'slack',
    private readonly url: string,
    private readonly timeoutMs: number,
  ) {
    this.target = maskSecretUrl(url);
  }

  async send(a: AlertMessage): Promise<void> {
    const body = this.name === 'slack' ? slackBody(a) : webhookBody(a);
    let res: Response;
    try {
      res = await fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'ai-trader-alerts' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
        redirect: 'error', // a redirect would carry the alert (and our URL) somewhere nobody configured
      });
    } catch (e) {
      throw new AlertSinkError(`${this.target}: ${networkReason(e, this.timeoutMs)}`);
    }
    if (res.ok) {
      await res.body?.cancel().catch(() => undefined);
      return;
    }
    const said = (await res.text().catch(() => '')).replace(/\s+/g, ' ').trim().slice(0, 200);
    // 4xx means the receiver will not take this request as it is (bad URL, revoked token): retrying cannot help.
    // 408 and 429 are the exceptions: later may work.
    const permanent = res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429;
    throw new AlertSinkError(`${this.target}: HTTP ${res.status}${said ? ` ${said}` : ''}`, permanent);
  }
}

/** Why a request got no answer, in words: the cause's code (connection refused, DNS) or the timeout. */
export function networkReason(e: unknown, timeoutMs: number): string {
  const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err.name === 'TimeoutError' || err.name === 'AbortError') return `no answer within ${timeoutMs} ms`;
  const code = err.cause?.code;
  const words: Record<string, string> = {
    ECONNREFUSED: 'connection refused', ECONNRESET: 'connection reset', ENOTFOUND: 'host not found', EAI_AGAIN: 'host lookup failed (try again)',
    ETIMEDOUT: 'connection timed out', EHOSTUNREACH: 'host unreachable', CERT_HAS_EXPIRED: 'TLS certificate expired',
  };
  if (code) return words[code] ?? `${code}`;
  return err.cause?.message ?? err.message ?? 'request failed';
}
