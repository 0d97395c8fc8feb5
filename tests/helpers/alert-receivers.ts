// Receivers standing in for the alert sinks in tests: an HTTP server (generic or Slack-compatible webhook) whose
// answers can be scripted, and an SMTP server (smtp-server) that checks a login and keeps every message it takes.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface WebhookRequest {
  path: string;
  headers: IncomingMessage['headers'];
  body: unknown;
}

export interface WebhookReceiver {
  /** The URL to configure: its path is the secret token. */
  url: string;
  port: number;
  requests: WebhookRequest[];
  /** Statuses to answer the next requests with (then 200); a 5xx body echoes the path, as careless servers do. */
  failNext(...statuses: number[]): void;
  /** Stops listening (connection refused) until start() again on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
}

export async function startWebhookReceiver(token: string, port = 0): Promise<WebhookReceiver> {
  const requests: WebhookRequest[] = [];
  const script: number[] = [];
  const path = `/hooks/${token}`;
  const make = () =>
    createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString()));
      req.on('end', () => {
        const status = script.shift() ?? 200;
        if (status === 200) requests.push({ path: req.url ?? '', headers: req.headers, body: JSON.parse(raw) });
        res.writeHead(status, { 'content-type': 'text/plain' });
        res.end(status === 200 ? 'ok' : `upstream broken while handling POST ${req.url}`);
      });
    });
  let server: Server = make();
  const listen = (p: number) => new Promise<number>((resolve) => server.listen(p, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
  const bound = await listen(port);
  return {
    url: `http://127.0.0.1:${bound}${path}`,
    port: bound,
    requests,
    failNext: (...statuses) => void script.push(...statuses),
    stop: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
    async start() {
      server = make();
      await listen(bound);
    },
  };
}

export interface ReceivedMail {
  from: string;
  to: string[];
  user: string | undefined;
  raw: string;
  /** Headers (lower-case names, unfolded) and the body decoded from quoted-printable. */
  headers: Record<string, string>;
  body: string;
}

export interface SmtpReceiver {
  port: number;
  mails: ReceivedMail[];
  close(): Promise<void>;
}

export async function startSmtpReceiver(user: string, password: string): Promise<SmtpReceiver> {
  const mails: ReceivedMail[] = [];
  const server = new SMTPServer({
    secure: false,
    disabledCommands: ['STARTTLS'], // plain SMTP on loopback: the sink requires TLS only for remote servers
    allowInsecureAuth: true,
    authMethods: ['PLAIN', 'LOGIN'],
    logger: false,
    onAuth(auth, _session, cb) {
      if (auth.username === user && auth.password === password) cb(null, { user });
      else cb(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
    },
    onData(stream, session, cb) {
      let raw = '';
      stream.on('data', (c: Buffer) => (raw += c.toString()));
      stream.on('end', () => {
        const [head = '', ...rest] = raw.split(/\r?\n\r?\n/);
        const headers: Record<string, string> = {};
        for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
          const i = line.indexOf(':');
          if (i > 0) headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
        }
        const body = rest.join('\n\n');
        const decoded = /quoted-printable/i.test(headers['content-transfer-encoding'] ?? '')
          ? body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)))
          : body;
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          user: session.user as string | undefined,
          raw,
          headers,
          body: Buffer.from(decoded, 'latin1').toString('utf8').replace(/\r\n/g, '\n'),
        });
        cb();
      });
    },
  });
  const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.server.address() as AddressInfo).port)));
  return { port, mails, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}


/** A header as written, with RFC 2047 encoded words (=?UTF-8?Q?…?= / =?UTF-8?B?…?=) decoded. */
export function decodeHeader(h: string): string {
  return h
    .replace(/\?=\s+=\?/g, '?==?') // adjacent encoded words: the space between them is not text
    .replace(/=\?utf-8\?([qb])\?([^?]*)\?=/gi, (_, enc: string, text: string) =>
      enc.toLowerCase() === 'b'
        ? Buffer.from(text, 'base64').toString('utf8')
        : Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, (_m, x: string) => String.fromCharCode(parseInt(x, 16))), 'latin1').toString('utf8'));
}
