// Benchmark (issue 8): the console in Chromium against the BUILT console (`next start`, apps/console/.next-bench) and
// the portfolio worker (in this process, on the same database and Redis prefix), on a book of P positions.
// (a) fill → visible: N partial fills of a real working BUY (after one uncounted warm-up fill), one at a time, as
//     portfolio.apply jobs (the worker runs applyTradeUpdate, which publishes the live event). Server side: the epoch
//     ms at which the fill's transaction returned (taken at its first publish); page side: a MutationObserver records
//     the epoch ms (performance.timeOrigin + performance.now()) when the symbol's row shows the new quantity. Reference
//     in the same page and run, between the fills: the raw push path — events.publish('audit') → LiveHub → the audit.changes
//     subscription (no query) → a plain EventSource message in the page. Goal: p95 ≤ 250 ms.
// (b) candle chart: the drill-down of a symbol with 50,000 stored bars. The API serves a window of 390 bars (at most
//     1,000 asked, 2,000 reaching back to the entry), so the real window is measured, then the same subscription is
//     answered with all 50,000 stored bars (the request is fulfilled by this bench in the server's SSE format) and the
//     chart's first render is measured from the message's arrival in the page to the first frame painted after
//     setData (the chart reports into window.__chartTimings). Reference in the same page: the same message parsed
//     and the same 50,000 bars drawn as candles by a plain canvas loop, to the next painted frame. Goal: ≤ 250 ms.
//   pnpm exec tsx bench/console-browser.bench.ts [fills=40] [positions=1000] [chartRepeats=5]   (BENCH_PORT, default 3262)
import { chromium, type Page } from '@playwright/test';
import { encodeChartBars } from '@ai-trader/contracts';
import { startPipeline } from '@ai-trader/workers';
import { pct, seedBook, sleep, startConsoleStack } from './console-stack.ts';
import { report } from './report.ts';

const FILLS = Number(process.argv[2] ?? 40);
const POSITIONS = Number(process.argv[3] ?? 1000);
const CHART_REPEATS = Number(process.argv[4] ?? 5);
const PORT = Number(process.env.BENCH_PORT ?? 3262);
const CHART_BARS = 50_000;
const CHART_SYMBOL = 'CHRT';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

declare global {
  interface Window {
    __sse: { url: string; at: number; bytes: number }[];
    __chartTimings: { symbol: string; bars: number; mounted: number; created: number; start: number; setDataEnd: number; painted: number }[];
    __seen: (symbol: string, qty: string, at: number) => void;
    __ref: (at: number) => void;
  }
}

/** Every SSE message the page receives (before the app's own listeners run), with its arrival time. */
const PAGE_INIT = () => {
  window.__sse = [];
  window.__chartTimings = [];
  const Orig = window.EventSource;
  window.EventSource = class extends Orig {
    constructor(url: string | URL, init?: EventSourceInit) {
      super(url, init);
      this.addEventListener('message', (e) => {
        window.__sse.push({ url: String(url), at: performance.now(), bytes: (e as MessageEvent<string>).data.length });
        if (window.__sse.length > 500) window.__sse.splice(0, 250);
      });
    }
  };
};

/** A working BUY at the simulated broker, with its signal, approval and intent, as the pipeline writes them. */
async function workingBuy(q: (sql: string, p?: unknown[]) => Promise<unknown>, symbol: string, qty: number, at: Date): Promise<string> {
  const clientOrderId = `ait-bench${Date.now().toString(16)}`;
  await q(`WITH s AS (INSERT INTO signals (id, strategy, symbol, "barTs", side, price, detail) VALUES (gen_random_uuid(), 'ma-cross-5-20', $1, $2, 'BUY', 100, '{"reason": "bench"}') RETURNING id),
    d AS (INSERT INTO risk_decisions (id, "signalId", outcome, message) SELECT gen_random_uuid(), id, 'APPROVED', 'all checks passed' FROM s RETURNING id),
    i AS (INSERT INTO order_intents (id, "riskDecisionId", symbol, side, qty, "refPrice", "isEntry", status, "updatedAt") SELECT gen_random_uuid(), id, $1, 'BUY', $3, 100, true, 'SUBMITTED', now() FROM d RETURNING id)
    INSERT INTO orders (id, "intentId", "clientOrderId", "brokerOrderId", broker, symbol, side, qty, status, "submittedAt", "updatedAt")
    SELECT gen_random_uuid(), id, $4, $4 || '-b', 'sim', $1, 'BUY', $3, 'new', now(), now() FROM i`, [symbol, at, qty, clientOrderId]);
  return clientOrderId;
}

