// Benchmark (issue 8): the console API under load — positions.list (1,000 positions) and orders.list (a page of 1,000
// rows, the largest the API allows, of 2,000 orders and 500 denied decisions) at R requests/s, open loop, for S s each,
// against the BUILT console (`server.mjs`, apps/console/.next-bench) signed in as an admin, over HTTP like the
// browser's (keep-alive, gzip accepted). Latency is from the request's scheduled time to the last byte. First each
// procedure alone (one request at a time, 3 s: what one request costs; its inverse bounds the rate one console
// process can serve), then the load. Reference measured in the same run: the same load on `me` (the same auth,
// session lookup and tRPC handling, no query), before and after the lists. Goal: p99 ≤ 25 ms at 200 requests/s.
// A procedure served slower than the rate queues up, so such a run lasts minutes (the backlog drains at the end).
//   pnpm exec tsx bench/console-api.bench.ts [requestsPerSecond=200] [seconds=60]      (BENCH_PORT, default 3261)
import http from 'node:http';
import { pct, seedBook, sleep, startConsoleStack } from './console-stack.ts';
import { report } from './report.ts';

const RATE = Number(process.argv[2] ?? 200);
// The lists run for the safety net's period (CONSOLE_LIST_REFRESH_SECONDS, 60 s by default), so each includes about
// one background recomputation — what a steady 200/s sees; `me` (the reference) for at most 15 s.
const SECONDS = Number(process.argv[3] ?? 60);
const ME_SECONDS = Math.min(SECONDS, 15);
const PORT = Number(process.env.BENCH_PORT ?? 3261);
const BOOK = { positions: 1000, orders: 2000, denied: 500 };
const ORDERS_PAGE = 1000; // ZOrdersListInput's largest limit

interface Shot { ms: number; lag: number; status: number | string; bytes: number; done: number }

const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
function get(url: string, cookie: string): Promise<{ status: number; bytes: number; encoding: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent, headers: { cookie, 'accept-encoding': 'gzip, deflate, br, zstd', accept: '*/*' } }, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => (bytes += c.length));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes, encoding: res.headers['content-encoding'] }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

/** Open loop: request i is sent at start + i / RATE whatever the earlier ones are doing. */
async function load(url: string, cookie: string, seconds: number): Promise<Shot[]> {
  const shots: Shot[] = [];
  const pending: Promise<void>[] = [];
  const start = performance.now() + 20;
  for (let i = 0; i < RATE * seconds; i++) {
    const due = start + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    const sent = performance.now();
    pending.push(get(url, cookie).then(
      (r) => void shots.push({ ms: performance.now() - due, lag: sent - due, status: r.status, bytes: r.bytes, done: performance.now() - start }),
      (e: NodeJS.ErrnoException) => void shots.push({ ms: performance.now() - due, lag: sent - due, status: e.code ?? e.message, bytes: 0, done: performance.now() - start }),
    ));
  }
  await Promise.all(pending);
  return shots;
}

