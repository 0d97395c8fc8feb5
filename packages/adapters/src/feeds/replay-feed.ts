// The replay feed: plays the real bars in shared/data (bars/<tf>/<SYM>.csv) back through the pipeline,
// time-compressed. Realtime pacing waits one bar interval / speed between timestamps (closed-market gaps
// are skipped); lockstep waits until the pipeline is idle, so a replay is exactly reproducible.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ZBar, type TBar, type TTimeframe } from '@ai-trader/contracts';
import { inRegularSession } from '@ai-trader/domain';

export interface ReplayOptions {
  dataDir: string;
  symbols: string[];
  timeframe: TTimeframe;
  start?: string | undefined; // YYYY-MM-DD (UTC date of bar start), inclusive
  end?: string | undefined; // inclusive
  session: 'regular' | 'all';
}

const MINUTES: Record<TTimeframe, number> = { '1m': 1, '5m': 5, '1h': 60, '1d': 1440 };

export class ReplayDataError extends Error {
  constructor(file: string, line: number, detail: string) {
    super(`${file}:${line}: ${detail}`);
    this.name = 'ReplayDataError';
  }
}

export async function loadReplayFile(file: string, symbol: string, timeframe: TTimeframe): Promise<TBar[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new ReplayDataError(file, 0, `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const lines = text.split('\n');
  if (lines[0]?.trim() !== 'ts,open,high,low,close,volume') throw new ReplayDataError(file, 1, `header must be ts,open,high,low,close,volume (got '${lines[0]}')`);
  const bars: TBar[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (!line) continue;
    const [ts, open, high, low, close, volume, extra] = line.split(',');
    if (extra !== undefined || volume === undefined) throw new ReplayDataError(file, i + 1, `expected 6 columns, got ${line.split(',').length}`);
    const parsed = ZBar.safeParse({ symbol, timeframe, ts, open, high, low, close, volume, source: `replay:${timeframe}/${symbol}.csv` });
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new ReplayDataError(file, i + 1, `${String(issue.path[0])} ${issue.message}`);
    }
    bars.push(parsed.data);
  }
  return bars;
}

/** All chosen bars, grouped by timestamp, ascending: one group is what the market shows at one instant. */
export async function loadReplay(o: ReplayOptions): Promise<TBar[][]> {
  const all: TBar[] = [];
  for (const symbol of o.symbols) {
    const file = path.join(o.dataDir, 'bars', o.timeframe, `${symbol}.csv`);
    for (const bar of await loadReplayFile(file, symbol, o.timeframe)) {
      const day = bar.ts.slice(0, 10);
      if (o.start && day < o.start) continue;
      if (o.end && day > o.end) continue;
      if (o.session === 'regular' && o.timeframe !== '1d' && !inRegularSession(new Date(bar.ts), MINUTES[o.timeframe])) continue;
      all.push(bar);
    }
  }
  const groups = new Map<string, TBar[]>();
  for (const b of all) (groups.get(b.ts) ?? groups.set(b.ts, []).get(b.ts)!).push(b);
  return [...groups.keys()].sort().map((k) => groups.get(k)!);
}

export interface ReplayRun {
  groups: TBar[][];
  timeframe: TTimeframe;
  pacing: 'realtime' | 'lockstep';
  speed: number;
  emit(bar: TBar): Promise<void>;
  /** Lockstep only: resolves when everything emitted so far has been processed. */
  waitIdle?(): Promise<void>;
  /** Resume point: groups at or before this timestamp are skipped; advanced after each group. */
  cursor?: { get(): Promise<string | null>; set(ts: string): Promise<void> };
  signal: AbortSignal;
  onProgress?(done: number, total: number, ts: string): void;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

/** Plays the groups; returns how many groups were emitted (stops early, cleanly, on abort). */
export async function runReplay(r: ReplayRun): Promise<number> {
  const after = (await r.cursor?.get()) ?? null;
  const start = after ? r.groups.findIndex((g) => g[0]!.ts > after) : 0;
  if (start < 0) return 0;
  const stepMs = (MINUTES[r.timeframe] * 60_000) / r.speed;
  let emitted = 0;
  for (let i = start; i < r.groups.length && !r.signal.aborted; i++) {
    const group = r.groups[i]!;
    for (const bar of group) await r.emit(bar);
    if (r.pacing === 'lockstep') await r.waitIdle?.();
    await r.cursor?.set(group[0]!.ts);
    emitted++;
    r.onProgress?.(i + 1, r.groups.length, group[0]!.ts);
    if (r.pacing === 'realtime' && i + 1 < r.groups.length) await sleep(stepMs, r.signal);
  }
  return emitted;
}
