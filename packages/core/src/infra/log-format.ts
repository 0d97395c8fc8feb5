// How one pino line looks in the category files and on a terminal: which runbook files it belongs in, the JSON
// record (ISO UTC time, level label, category, correlation ids first) and the runbook's line form
// `INFO [2024-01-01 09:30:15] Order executed: BUY 100 AAPL @ 150.25` (time in New York market time). Pure.
import { logCategory } from './log-store.ts';

/** The runbook's files, relative to LOG_DIR. Every line also goes to ai_trader.log. */
export const LOG_FILES = [
  'ai_trader.log',
  'trading/orders.log', 'trading/positions.log', 'trading/risk.log',
  'backfill/market_data.log', 'backfill/news.log', 'backfill/errors.log',
  'scanner/layer0.log', 'scanner/layer1.log', 'scanner/alerts.log',
  'errors/critical.log', 'errors/exceptions.log',
] as const;
export type TLogFile = (typeof LOG_FILES)[number];

/** Ids that follow one order from its signal to its fills, in the order they appear in a record. */
export const CORRELATION_IDS = ['signalId', 'intentId', 'clientOrderId', 'brokerOrderId', 'orderId', 'executionId', 'fillId'] as const;

const LABELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };
const SUBS: Record<string, readonly string[]> = {
  scanner: ['layer0', 'layer1', 'alerts'],
  backfill: ['market_data', 'news', 'errors'],
};

export const levelLabel = (level: unknown): string =>
  typeof level === 'number' ? (LABELS[level] ?? String(level)) : typeof level === 'string' ? level : 'info';
const levelNumber = (level: unknown): number => (typeof level === 'number' ? level : 30);

/**
 * The file category of a line: the Logs page's category (logCategory), refined for scanner and backfill lines —
 * an explicit `category: 'scanner.alerts'` wins; else a scanner line's `layer`, a backfill line's `stage`, and
 * backfill warnings and errors go to `backfill.errors`. A scanner line without a layer stays `scanner`.
 */
export function fileCategory(o: Record<string, unknown>): string {
  const base = logCategory(o);
  const subs = SUBS[base];
  if (!subs) return base;
  const own = typeof o.category === 'string' && o.category.startsWith(`${base}.`) ? o.category.slice(base.length + 1) : null;
  if (own && subs.includes(own)) return `${base}.${own}`;
  if (base === 'backfill') {
    if (levelNumber(o.level) >= 40) return 'backfill.errors';
    return o.stage === 'news' ? 'backfill.news' : 'backfill.market_data';
  }
  return typeof o.layer === 'string' && subs.includes(o.layer) ? `${base}.${o.layer}` : base;
}

const CATEGORY_FILE: Record<string, TLogFile> = {
  orders: 'trading/orders.log', positions: 'trading/positions.log', risk: 'trading/risk.log',
  'backfill.market_data': 'backfill/market_data.log', 'backfill.news': 'backfill/news.log', 'backfill.errors': 'backfill/errors.log',
  'scanner.layer0': 'scanner/layer0.log', 'scanner.layer1': 'scanner/layer1.log', 'scanner.alerts': 'scanner/alerts.log',
};

/**
 * The files a line goes to: ai_trader.log; its category's file; errors/exceptions.log for errors and for warnings
 * that carry an `err`; errors/critical.log for fatal lines and critical alerts.
 */
export function filesFor(o: Record<string, unknown>, category = fileCategory(o)): TLogFile[] {
  const out: TLogFile[] = ['ai_trader.log'];
  const own = CATEGORY_FILE[category];
  if (own) out.push(own);
  const level = levelNumber(o.level);
  if (level >= 50 || (level >= 40 && o.err !== undefined)) out.push('errors/exceptions.log');
  if (level >= 60 || (o.alert !== undefined && o.levelField === 'critical')) out.push('errors/critical.log');
  return out;
}

/** The JSON record of a file line: time (ISO UTC), level label, category, name, msg, the ids, then the rest. */
export function fileRecord(o: Record<string, unknown>, category = fileCategory(o)): Record<string, unknown> {
  const { time, level, category: _own, name, msg, ...rest } = o;
  const head: Record<string, unknown> = {
    time: typeof time === 'number' ? new Date(time).toISOString() : time,
    level: levelLabel(level),
    category,
    ...(name !== undefined ? { name } : {}),
    msg: msg ?? '',
  };
  for (const id of CORRELATION_IDS) if (rest[id] !== undefined) head[id] = rest[id];
  for (const [k, v] of Object.entries(rest)) if (!(k in head)) head[k] = v;
  return head;
}

const NEW_YORK = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'America/New_York', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
});

/** `2024-01-01 09:30:15` in America/New_York (market time; the runbook's example is the 09:30 open). */
export function marketTimestamp(at: Date): string {
  const p: Record<string, string> = {};
  for (const part of NEW_YORK.formatToParts(at)) p[part.type] = part.value;
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`;
}

/**
 * The runbook's line form: `LEVEL [yyyy-mm-dd hh:mm:ss] message`, then the correlation ids and an error's
 * message as `key=value` — after the message, so `awk '/Order executed/ {print $6, $7}'` still prints side and qty.
 */
export function prettyLine(o: Record<string, unknown>): string {
  const t = typeof o.time === 'number' || typeof o.time === 'string' ? new Date(o.time) : new Date();
  const stamp = Number.isNaN(t.getTime()) ? String(o.time) : marketTimestamp(t);
  const msg = typeof o.msg === 'string' ? o.msg : JSON.stringify(o.msg ?? '');
  let line = `${levelLabel(o.level).toUpperCase()} [${stamp}] ${msg.replace(/\n/g, '\\n')}`;
  for (const id of CORRELATION_IDS) if (typeof o[id] === 'string' || typeof o[id] === 'number') line += ` ${id}=${String(o[id])}`;
  const err = o.err as { message?: unknown; type?: unknown } | string | undefined;
  if (err !== undefined) line += ` err=${JSON.stringify(typeof err === 'object' && err ? (err.message ?? err.type ?? '') : err)}`;
  return line;
}

/**
 * A pino line parsed, or null for text that is not a JSON object (kept as it is by the callers). pino writes its
 * numeric `level` first and a log object's own `level` (an alert's `critical`, a stop's price) would replace it in
 * JSON.parse: the numeric one (`levelHint` from pino.multistream, else the line's head) is put back and the
 * object's own value kept as `levelField`.
 */
export function parseLine(raw: string, levelHint?: number): Record<string, unknown> | null {
  let o: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(raw);
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return null;
    o = parsed as Record<string, unknown>;
  } catch {
    return null;
  }
  const head = /^\{"level":(\d+)/.exec(raw);
  const level = levelHint || (head ? Number(head[1]) : typeof o.level === 'number' ? o.level : 30);
  if (o.level !== level) {
    if (o.level !== undefined) o.levelField = o.level;
    o.level = level;
  }
  return o;
}