/** 50,000 regular-session 5m bars (a random-looking walk), a position and two fills in the newest day. */
async function seedChart(q: (sql: string, p?: unknown[]) => Promise<unknown>): Promise<void> {
  await q(`INSERT INTO market_data_5m (symbol, ts, open, high, low, close, volume, source)
    SELECT $1, ts, o, greatest(o, c) + 0.05 + (n % 7) * 0.01, least(o, c) - 0.05 - (n % 5) * 0.01, c, 1000 + n % 9000, 'bench'
      FROM (SELECT ts, n, round((100 + 20 * sin(n / 900.0) + 4 * sin(n / 37.0) + (hashint4(n::int) % 100) / 200.0)::numeric, 2) AS c,
                   round((100 + 20 * sin((n - 1) / 900.0) + 4 * sin((n - 1) / 37.0) + (hashint4(n::int - 1) % 100) / 200.0)::numeric, 2) AS o
              FROM (SELECT ts, row_number() OVER (ORDER BY ts) AS n
                      FROM (SELECT (day + time '13:30' + k * interval '5 minutes') AT TIME ZONE 'UTC' AS ts
                              FROM generate_series('2022-06-01'::date, '2025-06-04'::date, interval '1 day') day, generate_series(0, 77) k
                             WHERE extract(isodow FROM day) < 6 ORDER BY ts DESC LIMIT $2) t) r) b`, [CHART_SYMBOL, CHART_BARS]);
  await q(`INSERT INTO positions (symbol, qty, "avgCost", "realizedPnl", "stopPrice", "targetPrice", "updatedAt") VALUES ($1, 60, 101.25, 12.5, 98.2, 107.3, now())`, [CHART_SYMBOL]);
  for (const [side, hour, qty] of [['BUY', '15:00', 100], ['SELL', '18:00', 40]] as const) {
    const id = await workingBuy(q, CHART_SYMBOL, qty, new Date(`2025-06-04T${hour}:00Z`));
    await q(`UPDATE orders SET side = $2::"OrderSide", status = 'filled', "filledQty" = qty, "avgFillPrice" = 101.25 WHERE "clientOrderId" = $1`, [id, side]);
    await q(`UPDATE order_intents SET side = $2::"OrderSide", "isEntry" = $2::text = 'BUY', "exitReason" = CASE WHEN $2::text = 'SELL' THEN 'take_profit' END
              WHERE id = (SELECT "intentId" FROM orders WHERE "clientOrderId" = $1)`, [id, side]);
    await q(`INSERT INTO fills (id, "executionId", "orderId", symbol, side, qty, price, "filledAt") SELECT gen_random_uuid(), $1 || '-x', id, symbol, side, qty, 101.25, $2 FROM orders WHERE "clientOrderId" = $1`,
      [id, new Date(`2025-06-04T${hour}:02Z`)]);
    await sleep(2); // distinct client order ids
  }
}

/** BENCH_PROFILE=1: the page's CPU profile over a phase, as the functions with the most self time. */
async function profiled<T>(page: Page, label: string, f: () => Promise<T>): Promise<T> {
  if (!process.env.BENCH_PROFILE) return f();
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
  await cdp.send('Profiler.start');
  const out = await f();
  const { profile } = await cdp.send('Profiler.stop');
  await cdp.detach();
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  const dt = profile.timeDeltas ?? [];
  profile.samples?.forEach((id, i) => {
    const f = nodes.get(id)!.callFrame;
    const key = `${f.functionName || '(anonymous)'} ${f.url.split('/').pop() ?? ''}${f.url ? `:${f.lineNumber + 1}:${f.columnNumber + 1}` : ''}`;
    self.set(key, (self.get(key) ?? 0) + (dt[i] ?? 0) / 1000);
  });
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  console.log(`page CPU profile, ${label} (self time, ms of ${total.toFixed(0)}):`);
  for (const [k, ms] of [...self].filter(([k]) => !k.startsWith('(idle)')).sort((a, b) => b[1] - a[1]).slice(0, 14)) console.log(`  ${ms.toFixed(0).padStart(6)}  ${k}`);
  return out;
}

