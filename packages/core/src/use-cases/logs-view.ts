// Reads the log store (`<prefix>:logs`, see infra/log-store.ts) for the console's Logs page: a newest-first
// search that reads a bounded number of lines per call, and a live tail (XREAD BLOCK) of new matching lines.
import { LOG_LEVELS, ZLogSearchInput, type TLogFilter, type TLogLine, type TLogPage, type TLogSearchInput } from '@ai-trader/contracts';
import { createRedis } from '../infra/redis.ts';
import { logStreamKey } from '../infra/log-store.ts';
import type { Deps } from '../ports.ts';

/** Lines read per search call at most; the answer says when it stopped there. */
export const LOG_SCAN_MAX = 20_000;
const PAGE = 1_000;
const LEVEL_NAMES: Record<number, string> = Object.fromEntries(Object.entries(LOG_LEVELS).map(([k, v]) => [v, k]));

type Entry = [id: string, fields: string[]];

function fieldsOf(f: string[]): { level: number; category: string; line: string } {
  const m: Record<string, string> = {};
  for (let i = 0; i + 1 < f.length; i += 2) m[f[i]!] = f[i + 1]!;
  return { level: Number(m.level ?? 30), category: m.category ?? 'system', line: m.line ?? '' };
}

/** A predicate over stored entries for one filter (category, lowest level, text). */
export function logMatcher(filter: TLogFilter): (e: { level: number; category: string; line: string }) => boolean {
  const minLevel = filter.minLevel ? LOG_LEVELS[filter.minLevel] : 0;
  const text = filter.text?.trim().toLowerCase() || null;
  const cat = filter.category;
  return (e) =>
    e.level >= minLevel &&
    (!cat || (cat === 'errors' ? e.level >= LOG_LEVELS.error : e.category === cat)) &&
    (!text || e.line.toLowerCase().includes(text));
}

function toLine(id: string, e: { level: number; category: string; line: string }): TLogLine {
  const at = new Date(Number(id.split('-')[0])).toISOString();
  let o: Record<string, unknown> = {};
  try {
    o = JSON.parse(e.line) as Record<string, unknown>;
  } catch {
    /* a cut or foreign line: shown as text */
  }
  const t = typeof o.time === 'number' && Number.isFinite(o.time) ? new Date(o.time).toISOString() : at;
  const err = o.err && typeof o.err === 'object' && 'message' in o.err ? String(o.err.message) : null;
  const msg = typeof o.msg === 'string' ? o.msg : (err ?? e.line.slice(0, 300));
  return {
    id, at, time: t, level: e.level, levelName: LEVEL_NAMES[e.level] ?? String(e.level), category: e.category,
    name: typeof o.name === 'string' ? o.name : null, msg, line: e.line,
  };
}

/**
 * Newest first. Time filters are ranges of stream ids (their first part is the ms the line was stored); the
 * other filters are applied here while reading at most LOG_SCAN_MAX lines — `partial` says the scan stopped
 * there, and `nextBefore` continues where it stopped (not after the last match, so nothing is skipped).
 */
export async function searchLogs(deps: Pick<Deps, 'redis' | 'config'>, raw: TLogSearchInput): Promise<TLogPage> {
  const input = ZLogSearchInput.parse(raw);
  const key = logStreamKey(deps.config.REDIS_PREFIX);
  const match = logMatcher(input);
  // The newest line first: an open-ended search ends there and a live tail starts after it, so neither misses
  // nor repeats a line stored in between.
  const [stored, newest] = await Promise.all([deps.redis.xlen(key), deps.redis.xrevrange(key, '+', '-', 'COUNT', 1)]);
  const newestId = newest[0]?.[0] ?? null;
  const start = input.from ? String(Date.parse(input.from)) : '-';
  let end = input.before ? `(${input.before}` : input.to ? String(Date.parse(input.to)) : (newestId ?? '+');
  const lines: TLogLine[] = [];
  let scanned = 0;
  let lastId: string | null = null;
  let exhausted = false;
  while (lines.length < input.limit && scanned < LOG_SCAN_MAX) {
    const count = Math.min(PAGE, LOG_SCAN_MAX - scanned);
    const rows = (await deps.redis.xrevrange(key, end, start, 'COUNT', count)) as Entry[];
    for (const [id, f] of rows) {
      scanned++;
      lastId = id;
      const e = fieldsOf(f);
      if (match(e)) lines.push(toLine(id, e));
      if (lines.length >= input.limit) break;
    }
    if (rows.length < count && lines.length < input.limit) {
      exhausted = true;
      break;
    }
    end = `(${lastId}`;
  }
  // Stopped by the limit exactly at the range's last line: the next page would be empty, which is harmless.
  return {
    lines, scanned,
    partial: !exhausted && lines.length < input.limit,
    nextBefore: exhausted || !lastId ? null : lastId,
    searchedBackTo: lastId ? new Date(Number(lastId.split('-')[0])).toISOString() : null,
    stored,
    newestId,
  };
}

/**
 * New lines matching `filter` as they are stored, in batches with the id to resume after. Blocks on its own
 * connection (XREAD BLOCK holds it), closed when `signal` aborts.
 */
export async function* tailLogs(
  deps: Pick<Deps, 'config'>,
  filter: TLogFilter,
  signal: AbortSignal,
  opts: { after?: string | null | undefined; blockMs?: number } = {},
): AsyncGenerator<{ lastId: string; lines: TLogLine[] }> {
  const key = logStreamKey(deps.config.REDIS_PREFIX);
  const match = logMatcher(filter);
  const conn = createRedis(deps.config.REDIS_URL, { name: 'logs-tail' });
  const stop = () => conn.disconnect();
  signal.addEventListener('abort', stop, { once: true });
  let last = opts.after ?? '$';
  try {
    while (!signal.aborted) {
      let res: Array<[string, Entry[]]> | null;
      try {
        res = (await conn.xread('COUNT', 500, 'BLOCK', opts.blockMs ?? 10_000, 'STREAMS', key, last)) as Array<[string, Entry[]]> | null;
      } catch (e) {
        if (signal.aborted) break;
        throw e;
      }
      const entries = res?.[0]?.[1] ?? [];
      if (!entries.length) continue;
      last = entries[entries.length - 1]![0];
      const lines = entries.flatMap(([id, f]) => {
        const e = fieldsOf(f);
        return match(e) ? [toLine(id, e)] : [];
      });
      if (lines.length) yield { lastId: last, lines: lines.reverse() };
    }
  } finally {
    signal.removeEventListener('abort', stop);
    conn.disconnect();
  }
}
