'use client';
// A candlestick chart of 5m bars (lightweight-charts, browser-only: loaded inside useEffect) with a marker per fill —
// entries below the bar, exits above — and the position's average cost and exit levels as price lines. The marker
// counts are on the figure (data-markers, data-entries, data-exits) for tests and tools; the fills table beside it is
// the chart's text equivalent. A page that defines `window.__chartTimings` (bench/console-browser.bench.ts) gets one
// entry per draw: setData's start and end and the first moment after the next frame painted (performance.now()).
import type { TPositionDetail } from '@ai-trader/contracts';
import type { IChartApi, IPriceLine, ISeriesApi, ISeriesMarkersPluginApi, SeriesMarker, Time, UTCTimestamp } from 'lightweight-charts';
import { useEffect, useMemo, useRef, useState } from 'react';
import { nyClock, nyDate, time } from '@/lib/format';

/** Seconds of an ISO time; the server's toISOString() form (YYYY-MM-DDTHH:mm:ss.sssZ) without Date.parse, which took
 *  ~40 ms for 50,000 bars. */
function sec(iso: string): UTCTimestamp {
  if (iso.length !== 24 || iso[10] !== 'T' || iso[23] !== 'Z') return Math.floor(Date.parse(iso) / 1000) as UTCTimestamp;
  const n = (from: number, to: number) => {
    let v = 0;
    for (let i = from; i < to; i++) v = v * 10 + iso.charCodeAt(i) - 48;
    return v;
  };
  return (Date.UTC(n(0, 4), n(5, 7) - 1, n(8, 10), n(11, 13), n(14, 16), n(17, 19)) / 1000) as UTCTimestamp;
}

export interface ChartTiming { symbol: string; bars: number; mounted: number; created: number; start: number; setDataEnd: number; painted: number }

/** After the frame that draws the new data: the chart draws in requestAnimationFrame, a message posted from the next
 *  rAF callback arrives once that frame is painted. */
function reportDraw(symbol: string, bars: number, at: { mounted: number; created: number }, start: number, setDataEnd: number) {
  const timings = (window as { __chartTimings?: ChartTiming[] }).__chartTimings;
  if (!Array.isArray(timings)) return;
  requestAnimationFrame(() => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => {
      ch.port1.close();
      timings.push({ symbol, bars, ...at, start, setDataEnd, painted: performance.now() });
    };
    ch.port2.postMessage(null);
  });
}

interface Chart {
  chart: IChartApi;
  series: ISeriesApi<'Candlestick'>;
  markers: ISeriesMarkersPluginApi<Time>;
  lines: IPriceLine[];
  fitted: boolean;
  /** When the component mounted and when its chart was created (performance.now()), for reportDraw. */
  at: { mounted: number; created: number };
}

/** Each fill on the bar it happened in (the newest bar starting at or before it); `starts` are the bars' times. */
function markersOf(d: TPositionDetail, starts: UTCTimestamp[], colors: { pos: string; neg: string }): SeriesMarker<Time>[] {
  return d.fills.flatMap((f): SeriesMarker<Time>[] => {
    const t = sec(f.at);
    let lo = 0, hi = starts.length - 1, at = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (starts[mid]! <= t) { at = mid; lo = mid + 1; } else hi = mid - 1;
    }
    if (at < 0) return [];
    return [f.side === 'BUY'
      ? { time: starts[at]!, position: 'belowBar', shape: 'arrowUp', color: colors.pos, text: `B ${f.qty}`, id: f.id }
      : { time: starts[at]!, position: 'aboveBar', shape: 'arrowDown', color: colors.neg, text: `S ${f.qty}${f.exitReason ? ` ${f.exitReason}` : ''}`, id: f.id }];
  });
}

