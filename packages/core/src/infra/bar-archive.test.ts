// The archive format's pure parts: record splitting (quoted fields across lines), the merge of two sorted streams
// (a key in both must be the same line) and the day a bar is filed under.
import { describe, expect, it } from 'vitest';
import { archiveDayOf, csvRecords, mergeRecords, type ArchiveRecord } from './bar-archive.ts';

async function* chunks(...parts: string[]) {
  for (const p of parts) yield Buffer.from(p);
}
const collect = async <T>(it: AsyncIterable<T>) => {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
};
const rec = (symbol: string, ts: string, rest = '1,test'): ArchiveRecord => ({ symbol, ts, line: `${symbol},${ts},${rest}\n` });
async function* from(...r: ArchiveRecord[]) {
  yield* r;
}

describe('bar archive format', () => {
  it('splits records across chunk boundaries, keeps a quoted newline inside its record, skips the header', async () => {
    const text = 'symbol,ts,source\nAAPL,2024-01-02T14:30:00.000Z,plain\nAAPL,2024-01-02T14:35:00.000Z,"two\nlines, and ""quotes"""\nMSFT,2024-01-02T14:30:00.000Z,x\n';
    const r = await collect(csvRecords(chunks(text.slice(0, 40), text.slice(40, 77), text.slice(77)), { header: true }));
    expect(r.map((x) => [x.symbol, x.ts])).toEqual([['AAPL', '2024-01-02T14:30:00.000Z'], ['AAPL', '2024-01-02T14:35:00.000Z'], ['MSFT', '2024-01-02T14:30:00.000Z']]);
    expect(r[1]!.line).toBe('AAPL,2024-01-02T14:35:00.000Z,"two\nlines, and ""quotes"""\n');
    await expect(collect(csvRecords(chunks('AAPL,2024,x\nMSFT,2024')))).rejects.toThrow('archive data ends in the middle of a line');
  });

  it('merges sorted streams; the same key twice must be the same line', async () => {
    const a = [rec('AAPL', 't1'), rec('MSFT', 't1')];
    const b = [rec('AAPL', 't1'), rec('AAPL', 't2'), rec('BRK.B', 't1')];
    expect((await collect(mergeRecords(from(...a), from(...b), 'p'))).map((x) => `${x.symbol} ${x.ts}`)).toEqual(['AAPL t1', 'AAPL t2', 'BRK.B t1', 'MSFT t1']);
    await expect(collect(mergeRecords(from(rec('AAPL', 't1', '2,test')), from(rec('AAPL', 't1')), 'p'))).rejects.toThrow('p: the bar AAPL t1 is archived as AAPL,t1,2,test but stored as AAPL,t1,1,test');
    await expect(collect(mergeRecords(from(rec('MSFT', 't1'), rec('AAPL', 't1')), from(), 'p'))).rejects.toThrow('p: records out of order at AAPL t1');
  });

  it('files intraday bars under their New York date and daily bars under their UTC date', () => {
    const intraday = archiveDayOf('market_data_5m');
    expect(intraday('2024-01-03T00:30:00.000Z')).toBe('2024-01-02'); // 19:30 New York
    expect(intraday('2024-07-03T03:59:00.000Z')).toBe('2024-07-02'); // 23:59 EDT
    expect(intraday('2024-07-03T04:00:00.000Z')).toBe('2024-07-03');
    expect(archiveDayOf('market_data_1d')('2024-01-03T00:00:00.000Z')).toBe('2024-01-03');
  });
});
