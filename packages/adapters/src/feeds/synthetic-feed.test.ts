// The synthetic feed: same seed same bytes, only NYSE regular-session slots, bars that are always
// consistent, and a month of it that the project's own series validator accepts without a complaint.
import { describe, expect, it } from 'vitest';
import { ZBar, type TBar } from '@ai-trader/contracts';
import { barChecks, inRegularSession, validateSeries } from '@ai-trader/domain';
import { runReplay } from './replay-feed.ts';
import { syntheticBars } from './synthetic-feed.ts';

const flat = (groups: TBar[][]) => groups.flat();
const bySymbol = (groups: TBar[][], symbol: string) => flat(groups).filter((b) => b.symbol === symbol);
const pct = (a: string, b: string) => Math.abs(Number(a) / Number(b) - 1);

describe('syntheticBars: reproducible', () => {
  const opts = { seed: 42, symbols: ['SPY', 'AAPL'], timeframe: '5m', from: '2025-06-02', to: '2025-06-06' } as const;

  it('same seed → byte-identical output; 42 and "42" are one seed; another seed → other bars', () => {
    const a = JSON.stringify(syntheticBars(opts));
    expect(JSON.stringify(syntheticBars(opts))).toBe(a);
    expect(JSON.stringify(syntheticBars({ ...opts, seed: '42' }))).toBe(a);
    const b = syntheticBars({ ...opts, seed: 43 });
    expect(JSON.stringify(b)).not.toBe(a);
    expect(flat(b)[0]!.source).toBe('synthetic:43');
    // not merely a shifted copy: the closes of the two seeds disagree on most bars
    const closesA = flat(syntheticBars(opts)).map((x) => x.close), closesB = flat(b).map((x) => x.close);
    expect(closesA.filter((c, i) => c !== closesB[i]).length).toBeGreaterThan(0.9 * closesA.length);
  });

  it('pins the first bars of seed 42, so a change to the model cannot pass unnoticed', () => {
    const g = syntheticBars({ ...opts, startPrices: { SPY: '600.00' } });
    expect(g[0]!.map((b) => `${b.symbol} ${b.ts} ${b.open} ${b.high} ${b.low} ${b.close} ${b.volume}`)).toMatchInlineSnapshot(`
      [
        "SPY 2025-06-02T13:30:00Z 600.00 604.39 599.96 603.35 1760583",
        "AAPL 2025-06-02T13:30:00Z 262.97 263.64 262.97 263.32 572687",
      ]
    `);
  });

  it("a symbol's bars do not depend on which other symbols are generated with it", () => {
    const together = bySymbol(syntheticBars(opts), 'AAPL');
    const alone = bySymbol(syntheticBars({ ...opts, symbols: ['AAPL'] }), 'AAPL');
    expect(alone).toEqual(together);
  });

  it('starts at the given price', () => {
    const g = syntheticBars({ ...opts, startPrices: { SPY: '600.00', AAPL: '199.5' } });
    expect(g[0]!.map((b) => b.open)).toEqual(['600.00', '199.50']);
  });
});

describe('syntheticBars: market hours', () => {
  it('2025-07-03 (early close) has 42 5m slots per symbol, 2025-07-04 (holiday) none, the weekend none', () => {
    const g = syntheticBars({ seed: 'hours', symbols: ['SPY', 'QQQ', 'MSFT'], timeframe: '5m', from: '2025-07-03', to: '2025-07-06' });
    expect(g).toHaveLength(42);
    expect(g.every((group) => group.map((b) => b.symbol).join() === 'SPY,QQQ,MSFT')).toBe(true);
    expect([g[0]![0]!.ts, g.at(-1)![0]!.ts]).toEqual(['2025-07-03T13:30:00Z', '2025-07-03T16:55:00Z']);
  });

  it('only regular-session slots, every one of them, across the November DST change (1m)', () => {
    const g = syntheticBars({ seed: 1, symbols: ['SPY'], timeframe: '1m', from: '2025-10-31', to: '2025-11-04' });
    expect(flat(g).every((b) => inRegularSession(new Date(b.ts), 1))).toBe(true);
    const perDay = new Map<string, string[]>();
    for (const b of flat(g)) (perDay.get(b.ts.slice(0, 10)) ?? perDay.set(b.ts.slice(0, 10), []).get(b.ts.slice(0, 10))!).push(b.ts);
    expect([...perDay].map(([d, ts]) => `${d} ${ts.length} ${ts[0]!.slice(11)}`)).toEqual([
      '2025-10-31 390 13:30:00Z', // EDT
      '2025-11-03 390 14:30:00Z', // EST
      '2025-11-04 390 14:30:00Z',
    ]);
  });

  it('refuses bad options with a message naming what is wrong', () => {
    const ok = { seed: 1, symbols: ['SPY'], timeframe: '5m', from: '2025-06-02', to: '2025-06-02' } as const;
    expect(() => syntheticBars({ ...ok, from: '2025-06-03' })).toThrow(/from 2025-06-03 is after to 2025-06-02/);
    expect(() => syntheticBars({ ...ok, to: '2025-6-2' })).toThrow(/YYYY-MM-DD/);
    expect(() => syntheticBars({ ...ok, symbols: ['spy'] })).toThrow(/'spy' must be an upper-case ticker/);
    expect(() => syntheticBars({ ...ok, symbols: ['SPY', 'SPY'] })).toThrow(/listed twice/);
    expect(() => syntheticBars({ ...ok, startPrices: { SPY: '0' } })).toThrow(/startPrices.SPY must be a decimal string ≥ 0.01/);
    expect(() => syntheticBars({ ...ok, seed: Number.NaN })).toThrow(/seed must be/);
    expect(() => syntheticBars({ ...ok, from: '2023-12-29', to: '2023-12-29' })).toThrow(/NYSE calendar covers 2024–2027/);
  });
});

