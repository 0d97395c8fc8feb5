// Benchmark (issue 10): emergency liquidation of 100 positions + 200 open orders on the simulated broker (and on the
// fake Alpaca server over HTTP): time from the call to "new orders blocked" (the HALT committed), to flat and verified
// with the broker, and to our books updated; the broker calls (HTTP requests for Alpaca) it took.
// Goals: blocked ≤ 100 ms, flat and verified ≤ 2 s on the sim, ≤ 3 broker requests plus verification.
// References measured in the same run: the plain HALT alone (nothing open: the state commit and one cancel-all
// round trip), and a raw cancel-all of the same 200 orders at the broker (one call, nothing booked).
//   pnpm exec tsx bench/emergency-liquidate.bench.ts [runs=3] [alpaca=1]
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { createTestRuntime } from '@ai-trader/adapters/testing';
import { startFakeAlpaca } from '@ai-trader/adapters/testing/fake-alpaca';
import { emergencyLiquidate, haltTrading, type Deps } from '@ai-trader/core';
import { priceOf, seedAlpacaBook, seedSimBook, symbolOf } from '../tests/helpers/emergency-books.ts';
import { report as result } from './report.ts';

const RUNS = Number(process.argv[2] ?? 3);
const ALPACA = (process.argv[3] ?? '1') !== '0';
const POSITIONS = 100;
const ORDERS = 200;
const admin = { id: 'bench', email: 'bench@example.com', role: 'admin' as const };

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (ms: number | null) => (ms === null ? '—' : `${ms.toFixed(1)} ms`);
const activate = (deps: Deps) => deps.prisma.$executeRaw`UPDATE trading_state SET state = 'ACTIVE' WHERE id = 1`;

interface Row { halted: number; flat: number | null; total: number; calls: number; http?: number; refHalt: number; refCancel: number }

async function simRun(i: number): Promise<Row> {
  const rt = await createTestRuntime(`bench-liq-${i}`, { SIM_STARTING_CASH: '100000000', LOG_LEVEL: 'silent' });
  try {
    // Reference 1: the plain HALT (nothing open), warm.
    await haltTrading(rt.deps, { actor: admin, reason: 'warm-up' });
    await activate(rt.deps);
    let refHalt = 0;
    await haltTrading(rt.deps, { actor: admin, reason: 'reference', onStep: (s) => { if (s.step === 'halted') refHalt = s.ms; } });
    await activate(rt.deps);
    // Reference 2: a raw cancel-all of 200 open orders at the sim (then the book is seeded afresh).
    const book = await seedSimBook(rt.deps, { positions: POSITIONS, openOrders: ORDERS });
    const t = performance.now();
    await rt.deps.broker.cancelAllOrders();
    const refCancel = performance.now() - t;
    await rt.deps.prisma.$executeRaw`UPDATE sim_orders SET status = 'new' WHERE "clientOrderId" = ANY(${book.orders.map((o) => o.clientOrderId)}::text[])`;

    const r = await emergencyLiquidate(rt.deps, { actor: admin, reason: 'bench' });
    if (!r.flat || !r.books.flat) throw new Error(`not flat: ${JSON.stringify(r.stillOpen)}`);
    const booked = r.steps.find((s) => s.step === 'booked')!.ms;
    return { halted: r.timings.haltedMs, flat: r.timings.flatMs, total: booked, calls: r.brokerCalls, refHalt, refCancel };
  } finally {
    await rt.cleanup();
  }
}

