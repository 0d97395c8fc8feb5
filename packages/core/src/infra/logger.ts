// Structured JSON logs (pino). Secrets are redacted by key wherever they appear in a log object — before any
// destination sees the line, so the log store (log-store.ts) only ever receives redacted lines.
import { pino, type Level, type Logger } from 'pino';
import { PrettyStream, type LogFiles } from './log-files.ts';
import type { LogStore } from './log-store.ts';

export * from './log-store.ts';
export * from './log-files.ts';
export * from './log-format.ts';

const REDACT = [
  'password', '*.password', 'secret', '*.secret', 'token', '*.token', 'apiKey', '*.apiKey',
  'authorization', '*.authorization', 'headers.authorization', 'headers.cookie', '*.headers.cookie',
  'secretKey', '*.secretKey', 'credentials', '*.credentials',
  'SESSION_SECRET', 'ALPACA_SECRET_KEY', 'ALPACA_KEY_ID', 'POLYGON_API_KEY', 'DEMO_ADMIN_PASSWORD', 'KEYS_ENCRYPTION_KEYS',
  '*.SESSION_SECRET', '*.ALPACA_SECRET_KEY', '*.ALPACA_KEY_ID', '*.POLYGON_API_KEY', '*.DEMO_ADMIN_PASSWORD', '*.KEYS_ENCRYPTION_KEYS',
  // Alert sinks: the SMTP URL holds a password, webhook URLs a token (sinks log only their masked target).
  'ALERT_SMTP_URL', 'ALERT_WEBHOOK_URL', 'ALERT_SLACK_WEBHOOK_URL', '*.ALERT_SMTP_URL', '*.ALERT_WEBHOOK_URL', '*.ALERT_SLACK_WEBHOOK_URL',
  'smtpUrl', '*.smtpUrl', 'webhookUrl', '*.webhookUrl',
];

/**
 * A process's logger. With a `store`, lines go to stdout at `level` and to the store at `storeLevel`
 * (default info), so the Logs page keeps info lines while stdout is quieter; with `files`, to the runbook's
 * category files (log-files.ts) at `fileLevel` (default info). `stdout` replaces fd 1 (tests); `format: 'pretty'`
 * prints the runbook's line form there instead of JSON.
 */
export function createLogger(opts: {
  level: string;
  name: string;
  store?: LogStore | undefined;
  storeLevel?: Level | undefined;
  files?: LogFiles | undefined;
  fileLevel?: Level | undefined;
  format?: 'json' | 'pretty' | undefined;
  stdout?: pino.DestinationStream | undefined;
}): Logger {
  const base = { name: opts.name, redact: { paths: REDACT, censor: '[redacted]' } };
  const pretty = opts.format === 'pretty';
  if (!opts.store && !opts.files && !pretty) return opts.stdout ? pino({ ...base, level: opts.level }, opts.stdout) : pino({ ...base, level: opts.level });
  // pino's own default destination: fd 1, asynchronous, flushed on exit.
  const fd1 = opts.stdout ?? pino.destination({ dest: 1, sync: false });
  const stdout = pretty ? new PrettyStream(fd1) : fd1;
  const streams: pino.StreamEntry[] = [];
  if (opts.store) streams.push({ level: opts.storeLevel ?? 'info', stream: opts.store });
  if (opts.files) streams.push({ level: opts.fileLevel ?? 'info', stream: opts.files });
  if (opts.level !== 'silent') streams.push({ level: opts.level as Level, stream: stdout });
  if (!streams.length) return pino({ ...base, level: 'silent' });
  const lowest = streams.reduce((lo, s) => Math.min(lo, pino.levels.values[s.level as Level] ?? 30), Infinity);
  return pino({ ...base, level: pino.levels.labels[lowest] ?? 'info' }, pino.multistream(streams));
}