export function CandleChart({ detail }: { detail: TPositionDetail }) {
  const box = useRef<HTMLDivElement>(null);
  const api = useRef<Chart | null>(null);
  const [ready, setReady] = useState(false);
  const [failed, setFailed] = useState<string | null>(null);
  const [colors, setColors] = useState({ pos: '#3fb950', neg: '#f85149', warn: '#d29922', muted: '#8b9aa7', line: '#2a3640', panel: '#172029' });

  useEffect(() => {
    let disposed = false;
    const mounted = performance.now();
    import('lightweight-charts')
      .then((lc) => {
        if (disposed || !box.current) return;
        const css = getComputedStyle(document.documentElement);
        const v = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
        const c = { pos: v('--pos', '#3fb950'), neg: v('--neg', '#f85149'), warn: v('--warn', '#d29922'), muted: v('--muted', '#8b9aa7'), line: v('--line', '#2a3640'), panel: v('--panel', '#172029') };
        setColors(c);
        const chart = lc.createChart(box.current, {
          autoSize: true,
          layout: { background: { type: lc.ColorType.Solid, color: c.panel }, textColor: c.muted, attributionLogo: false },
          grid: { vertLines: { color: c.line }, horzLines: { color: c.line } },
          timeScale: { timeVisible: true, secondsVisible: false, borderColor: c.line, tickMarkFormatter: (t: Time, type: number) => (type <= 2 ? nyDate(Number(t) * 1000).slice(5) : nyClock(Number(t) * 1000)) },
          rightPriceScale: { borderColor: c.line },
          localization: { timeFormatter: (t: Time) => time(new Date(Number(t) * 1000).toISOString()) },
        });
        const series = chart.addSeries(lc.CandlestickSeries, { upColor: c.pos, downColor: c.neg, wickUpColor: c.pos, wickDownColor: c.neg, borderVisible: false });
        api.current = { chart, series, markers: lc.createSeriesMarkers(series, []), lines: [], fitted: false, at: { mounted, created: performance.now() } };
        setReady(true);
      })
      .catch((e: Error) => setFailed(e.message));
    return () => {
      disposed = true;
      api.current?.chart.remove();
      api.current = null;
    };
  }, []);

  const starts = useMemo(() => detail.bars.map((b) => sec(b.ts)), [detail]);
  const markers = useMemo(() => markersOf(detail, starts, colors), [detail, starts, colors]);
  const entries = markers.filter((m) => m.shape === 'arrowUp').length;

  useEffect(() => {
    const a = api.current;
    if (!ready || !a) return;
    const start = performance.now();
    a.series.setData(detail.bars.map((b, i) => ({ time: starts[i]!, open: Number(b.open), high: Number(b.high), low: Number(b.low), close: Number(b.close) })));
    a.markers.setMarkers(markers);
    for (const l of a.lines) a.series.removePriceLine(l);
    const p = detail.position;
    const levels: [string | null, string, string][] = p && Number(p.qty) > 0
      ? [[p.avgCost, 'avg cost', colors.muted], [p.stopPrice, 'stop', colors.neg], [p.targetPrice, 'target', colors.pos], [p.trailStop, 'trail', colors.warn]]
      : [];
    a.lines = levels.filter(([price]) => price !== null).map(([price, title, color]) => a.series.createPriceLine({ price: Number(price), title, color, lineWidth: 1, lineStyle: 2, axisLabelVisible: true }));
    if (!a.fitted) {
      a.chart.timeScale().fitContent();
      a.fitted = true;
    }
    reportDraw(detail.symbol, detail.bars.length, a.at, start, performance.now());
  }, [ready, detail, starts, markers, colors]);

  const first = detail.bars[0]?.ts, last = detail.bars[detail.bars.length - 1]?.ts;
  return (
    <figure className="candles" data-testid="position-chart" data-ready={ready ? 'true' : 'false'} data-bars={detail.bars.length} data-markers={markers.length} data-entries={entries} data-exits={markers.length - entries}>
      <div ref={box} className="candles-box" />
      <figcaption>
        {detail.symbol}, 5-minute bars {time(first)} → {time(last)} (New York): {entries} entr{entries === 1 ? 'y' : 'ies'} ▲ and {markers.length - entries} exit{markers.length - entries === 1 ? '' : 's'} ▼ marked.
        {failed && <span role="alert" className="error"> The chart could not load ({failed}); the fills are listed below.</span>}
        {' '}<span className="muted">Chart by <a href="https://www.tradingview.com/" rel="noopener noreferrer" target="_blank">TradingView Lightweight Charts™</a>.</span>
      </figcaption>
    </figure>
  );
}
