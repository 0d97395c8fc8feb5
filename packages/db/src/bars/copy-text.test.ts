// COPY text of bars: one escaped line per bar, readable back into the same bars (the loader's retry path).
import type { TBar } from '@ai-trader/contracts';
import { describe, expect, it } from 'vitest';
import { copyText, fromCopyText } from './copy-text.ts';

const bar = (over: Partial<TBar> = {}): TBar => ({
  symbol: 'AAPL', timeframe: '5m', ts: '2025-06-04T13:30:00Z', open: '596.96', high: '597.2', low: '596.5', close: '597.0', volume: '1000', source: 'import:yahoo', ...over,
});

describe('copyText', () => {
  it('writes one tab-separated line per bar and escapes the source', () => {
    const text = copyText([bar(), bar({ ts: '2025-06-04T13:35:00Z', source: 'a\tb\\c\nd\re' })]).toString('utf8');
    expect(text).toBe(
      'AAPL\t2025-06-04T13:30:00Z\t596.96\t597.2\t596.5\t597.0\t1000\timport:yahoo\n' +
        'AAPL\t2025-06-04T13:35:00Z\t596.96\t597.2\t596.5\t597.0\t1000\ta\\tb\\\\c\\nd\\re\n',
    );
    expect(copyText([]).length).toBe(0);
  });

  it('encodes non-ASCII text as UTF-8', () => {
    const bars = [bar({ source: 'Börse' }), bar({ symbol: 'Ä', source: 'x' })];
    expect(copyText(bars).toString('utf8')).toBe(bars.map((b) => `${b.symbol}\t${b.ts}\t596.96\t597.2\t596.5\t597.0\t1000\t${b.source}\n`).join(''));
  });

  it('reads back into the same bars', () => {
    const bars = [bar(), bar({ ts: '2025-06-04T13:35:00Z', source: 'a\tb\\c\nd\\t' }), bar({ source: 'Börse', volume: '0' })];
    expect(fromCopyText(copyText(bars), '5m')).toEqual(bars);
  });
});
