// E-mail alerts over SMTP with nodemailer. ALERT_SMTP_URL: smtp://user:pass@host:587 (STARTTLS — required unless the
// server is on this machine, a local relay) or smtps://…:465 (TLS from the first byte). The password never leaves
// this module: the target is printed as smtp://user:***@host:port and nodemailer's own logging is off.
import { redactUrl } from '@ai-trader/contracts';
import { AlertSinkError, type AlertMessage, type AlertSink } from '@ai-trader/core';
import { createTransport, type Transporter } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import { emailContent } from './alert-format.ts';

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

export class EmailAlertSink implements AlertSink {
  readonly name = 'email' as const;
  readonly target: string;
  private readonly transport: Transporter<SMTPTransport.SentMessageInfo>;

  constructor(smtpUrl: string, private readonly from: string, private readonly to: string[], timeoutMs: number) {
    const u = new URL(smtpUrl);
    const secure = u.protocol === 'smtps:';
    this.target = `${redactUrl(smtpUrl)} → ${to.join(', ')}`;
    this.transport = createTransport({
      host: u.hostname.replace(/^\[|\]$/g, ''),
      port: u.port ? Number(u.port) : secure ? 465 : 587,
      secure,
      // A password must not cross the network in the clear: insist on STARTTLS, except to a relay on this machine.
      requireTLS: !secure && !LOCAL_HOSTS.has(u.hostname),
      ...(u.username ? { auth: { user: decodeURIComponent(u.username), pass: decodeURIComponent(u.password) } } : {}),
      connectionTimeout: timeoutMs, greetingTimeout: timeoutMs, socketTimeout: timeoutMs, dnsTimeout: timeoutMs,
      logger: false, debug: false,
    });
  }

  async send(a: AlertMessage): Promise<void> {
    const { subject, text } = emailContent(a);
    let info: SMTPTransport.SentMessageInfo;
    try {
      info = await this.transport.sendMail({
        from: this.from, to: this.to, subject, text,
        priority: a.level === 'critical' ? 'high' : 'normal',
        headers: { 'X-AI-Trader-Alert': a.key, 'X-AI-Trader-Level': a.level },
      });
    } catch (e) {
      const err = e as { code?: string; responseCode?: number; message?: string };
      // 5xx answers (bad credentials, a refused sender or recipient) stay so until someone changes the setup;
      // 4xx and network trouble may pass.
      const permanent = typeof err.responseCode === 'number' && err.responseCode >= 500 && err.responseCode < 600;
      const why = (err.message ?? String(e)).replace(/\s+/g, ' ').trim().slice(0, 300);
      throw new AlertSinkError(`${this.target}: ${err.code ? `${err.code} ` : ''}${why}`, permanent);
    }
    if (!info.accepted.length) throw new AlertSinkError(`${this.target}: every recipient refused (${info.response})`, true);
  }

  async close(): Promise<void> {
    this.transport.close();
  }
}
