// COPY binary rows of bars: the exact bytes Postgres expects, readable back into the same bars, and no
// attempt at values without an exact binary form (the loader sends those as text).
import type { TBar } from '@ai-trader/contracts';
import { describe, expect, it } from 'vitest';
import { copyBinary, fromCopyBinary } from './copy-binary.ts';

const bar = (over: Partial<TBar> = {}): TBar => ({
  symbol: 'AAPL', timeframe: '5m', ts: '2025-06-04T13:30:00Z', open: '596.96', high: '597.2', low: '0.5', close: '12345', volume: '1000', source: 'import:yahoo', ...over,
});

describe('copyBinary', () => {
  it('writes field count, lengths and values in network order', () => {
    const buf = copyBinary([bar()])!;
    const hex = (from: number, to: number) => buf.subarray(from, to).toString('hex');
    expect(buf.readInt16BE(0)).toBe(8);
    expect(buf.readInt32BE(2)).toBe(4);
    expect(buf.toString('latin1', 6, 10)).toBe('AAPL');
    expect(buf.readInt32BE(10)).toBe(8);
    // µs from 2000-01-01 to 2025-06-04T13:30:00Z
    expect(buf.readBigInt64BE(14)).toBe(BigInt(Date.parse('2025-06-04T13:30:00Z') - Date.parse('2000-01-01T00:00:00Z')) * 1000n);
    // 596.96: 2 digits (596, 9600), weight 0, positive, dscale 2
    expect(hex(22, 26 + 12)).toBe('0000000c' + '0002' + '0000' + '0000' + '0002' + '0254' + '2580');
    // 597.2: (597, 2000), dscale 1; 0.5: (0, 5000), dscale 1; 12345: (1, 2345), weight 1, dscale 0
    expect(hex(38, 54)).toBe('0000000c' + '0002000000000001' + '0255' + '07d0');
    expect(hex(54, 70)).toBe('0000000c' + '0002000000000001' + '00001388');
    expect(hex(70, 86)).toBe('0000000c' + '0002000100000000' + '00010929');
    expect(buf.readInt32BE(86)).toBe(8);
    expect(buf.readBigInt64BE(90)).toBe(1000n);
    expect(buf.readInt32BE(98)).toBe(12);
    expect(buf.toString('latin1', 102)).toBe('import:yahoo');
  });

  it('reads back into the same bars', () => {
    const bars = [
      bar(),
      bar({ ts: '1999-12-31T23:55:00Z', open: '-1.5', high: '12345678901234.123456789012345', low: '0', close: '100000000', volume: '-0' }),
      bar({ ts: '2199-12-31T23:59:59Z', open: '0.0001', high: '10000.00000', low: '9999.9999', close: '1.0', volume: '999999999999999', source: '' }),
    ];
    expect(fromCopyBinary(copyBinary(bars)!, '5m')).toEqual(bars.map((b) => (b.volume === '-0' ? { ...b, volume: '0' } : b)));
    expect(copyBinary([])!.length).toBe(0);
  });

  it('declines values without an exact binary form here', () => {
    for (const over of [
      { ts: '2025-06-04T13:30:00.000Z' }, { ts: '2025-06-04T09:30:00-04:00' }, { ts: '1899-12-31T23:59:59Z' }, { ts: '2200-01-01T00:00:00Z' }, { ts: '2025-02-30T00:00:00Z' },
      { open: '1234567890123456' }, { open: '1.1234567890123456' }, { open: '1e5' }, { open: '.5' }, { open: '5.' }, { open: '' }, { open: '1,5' },
      { volume: '1234567890123456' }, { volume: '1.0' }, { volume: '' }, { symbol: 'Ä' }, { source: 'Börse' },
    ])
      expect(copyBinary([bar(), bar(over)]), JSON.stringify(over)).toBeNull();
  });
});