const stack = await startConsoleStack('bench-console-api', PORT);
try {
  const t0 = performance.now();
  await seedBook(stack.rt, BOOK);
  console.log(`seeded ${BOOK.positions} positions, ${BOOK.orders} approved decisions (${await stack.rt.deps.prisma.order.count()} orders) and ${BOOK.denied} denied in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const cookie = await stack.signIn();
  const trpc = (proc: string, input?: unknown) => `${stack.base}/api/trpc/${proc}${input === undefined ? '' : `?input=${encodeURIComponent(JSON.stringify({ json: input }))}`}`;
  const targets = {
    me: trpc('me'),
    positions: trpc('positions.list'),
    orders: trpc('orders.list', { filter: { view: 'all' }, limit: ORDERS_PAGE }),
  };
  // What each answers (and that it answers at all, signed in).
  for (const [name, url] of Object.entries(targets)) {
    const res = await fetch(url, { headers: { cookie } });
    const body = (await res.json()) as { result?: { data?: { json?: { positions?: unknown[]; rows?: unknown[]; email?: string } } }; error?: unknown };
    const data = body.result?.data?.json;
    if (!res.ok || !data) throw new Error(`${name}: ${res.status} ${JSON.stringify(body).slice(0, 300)}`);
    const probe = await get(url, cookie);
    console.log(`${name.padEnd(10)} ${data.positions ? `${data.positions.length} positions` : data.rows ? `${data.rows.length} rows` : `signed in as ${data.email}`}, ${(probe.bytes / 1024).toFixed(0)} KiB on the wire (${probe.encoding ?? 'identity'})`);
  }
  // Warm-up: Next's route, the pg pool, the latest-price cache, V8's JIT.
  for (const url of Object.values(targets)) await load(url, cookie, 2);

  // One request at a time: what each costs the server alone (its inverse bounds the rate one console process serves).
  const alone: Record<string, number> = {};
  for (const [name, url] of Object.entries(targets)) {
    const xs: number[] = [];
    for (const end = performance.now() + 3000; performance.now() < end; ) {
      const t = performance.now();
      await get(url, cookie);
      xs.push(performance.now() - t);
    }
    alone[name] = pct(xs, 50);
  }

  const runs: [string, Shot[]][] = [];
  for (const name of ['me', 'positions', 'orders', 'me'] as const) runs.push([name, await load(targets[name], cookie, name === 'me' ? ME_SECONDS : SECONDS)]);

  const ok = (s: Shot[]) => s.filter((x) => x.status === 200).map((x) => x.ms);
  const row = (label: string, s: Shot[]) => {
    const xs = ok(s);
    const bad = s.length - xs.length;
    const served = (s.length * 1000) / Math.max(...s.map((x) => x.done)); // the last answer ends the run
    const failed = bad ? `   ${bad} FAILED (${[...new Set(s.filter((x) => x.status !== 200).map((x) => x.status))].join(', ')})` : '';
    console.log(`${label.padEnd(48)} p50 ${pct(xs, 50).toFixed(1).padStart(7)} ms   p95 ${pct(xs, 95).toFixed(1).padStart(7)} ms   p99 ${pct(xs, 99).toFixed(1).padStart(7)} ms   served ${served.toFixed(0).padStart(3)}/s   n ${xs.length}${failed}   send lag p99 ${pct(s.map((x) => x.lag), 99).toFixed(1)} ms`);
  };
  console.log(`one request at a time, p50: ${Object.entries(alone).map(([k, v]) => `${k} ${v.toFixed(1)} ms (≤ ~${Math.floor(1000 / v)}/s)`).join(', ')}`);
  console.log(`${RATE} requests/s for ${SECONDS} s per list (${ME_SECONDS} s for me), open loop, one procedure at a time, against the console's server.mjs (${stack.base}); a procedure served slower than that queues up, and its latencies grow for as long as the run lasts`);
  row('me (reference, before)', runs[0]![1]);
  row(`positions.list, ${BOOK.positions} positions`, runs[1]![1]);
  row(`orders.list, limit ${ORDERS_PAGE}`, runs[2]![1]);
  row('me (reference, after)', runs[3]![1]);
  const ref = [...runs[0]![1], ...runs[3]![1]];
  for (const [label, s] of [['positions.list', runs[1]![1]], ['orders.list', runs[2]![1]]] as const) {
    const xs = ok(s), rs = ok(ref);
    report({ bench: 'console-api', metric: `${label} p99 at ${RATE}/s`, value: pct(xs, 99), unit: 'ms', reference: { label: 'me p99 (auth + tRPC, no query)', value: pct(rs, 99) }, ratio: pct(xs, 99) / pct(rs, 99), goal: 'p99 ≤ 25 ms', met: pct(xs, 99) <= 25 });
    console.log(`ratio ${label}/me: p50 ${(pct(xs, 50) / pct(rs, 50)).toFixed(2)}×, p99 ${(pct(xs, 99) / pct(rs, 99)).toFixed(2)}×   goal p99 ≤ 25 ms: ${pct(xs, 99) <= 25 ? 'met' : 'NOT met'}`);
  }
} finally {
  agent.destroy();
  await stack.stop();
}