describe('syntheticBars: the bars themselves', () => {
  // Six months of 1m bars for three symbols: 142 740 bars.
  const long = syntheticBars({ seed: 'long', symbols: ['AAA', 'BBB', 'CCC'], timeframe: '1m', from: '2025-01-02', to: '2025-06-30' });

  it('OHLC always consistent, prices positive cents, volume a positive whole number, every bar a valid TBar', () => {
    const bars = flat(long);
    expect(bars.length).toBe(3 * 122 * 390); // 122 NYSE trading days in 2025-H1, none of them an early close
    expect(bars.flatMap((b) => barChecks(b).map((p) => `${b.symbol} ${b.ts}: ${p.detail}`))).toEqual([]);
    const cents = /^\d+\.\d{2}$/;
    expect(bars.filter((b) => ![b.open, b.high, b.low, b.close].every((p) => cents.test(p)) || !(Number(b.low) > 0) || !/^[1-9]\d*$/.test(b.volume))).toEqual([]);
    expect(bars.filter((_, i) => i % 997 === 0).every((b) => ZBar.safeParse(b).success)).toBe(true);
  });

  it('volume is U-shaped over the session: the first and last 30 minutes trade more than the middle', () => {
    // one ordinary day, all three symbols summed per minute
    const day = long.filter((g) => g[0]!.ts.startsWith('2025-03-04')).map((g) => g.reduce((a, b) => a + Number(b.volume), 0));
    const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const [edge, middle] = [avg([...day.slice(0, 30), ...day.slice(-30)]), avg(day.slice(180, 210))];
    expect(edge / middle).toBeGreaterThan(2);
  });

  it('days open with a small gap, and now and then a big one (|gap| > 1 % on a few days, not most)', () => {
    const bars = bySymbol(long, 'BBB');
    const gaps: number[] = [];
    for (let i = 1; i < bars.length; i++) if (bars[i]!.ts.slice(0, 10) !== bars[i - 1]!.ts.slice(0, 10)) gaps.push(pct(bars[i]!.open, bars[i - 1]!.close));
    expect(gaps).toHaveLength(121);
    const big = gaps.filter((g) => g > 0.01).length;
    expect(big).toBeGreaterThan(0);
    expect(big).toBeLessThan(gaps.length * 0.15);
    // inside a day the walk is continuous: each bar opens at the previous close
    const within = bars.filter((b, i) => i > 0 && b.ts.slice(0, 10) === bars[i - 1]!.ts.slice(0, 10) && b.open !== bars[i - 1]!.close);
    expect(within).toEqual([]);
  });

  it('a month of 5m bars for 3 symbols passes validateSeries (regular session) with no reject, warning or hole', () => {
    const g = syntheticBars({ seed: 'validate', symbols: ['SPY', 'QQQ', 'TSLA'], timeframe: '5m', from: '2025-07-01', to: '2025-07-31' });
    for (const symbol of ['SPY', 'QQQ', 'TSLA']) {
      const r = validateSeries(bySymbol(g, symbol), { timeframe: '5m', session: 'regular', expectComplete: { from: '2025-07-01', to: '2025-07-31' } });
      expect({ symbol, rejected: r.rejected.map((x) => x.problems.map((p) => p.detail)), warnings: r.warnings, missing: r.missing.length, good: r.good.length })
        .toEqual({ symbol, rejected: [], warnings: [], missing: 0, good: 22 * 78 - 36 });
    }
  });

  it('plays through runReplay like the replay feed', async () => {
    const groups = syntheticBars({ seed: 5, symbols: ['SPY', 'QQQ'], timeframe: '5m', from: '2025-06-02', to: '2025-06-02' });
    const seen: string[] = [];
    const n = await runReplay({ groups, timeframe: '5m', pacing: 'lockstep', speed: 1, signal: new AbortController().signal, emit: async (b) => { seen.push(`${b.symbol}@${b.ts}`); } });
    expect(n).toBe(78);
    expect(seen.slice(0, 2)).toEqual(['SPY@2025-06-02T13:30:00Z', 'QQQ@2025-06-02T13:30:00Z']);
  });
});