const row = (label: string, xs: number[], ps = [50, 95]) =>
  console.log(`${label.padEnd(58)} ${ps.map((p) => `p${p} ${pct(xs, p).toFixed(1).padStart(6)} ms`).join('   ')}   n ${xs.length}`);

const stack = await startConsoleStack('bench-console-browser', PORT);
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/lib/chromium/chromium', args: CHROMIUM_ARGS });
let pipeline: Awaited<ReturnType<typeof startPipeline>> | null = null;
try {
  const { rt } = stack;
  const q = (sql: string, p: unknown[] = []) => rt.deps.pool.query(sql, p);
  const syms = await seedBook(rt, { positions: POSITIONS, orders: 2000, denied: 500 });
  await seedChart(q);
  await q('ANALYZE');
  const target = syms[1]!; // an open position
  const clientOrderId = await workingBuy(q, target, 100_000, new Date('2025-06-04T19:50:00Z'));

  // The portfolio worker, here: the moment applyTradeUpdate's transaction has returned is its first publish.
  const publish = rt.deps.events.publish.bind(rt.deps.events);
  let committed: ((at: number) => void) | null = null;
  rt.deps.events = { publish: async (kind) => {
    if (kind === 'order' && committed) {
      committed(performance.timeOrigin + performance.now());
      committed = null;
    }
    return publish(kind);
  } };
  pipeline = await startPipeline(rt, ['portfolio'], { feed: false });

  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const cookie = await stack.signIn();
  await context.addCookies(cookie.split('; ').map((c) => ({ name: c.slice(0, c.indexOf('=')), value: c.slice(c.indexOf('=') + 1), url: stack.base })));
  // tsx keeps function names with an `__name` helper, which code sent to the page refers to.
  await context.addInitScript({ content: 'globalThis.__name = (f) => f;' });
  await context.addInitScript(PAGE_INIT);
  const page: Page = await context.newPage();
  page.on('pageerror', (e) => console.error(`page error: ${e.message}`));

  // ---- (a) fill → visible ------------------------------------------------------------------------------------
  const seen = new Map<string, number>();
  const refs: number[] = [];
  let onSeen: (() => void) | null = null;
  await page.exposeFunction('__seen', (symbol: string, qty: string, at: number) => {
    if (symbol === target && !seen.has(qty)) seen.set(qty, at);
    onSeen?.();
  });
  await page.exposeFunction('__ref', (at: number) => refs.push(at));
  const loadStart = performance.now();
  await page.goto(`${stack.base}/positions`);
  const targetRow = page.locator(`tr[data-symbol="${target}"]`);
  await targetRow.waitFor({ timeout: 60_000 });
  console.log(`positions page with ${await page.locator('tbody tr[data-symbol]').count()} rows shown ${((performance.now() - loadStart) / 1000).toFixed(1)} s after navigation`);
  await page.evaluate((symbol) => {
    let last = document.querySelector(`tr[data-symbol="${symbol}"]`)?.getAttribute('data-qty') ?? null;
    new MutationObserver(() => {
      const qty = document.querySelector(`tr[data-symbol="${symbol}"]`)?.getAttribute('data-qty') ?? null;
      if (qty !== null && qty !== last) {
        last = qty;
        window.__seen(symbol, qty, performance.timeOrigin + performance.now());
      }
    }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-qty'] });
    const es = new EventSource('/api/trpc/audit.changes');
    es.addEventListener('message', () => window.__ref(performance.timeOrigin + performance.now()));
  }, target);
  const clockSkew = async () => page.evaluate(() => Date.now() - (performance.timeOrigin + performance.now()));
  const skewBefore = await clockSkew();
  await sleep(1000); // the reference EventSource connects

  const startQty = Number(await targetRow.getAttribute('data-qty'));
  const fillLat: number[] = [], arrivalLat: number[] = [], renderLat: number[] = [], refLat: number[] = [];
  const until = async (ok: () => boolean, what: string, ms = 10_000) => {
    for (const end = Date.now() + ms; !ok(); ) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((r) => {
        onSeen = r;
        setTimeout(r, 20);
      });
    }
  };
  // Fill 0 and its reference warm the console's code paths up and are not counted.
  await profiled(page, `${FILLS} fills and references`, async () => { for (let i = 0; i <= FILLS; i++) {
    const qty = String(startQty + i + 1);
    const commit = new Promise<number>((r) => (committed = r));
    const sseBefore = await page.evaluate(() => window.__sse.length);
    await rt.deps.jobs.add('portfolio.apply', {
      update: { event: 'partial_fill', clientOrderId, brokerOrderId: `${clientOrderId}-b`, executionId: `${clientOrderId}-x${i}`, qty: '1', price: (100 + i / 100).toFixed(2), at: new Date().toISOString() },
    });
    const at = await commit;
    await until(() => seen.has(qty), `fill ${i} (qty ${qty}) on the page`);
    const shown = seen.get(qty)!;
    const counted = i > 0;
    if (counted) fillLat.push(shown - at);
    // The positions.live message that carried it: server → page, then parse + render.
    const msg = await page.evaluate(([n]) => window.__sse.slice(n).filter((m) => m.url.includes('positions.live')).map((m) => performance.timeOrigin + m.at), [sseBefore] as const);
    const arrived = msg.find((t) => t >= at - 1) ?? msg.at(-1);
    if (counted && arrived !== undefined) {
      arrivalLat.push(arrived - at);
      renderLat.push(shown - arrived);
    }
    await sleep(150 + Math.random() * 200);
    // The reference: one bare live event, no query behind it.
    const n = refs.length;
    const sent = performance.timeOrigin + performance.now();
    await publish('audit');
    await until(() => refs.length > n, `reference event ${i}`);
    if (counted) refLat.push(refs[n]! - sent);
    await sleep(150 + Math.random() * 200);
  } });
  const skewAfter = await clockSkew();

  console.log(`(a) fill → visible: ${FILLS} fills of ${target} on a page of ${POSITIONS} positions, one at a time (page clock − Date.now(): ${skewBefore.toFixed(1)} / ${skewAfter.toFixed(1)} ms)`);
  row('fill committed → row shows it (ours)', fillLat);
  row('  of which: committed → positions.live message arrives', arrivalLat);
  row('  of which: message arrives → row shows it (parse + render)', renderLat);
  row('events.publish → bare subscription message (reference)', refLat);
  row('  the same less the hub\'s 250 ms coalescing window', refLat.map((x) => x - 250));
  report({ bench: 'console-browser', metric: 'fill → visible on the positions page p95', value: pct(fillLat, 95), unit: 'ms', reference: { label: 'raw push to the page p95', value: pct(refLat, 95) }, ratio: pct(fillLat, 95) / pct(refLat, 95), goal: 'p95 ≤ 250 ms', met: pct(fillLat, 95) <= 250 });
  console.log(`ratio ours/reference: p50 ${(pct(fillLat, 50) / pct(refLat, 50)).toFixed(2)}×, p95 ${(pct(fillLat, 95) / pct(refLat, 95)).toFixed(2)}×   goal p95 ≤ 250 ms: ${pct(fillLat, 95) <= 250 ? 'met' : 'NOT met'}`);
  console.log('(positions.live pushes on the leading edge; audit.changes still waits out the hub\'s window, so the reference is above ours)');

  // ---- (b) candle chart ------------------------------------------------------------------------------------
  const chartTiming = async (bars: number, from: number) => {
    const handle = await page.waitForFunction(([b, n]) => window.__chartTimings.slice(n).find((t) => t.bars === b) ?? null, [bars, from] as const, { timeout: 60_000 });
    return (await handle.jsonValue())!;
  };
  const arrivalOf = async (from: number) =>
    page.evaluate(([n]) => window.__sse.slice(n).find((m) => m.url.includes('positions.liveDetail')) ?? null, [from] as const);
  const openChart = async (bars: number) => {
    const [t0, s0] = await page.evaluate(() => [window.__chartTimings.length, window.__sse.length] as const);
    await page.getByRole('button', { name: `Chart and fills of ${CHART_SYMBOL}` }).click();
    const t = await chartTiming(bars, t0);
    const m = await arrivalOf(s0);
    await page.getByRole('button', { name: `Hide the ${CHART_SYMBOL} detail` }).click();
    await page.getByTestId('drill-down').waitFor({ state: 'detached' });
    if (!m) throw new Error('the drill-down message was not seen by the page');
    return { total: t.painted - m.at, toMount: t.mounted - m.at, create: t.created - t.mounted, toSetData: t.start - t.created, setDataToPaint: t.painted - t.start, setData: t.setDataEnd - t.start, bytes: m.bytes };
  };
  await page.getByLabel('Filter symbols').fill(CHART_SYMBOL);
  // The real window first (the API's answer), then the same subscription answered with every stored bar.
  const real = await openChart(390);
  const detail = await rt.deps.pool.query<{ ts: Date; open: string; high: string; low: string; close: string; volume: string }>(
    `SELECT ts, open::text, high::text, low::text, close::text, volume::text FROM market_data_5m WHERE symbol = $1 ORDER BY ts`, [CHART_SYMBOL]);
  const { positionDetail } = await import('@ai-trader/core');
  const base = await positionDetail(rt.deps, { symbol: CHART_SYMBOL, bars: 390 });
  // The server's form of the bars (encodeChartBars, as positionDetail sends them) and its SSE message (superjson's
  // serialisation of an answer of plain values is {json: …}).
  const full = { ...base, bars: encodeChartBars(detail.rows) };
  if (full.bars.t.length !== CHART_BARS) throw new Error(`expected ${CHART_BARS} stored bars of ${CHART_SYMBOL}, found ${full.bars.t.length}`);
  const message = JSON.stringify({ json: full });
  let served = false;
  await page.route('**/api/trpc/positions.liveDetail**', async (route) => {
    if (served) return; // a reconnect after the answer ends: left pending, so the chart is not redrawn meanwhile
    served = true;
    await route.fulfill({ status: 200, headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' }, body: `event: connected\ndata: {}\n\ndata: ${message}\n\n` });
  });
  const runs: Awaited<ReturnType<typeof openChart>>[] = [];
  await profiled(page, `${CHART_REPEATS} charts of ${CHART_BARS} bars`, async () => {
    for (let k = 0; k < CHART_REPEATS; k++) {
      served = false;
      runs.push(await openChart(CHART_BARS));
    }
  });
  await page.unrouteAll({ behavior: 'ignoreErrors' });

  // Reference: the same message parsed and the same bars drawn as candles on a canvas of the chart's size.
  await page.getByRole('button', { name: `Chart and fills of ${CHART_SYMBOL}` }).click();
  await page.getByTestId('position-chart').waitFor();
  const box = (await page.locator('.candles-box').boundingBox())!;
  await page.evaluate((m) => ((window as unknown as { __msg: string }).__msg = m), message);
  const refRuns: { total: number; draw: number }[] = [];
  for (let k = 0; k < CHART_REPEATS; k++) {
    refRuns.push(await page.evaluate(([w, h]) => new Promise<{ total: number; draw: number }>((resolve) => {
      const t0 = performance.now();
      const bars = (JSON.parse((window as unknown as { __msg: string }).__msg) as { json: { bars: { scale: number; o: number[]; h: number[]; l: number[]; c: number[] } } }).json.bars;
      const t1 = performance.now();
      const canvas = document.createElement('canvas');
      canvas.width = w;
      canvas.height = h;
      canvas.style.cssText = `position:fixed;left:0;top:0;width:${w}px;height:${h}px;z-index:9999`;
      document.body.appendChild(canvas);
      const ctx = canvas.getContext('2d')!;
      const n = bars.o.length, k = 10 ** bars.scale;
      const o = new Float64Array(n), hi = new Float64Array(n), lo = new Float64Array(n), c = new Float64Array(n);
      let min = Infinity, max = -Infinity;
      for (let i = 0; i < n; i++) {
        o[i] = bars.o[i]! / k; hi[i] = bars.h[i]! / k; lo[i] = bars.l[i]! / k; c[i] = bars.c[i]! / k;
        if (lo[i]! < min) min = lo[i]!;
        if (hi[i]! > max) max = hi[i]!;
      }
      const x = (i: number) => (i / n) * w, y = (v: number) => h - ((v - min) / (max - min)) * h;
      const bw = Math.max(1, w / n);
      for (const up of [true, false]) {
        ctx.fillStyle = up ? '#3fb950' : '#f85149';
        ctx.beginPath();
        for (let i = 0; i < n; i++) {
          if (c[i]! >= o[i]! !== up) continue;
          ctx.rect(x(i), y(hi[i]!), 1, y(lo[i]!) - y(hi[i]!));
          ctx.rect(x(i), y(Math.max(o[i]!, c[i]!)), bw, Math.max(1, Math.abs(y(o[i]!) - y(c[i]!))));
        }
        ctx.fill();
      }
      requestAnimationFrame(() => {
        const ch = new MessageChannel();
        ch.port1.onmessage = () => {
          const t2 = performance.now();
          canvas.remove();
          resolve({ total: t2 - t0, draw: t2 - t1 });
        };
        ch.port2.postMessage(null);
      });
    }), [Math.round(box.width), Math.round(box.height)] as const));
  }

  const tot = runs.map((r) => r.total), ref = refRuns.map((r) => r.total);
  console.log(`(b) candle chart of ${CHART_SYMBOL}, ${CHART_BARS.toLocaleString('en-US')} bars stored; chart ${Math.round(box.width)}×${Math.round(box.height)} px`);
  console.log(`${'real drill-down (390 bars, the API\'s window): message → painted'.padEnd(58)} ${real.total.toFixed(1)} ms (→ mounted ${real.toMount.toFixed(1)}, created ${real.create.toFixed(1)}, setData → painted ${real.setDataToPaint.toFixed(1)} ms; ${(real.bytes / 1024).toFixed(0)} KiB, first open)`);
  row(`${CHART_BARS} bars: message arrives → first frame painted (ours)`, tot, [50, 100]);
  row('  of which message → chart component mounted', runs.map((r) => r.toMount), [50, 100]);
  row('  of which mounted → chart created (import, createChart)', runs.map((r) => r.create), [50, 100]);
  row('  of which created → setData', runs.map((r) => r.toSetData), [50, 100]);
  row('  of which setData → painted', runs.map((r) => r.setDataToPaint), [50, 100]);
  row('  of which setData itself (+ markers, price lines, fit)', runs.map((r) => r.setData), [50, 100]);
  row('same message parsed + plain canvas loop → painted (reference)', ref, [50, 100]);
  row('  of which the canvas loop → painted', refRuns.map((r) => r.draw), [50, 100]);
  report({ bench: 'console-browser', metric: `candle chart of ${CHART_BARS} bars, first render p50`, value: pct(tot, 50), unit: 'ms', reference: { label: 'plain canvas loop p50', value: pct(ref, 50) }, ratio: pct(tot, 50) / pct(ref, 50), goal: '≤ 250 ms', met: pct(tot, 50) <= 250 });
  console.log(`message ${(message.length / 1e6).toFixed(1)} MB; ratio ours/reference: p50 ${(pct(tot, 50) / pct(ref, 50)).toFixed(2)}×   goal ≤ 250 ms: ${pct(tot, 50) <= 250 ? 'met' : 'NOT met'} (p50 of ${CHART_REPEATS})`);
  await context.close();
} finally {
  await browser.close();
  await pipeline?.close();
  await stack.stop();
}