async function alpacaRun(i: number): Promise<Row> {
  const keys = { keyId: `PK${randomBytes(8).toString('hex').toUpperCase()}`, secretKey: randomBytes(16).toString('hex') };
  const prices = Object.fromEntries(Array.from({ length: POSITIONS }, (_, k) => [symbolOf(k), priceOf(k)]));
  const fake = await startFakeAlpaca({ ...keys, prices, cash: '100000000', rateLimit: null });
  const rt = await createTestRuntime(`bench-liqa-${i}`, { BROKER: 'alpaca', ALPACA_KEY_ID: keys.keyId, ALPACA_SECRET_KEY: keys.secretKey, ALPACA_BASE_URL: fake.restUrl, ALPACA_STREAM_URL: fake.wsUrl, LOG_LEVEL: 'silent' });
  try {
    let refHalt = 0;
    await haltTrading(rt.deps, { actor: admin, reason: 'warm-up' });
    await activate(rt.deps);
    await haltTrading(rt.deps, { actor: admin, reason: 'reference', onStep: (s) => { if (s.step === 'halted') refHalt = s.ms; } });
    await activate(rt.deps);
    await seedAlpacaBook(rt.deps, fake, keys, { positions: POSITIONS, openOrders: ORDERS });
    for (const end = Date.now() + 10_000; fake.positions().length < POSITIONS && Date.now() < end; ) await new Promise((r) => setTimeout(r, 20));
    const before = fake.requests.length;
    const r = await emergencyLiquidate(rt.deps, { actor: admin, reason: 'bench' });
    if (!r.flat) throw new Error(`not flat: ${JSON.stringify(r.stillOpen)}`);
    const http = fake.requests.length - before;
    if (i === 0) console.log(`fake Alpaca, run 1, the requests: ${fake.requests.slice(before).map((q) => `${q.method} ${q.path.split('?')[0]}`).join(', ')}`);
    const booked = r.steps.find((s) => s.step === 'booked')!.ms;
    const t = performance.now();
    await fetch(`${fake.restUrl}/v2/orders`, { method: 'DELETE', headers: { 'APCA-API-KEY-ID': keys.keyId, 'APCA-API-SECRET-KEY': keys.secretKey } });
    const refCancel = performance.now() - t; // the reference: an empty cancel-all round trip over HTTP
    return { halted: r.timings.haltedMs, flat: r.timings.flatMs, total: booked, calls: r.brokerCalls, http, refHalt, refCancel };
  } finally {
    await rt.cleanup();
    await fake.close();
  }
}

function report(label: string, rows: Row[], refCancelLabel: string) {
  console.log(`\n${label}: ${POSITIONS} positions + ${ORDERS} open orders, ${rows.length} run(s)`);
  console.log('run  blocked (HALT committed)  flat+verified  books done  broker calls' + (rows[0]?.http !== undefined ? '  HTTP requests' : '') + `  ref: plain HALT  ref: ${refCancelLabel}`);
  rows.forEach((r, i) => console.log(`${String(i + 1).padEnd(4)} ${fmt(r.halted).padStart(23)}  ${fmt(r.flat).padStart(13)}  ${fmt(r.total).padStart(10)}  ${String(r.calls).padStart(12)}${r.http !== undefined ? String(r.http).padStart(15) : ''}  ${fmt(r.refHalt).padStart(15)}  ${fmt(r.refCancel).padStart(10)}`));
  const m = { halted: median(rows.map((r) => r.halted)), flat: median(rows.map((r) => r.flat ?? Infinity)), total: median(rows.map((r) => r.total)), refHalt: median(rows.map((r) => r.refHalt)), refCancel: median(rows.map((r) => r.refCancel)) };
  console.log(`median: blocked ${fmt(m.halted)} (${(m.halted / m.refHalt).toFixed(2)}× the plain HALT's commit), flat and verified ${fmt(m.flat)} (${(m.flat / m.refCancel).toFixed(1)}× the ${refCancelLabel}), books done ${fmt(m.total)}`);
  console.log('goals: blocked ≤ 100 ms, flat and verified ≤ 2 s (sim), broker requests ≤ 3 plus verification');
  const bench = `emergency-liquidate (${label})`;
  result({ bench, metric: 'new orders blocked after the click, median', value: m.halted, unit: 'ms', reference: { label: 'plain HALT commit', value: m.refHalt }, ratio: m.halted / m.refHalt, goal: '≤ 100 ms', met: m.halted <= 100 });
  result({ bench, metric: 'flat and verified, median', value: m.flat, unit: 'ms', reference: { label: refCancelLabel, value: m.refCancel }, ratio: m.flat / m.refCancel, goal: label.startsWith('simulated') ? '≤ 2000 ms' : undefined, met: label.startsWith('simulated') ? m.flat <= 2000 : null });
  result({ bench, metric: 'broker calls', value: median(rows.map((r) => r.calls)), unit: 'calls', goal: '≤ 3 plus verification', met: null });
}

console.log(`load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}, ${os.cpus().length} CPUs`);
const sim: Row[] = [];
for (let i = 0; i < RUNS; i++) sim.push(await simRun(i));
report('simulated broker', sim, 'raw cancel-all of 200');
if (ALPACA) {
  const alp: Row[] = [];
  for (let i = 0; i < RUNS; i++) alp.push(await alpacaRun(i));
  report('fake Alpaca over HTTP', alp, 'empty DELETE /v2/orders');
}
console.log(`load average at the end ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
