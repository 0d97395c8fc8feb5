import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadReplay, loadReplayFile, ReplayDataError, runReplay } from './replay-feed.ts';

const shared = path.resolve(import.meta.dirname, '../../../../../shared/data');

describe('replay feed', () => {
  it('keeps only regular-session bars of the real data, grouped by time', async () => {
    const groups = await loadReplay({ dataDir: shared, symbols: ['SPY', 'QQQ'], timeframe: '5m', start: '2025-07-03', end: '2025-07-03', session: 'regular' });
    // early close: 09:30–12:55 ET = 42 slots; SPY lacks 12:50 and 12:55 (see data README)
    expect(groups).toHaveLength(42);
    expect(groups[0]!.map((b) => b.symbol)).toEqual(['SPY', 'QQQ']);
    expect(groups[0]![0]!.ts).toBe('2025-07-03T13:30:00Z');
    expect(groups.at(-1)!.map((b) => b.symbol)).toEqual(['QQQ']);
    expect(groups.every((g) => g.every((b) => Number(b.volume) >= 0))).toBe(true);
  });

  it('says which file and line is bad', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'replay-'));
    mkdirSync(path.join(dir, 'bars', '5m'), { recursive: true });
    const f = path.join(dir, 'bars', '5m', 'SPY.csv');
    writeFileSync(f, 'ts,open,high,low,close,volume\n2025-06-04T13:30:00Z,1,2,0.5,1.5,10\n2025-06-04T13:35:00Z,1,2,abc,1.5,10\n');
    await expect(loadReplayFile(f, 'SPY', '5m')).rejects.toThrow(ReplayDataError);
    await expect(loadReplayFile(f, 'SPY', '5m')).rejects.toThrow(/SPY\.csv:3: low must be a decimal string/);
    await expect(loadReplayFile(path.join(dir, 'nope.csv'), 'SPY', '5m')).rejects.toThrow(/nope\.csv:0: cannot read: ENOENT/);
  });

  it('resumes after its cursor and stops on abort', async () => {
    const groups = await loadReplay({ dataDir: shared, symbols: ['SPY'], timeframe: '5m', start: '2025-06-04', end: '2025-06-04', session: 'regular' });
    let cursor: string | null = groups[9]![0]!.ts;
    const seen: string[] = [];
    const ac = new AbortController();
    const n = await runReplay({
      groups, timeframe: '5m', pacing: 'realtime', speed: 1_000_000, signal: ac.signal,
      cursor: { get: async () => cursor, set: async (ts) => { cursor = ts; } },
      emit: async (b) => { seen.push(b.ts); if (seen.length === 5) ac.abort(); },
    });
    expect(seen[0]).toBe(groups[10]![0]!.ts);
    expect(n).toBe(5);
    expect(cursor).toBe(seen[4]);
  });
});
