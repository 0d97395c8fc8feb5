'use client';
// A candlestick chart of 5m bars (lightweight-charts, browser-only: loaded inside useEffect) with a marker per fill —
// entries below the bar, exits above — and the position's average cost and exit levels as price lines. The marker
// counts are on the figure (data-markers, data-entries, data-exits) for tests and tools; the fills table beside it is
// the chart's text equivalent. A page that defines `window.__chartTimings` (bench/console-browser.bench.ts) gets one
// entry per draw of new bars: setData's start and end and the first moment after the next frame painted
// (performance.now()).
import { chartBarTimes, chartPrice, type TChartBars, type TPositionDetail } from '@ai-trader/contracts';
import type { CandlestickData, IChartApi, IPriceLine, ISeriesApi, ISeriesMarkersPluginApi, SeriesMarker, Time, UTCTimestamp } from 'lightweight-charts';
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { nyClock, nyDate, time } from '@/lib/format';

/** Seconds of an ISO time (a fill's); the server's toISOString() form (YYYY-MM-DDTHH:mm:ss.sssZ) without Date.parse. */
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

type Colors = { pos: string; neg: string; warn: string; muted: string; line: string; panel: string };

interface Chart {
  chart: IChartApi;
  series: ISeriesApi<'Candlestick'>;
  markers: ISeriesMarkersPluginApi<Time>;
  lines: IPriceLine[];
  fitted: boolean;
  /** The bars the series holds (setData of 50,000 bars takes ~70 ms: only for new ones). */
  shown: TChartBars | null;
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

/** The series' data: one object per bar, straight from the columns (prices as the doubles nearest the exact decimals:
 *  the chart draws in floating point; the exact values are what the server sent). */
function candlesOf(b: TChartBars, times: readonly UTCTimestamp[]): CandlestickData<Time>[] {
  const out = new Array<CandlestickData<Time>>(times.length);
  for (let i = 0; i < times.length; i++)
    out[i] = { time: times[i]!, open: chartPrice(b.o[i]!, b.scale), high: chartPrice(b.h[i]!, b.scale), low: chartPrice(b.l[i]!, b.scale), close: chartPrice(b.c[i]!, b.scale) };
  return out;
}

/** Puts `d` on the chart: its bars when they are new, the fills as markers and the position's levels as price lines. */
function show(a: Chart, d: TPositionDetail, colors: Colors): void {
  const start = performance.now();
  const starts = chartBarTimes(d.bars) as UTCTimestamp[];
  const newBars = a.shown !== d.bars;
  if (newBars) {
    a.series.setData(candlesOf(d.bars, starts));
    a.shown = d.bars;
  }
  a.markers.setMarkers(markersOf(d, starts, colors));
  for (const l of a.lines) a.series.removePriceLine(l);
  const p = d.position;
  const levels: [string | null, string, string][] = p && Number(p.qty) > 0
    ? [[p.avgCost, 'avg cost', colors.muted], [p.stopPrice, 'stop', colors.neg], [p.targetPrice, 'target', colors.pos], [p.trailStop, 'trail', colors.warn]]
    : [];
  a.lines = levels.filter(([price]) => price !== null).map(([price, title, color]) => a.series.createPriceLine({ price: Number(price), title, color, lineWidth: 1, lineStyle: 2, axisLabelVisible: true }));
  if (!a.fitted) {
    a.chart.timeScale().fitContent();
    a.fitted = true;
  }
  if (newBars) reportDraw(d.symbol, starts.length, a.at, start, performance.now());
}

const isoOf = (sec: number | undefined) => (sec === undefined ? undefined : new Date(sec * 1000).toISOString());

export function CandleChart({ detail }: { detail: TPositionDetail }) {
  const box = useRef<HTMLDivElement>(null);
  const api = useRef<Chart | null>(null);
  const latest = useRef(detail);
  const [ready, setReady] = useState(false);
  const [failed, setFailed] = useState<string | null>(null);
  const [colors, setColors] = useState<Colors>({ pos: '#3fb950', neg: '#f85149', warn: '#d29922', muted: '#8b9aa7', line: '#2a3640', panel: '#172029' });

  useLayoutEffect(() => {
    latest.current = detail;
  }, [detail]);

  useEffect(() => {
    let disposed = false;
    const mounted = performance.now();
    import('lightweight-charts')
      .then((lc) => {
        if (disposed || !box.current) return;
        const css = getComputedStyle(document.documentElement);
        const v = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
        const c = { pos: v('--pos', '#3fb950'), neg: v('--neg', '#f85149'), warn: v('--warn', '#d29922'), muted: v('--muted', '#8b9aa7'), line: v('--line', '#2a3640'), panel: v('--panel', '#172029') };
        const chart = lc.createChart(box.current, {
          autoSize: true,
          layout: { background: { type: lc.ColorType.Solid, color: c.panel }, textColor: c.muted, attributionLogo: false },
          grid: { vertLines: { color: c.line }, horzLines: { color: c.line } },
          timeScale: { timeVisible: true, secondsVisible: false, borderColor: c.line, tickMarkFormatter: (t: Time, type: number) => (type <= 2 ? nyDate(Number(t) * 1000).slice(5) : nyClock(Number(t) * 1000)) },
          rightPriceScale: { borderColor: c.line },
          localization: { timeFormatter: (t: Time) => time(new Date(Number(t) * 1000).toISOString()) },
        });
        const series = chart.addSeries(lc.CandlestickSeries, { upColor: c.pos, downColor: c.neg, wickUpColor: c.pos, wickDownColor: c.neg, borderVisible: false });
        const a: Chart = { chart, series, markers: lc.createSeriesMarkers(series, []), lines: [], fitted: false, shown: null, at: { mounted, created: performance.now() } };
        api.current = a;
        // Drawn here at once rather than after another render of the component (which cost a frame or two).
        show(a, latest.current, c);
        setColors(c);
        setReady(true);
      })
      .catch((e: Error) => setFailed(e.message));
    return () => {
      disposed = true;
      api.current?.chart.remove();
      api.current = null;
    };
  }, []);

  const starts = useMemo(() => chartBarTimes(detail.bars) as UTCTimestamp[], [detail]);
  const markers = useMemo(() => markersOf(detail, starts, colors), [detail, starts, colors]);
  const entries = markers.filter((m) => m.shape === 'arrowUp').length;

  // A new push (or the colours once read): drawn before the browser paints, not in a later task.
  useLayoutEffect(() => {
    if (ready && api.current) show(api.current, detail, colors);
  }, [ready, detail, colors]);

  const first = isoOf(starts[0]), last = isoOf(starts[starts.length - 1]);
  return (
    <figure className="candles" data-testid="position-chart" data-ready={ready ? 'true' : 'false'} data-bars={starts.length} data-markers={markers.length} data-entries={entries} data-exits={markers.length - entries}>
      <div ref={box} className="candles-box" />
      <figcaption>
        {detail.symbol}, 5-minute bars {time(first)} → {time(last)} (New York): {entries} entr{entries === 1 ? 'y' : 'ies'} ▲ and {markers.length - entries} exit{markers.length - entries === 1 ? '' : 's'} ▼ marked.
        {failed && <span role="alert" className="error"> The chart could not load ({failed}); the fills are listed below.</span>}
        {' '}<span className="muted">Chart by <a href="https://www.tradingview.com/" rel="noopener noreferrer" target="_blank">TradingView Lightweight Charts™</a>.</span>
      </figcaption>
    </figure>
  );
}
