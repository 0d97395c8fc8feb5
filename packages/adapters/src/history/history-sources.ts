// History sources for backfills: Polygon REST (aggregates + news), or the replay files in shared/data
// (so backfills work, and are tested, with no API key).
import path from 'node:path';
import type { TBar, TTimeframe } from '@ai-trader/contracts';
import type { BarHistorySource, TNewsItem } from '@ai-trader/core';
import { toEt } from '@ai-trader/domain';
import type { PolygonRest } from '../polygon/polygon-rest.ts';
import { loadReplayFile } from '../feeds/replay-feed.ts';

const SPAN: Record<TTimeframe, { multiplier: number; timespan: 'minute' | 'hour' | 'day' }> = {
  '1m': { multiplier: 1, timespan: 'minute' },
  '5m': { multiplier: 5, timespan: 'minute' },
  '1h': { multiplier: 1, timespan: 'hour' },
  '1d': { multiplier: 1, timespan: 'day' },
};

export class PolygonHistorySource implements BarHistorySource {
  readonly name = 'polygon';
  constructor(private readonly rest: PolygonRest) {}

  async *dayBars(symbol: string, day: string, timeframe: TTimeframe): AsyncIterable<TBar[]> {
    // Polygon's from/to dates are New York dates for intraday aggregates, which is what `day` is.
    yield* this.rest.aggregates({ ticker: symbol, ...SPAN[timeframe], from: day, to: day });
  }

  usage() {
    return this.rest.usage();
  }

  async *dayNews(symbol: string, day: string): AsyncIterable<TNewsItem[]> {
    for await (const page of this.rest.news({ ticker: symbol, from: day, to: day }))
      yield page.map((n) => ({ ...n, publisher: n.publisher }));
  }
}

/** Replay files as a history source; a symbol without a file is an error naming the file. */
export class ReplayHistorySource implements BarHistorySource {
  readonly name = 'replay';
  private readonly cache = new Map<string, Promise<Map<string, TBar[]>>>();
  constructor(private readonly dataDir: string) {}

  private byDay(symbol: string, timeframe: TTimeframe) {
    const k = `${timeframe}/${symbol}`;
    let p = this.cache.get(k);
    if (!p) {
      const file = path.join(this.dataDir, 'bars', timeframe, `${symbol}.csv`);
      p = loadReplayFile(file, symbol, timeframe).catch((e: Error) => {
        // The operator needs the fact, not the server's file layout.
        throw new Error(/ENOENT/.test(e.message) ? `no replay data for ${symbol} at ${timeframe}` : e.message);
      }).then((bars) => {
        const m = new Map<string, TBar[]>();
        for (const b of bars) {
          const day = timeframe === '1d' ? b.ts.slice(0, 10) : toEt(new Date(b.ts)).date;
          (m.get(day) ?? m.set(day, []).get(day)!).push(b);
        }
        return m;
      });
      p.catch(() => this.cache.delete(k));
      this.cache.set(k, p);
    }
    return p;
  }

  async *dayBars(symbol: string, day: string, timeframe: TTimeframe): AsyncIterable<TBar[]> {
    const bars = (await this.byDay(symbol, timeframe)).get(day);
    if (bars?.length) yield bars;
  }

  async *dayNews(): AsyncIterable<TNewsItem[]> {
    // The replay data has no news.
  }
}
