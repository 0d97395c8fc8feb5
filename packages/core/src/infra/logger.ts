// Structured JSON logs (pino). Secrets are redacted by key wherever they appear in a log object.
import { pino, type Logger } from 'pino';

const REDACT = [
  'password', '*.password', 'secret', '*.secret', 'token', '*.token', 'apiKey', '*.apiKey',
  'authorization', '*.authorization', 'headers.authorization', 'headers.cookie', '*.headers.cookie',
  'SESSION_SECRET', 'ALPACA_SECRET_KEY', 'ALPACA_KEY_ID', 'POLYGON_API_KEY', 'DEMO_ADMIN_PASSWORD',
  '*.SESSION_SECRET', '*.ALPACA_SECRET_KEY', '*.ALPACA_KEY_ID', '*.POLYGON_API_KEY', '*.DEMO_ADMIN_PASSWORD',
];

export function createLogger(opts: { level: string; name: string }): Logger {
  return pino({ name: opts.name, level: opts.level, redact: { paths: REDACT, censor: '[redacted]' } });
}
