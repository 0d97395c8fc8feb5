// Benchmark (issue 5): validated import of a 1,000,000-row bar file vs `psql \copy` of the same file into
// the same (empty, partitioned) table, and a re-import that stores nothing new. Prints ratios measured in
// this run: ours / reference, as rows per second. Goal: fresh ≥ 0.8×, re-import ≥ 0.5× of \copy's rows/s.
//   pnpm exec tsx bench/import-bars.bench.ts [rows=1000000]
import { execFileSync } from 'node:child_process';
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { barProblems } from '@ai-trader/domain';
import { batched, createPgPool, ensurePartitions, loadBars } from '@ai-trader/db';
import { createTestDatabase } from '@ai-trader/db/testing';
import type { TBar } from '@ai-trader/contracts';

const ROWS = Number(process.argv[2] ?? 1_000_000);
const SYMBOLS = 20;
const perSymbol = Math.ceil(ROWS / SYMBOLS);
const t0 = Date.parse('2024-01-02T14:30:00Z');

function writeFile(file: string) {
  const out: string[] = ['ts,open,high,low,close,volume,symbol,source'];
  for (let s = 0; s < SYMBOLS; s++) {
    let px = 100 + s * 7;
    for (let i = 0; i < perSymbol && out.length <= ROWS; i++) {
      const o = px, c = px + ((i * 7919 + s) % 21 - 10) / 100;
      const h = Math.max(o, c) + 0.05, l = Math.min(o, c) - 0.05;
      out.push(`${new Date(t0 + i * 300_000).toISOString()},${o.toFixed(2)},${h.toFixed(2)},${l.toFixed(2)},${c.toFixed(2)},${1000 + (i % 500)},S${String(s).padStart(3, '0')},bench`);
      px = c;
    }
  }
  writeFileSync(file, out.join('\n') + '\n');
  return out.length - 1;
}

async function* parse(file: string): AsyncGenerator<TBar> {
  const rl = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  let n = 0;
  for await (const lineText of rl) {
    if (n++ === 0) continue;
    const [ts, open, high, low, close, volume, symbol, source] = lineText.split(',');
    const bar: TBar = { symbol: symbol!, timeframe: '5m', ts: ts!, open: open!, high: high!, low: low!, close: close!, volume: volume!, source: source! };
    const problems = barProblems(bar);
    if (problems.length) throw new Error(`line ${n}: ${problems.join('; ')}`);
    yield bar;
  }
}

const time = async (f: () => Promise<unknown> | unknown) => {
  const s = performance.now();
  await f();
  return (performance.now() - s) / 1000;
};

const db = await createTestDatabase('bench');
const pool = createPgPool(db.url);
const dir = mkdtempSync(path.join(tmpdir(), 'bench-import-'));
try {
  const file = path.join(dir, 'bars.csv');
  const rows = writeFile(file);
  const last = new Date(t0 + perSymbol * 300_000);
  await ensurePartitions(pool, 'market_data_5m', new Date(t0), last);
  const truncate = () => pool.query('TRUNCATE market_data_5m');
  const psqlCopy = () =>
    execFileSync('psql', [db.url, '-q', '-c', `\\copy market_data_5m (ts, open, high, low, close, volume, symbol, source) FROM '${file}' WITH (FORMAT csv, HEADER true)`], { stdio: 'inherit' });
  const ours = () => loadBars(pool, '5m', batched(parse(file), 50_000));

  const results: Record<string, number[]> = { copy: [], fresh: [], reimport: [] };
  for (let round = 0; round < 2; round++) {
    await truncate();
    results.copy!.push(await time(psqlCopy));
    await truncate();
    results.fresh!.push(await time(ours));
    results.reimport!.push(await time(ours));
  }
  const best = (k: string) => Math.min(...results[k]!);
  const rps = (k: string) => Math.round(rows / best(k));
  console.log(`rows: ${rows} (${SYMBOLS} symbols, 5m, ${new Date(t0).toISOString().slice(0, 10)} … ${last.toISOString().slice(0, 10)})`);
  console.log(`psql \\copy (reference):   ${best('copy').toFixed(2)} s  ${rps('copy')} rows/s`);
  console.log(`validated import (fresh):  ${best('fresh').toFixed(2)} s  ${rps('fresh')} rows/s  ratio ${(best('copy') / best('fresh')).toFixed(2)}× (goal ≥ 0.8×)`);
  console.log(`re-import (nothing new):   ${best('reimport').toFixed(2)} s  ${rps('reimport')} rows/s  ratio ${(best('copy') / best('reimport')).toFixed(2)}× (goal ≥ 0.5×)`);
  const stored = (await pool.query('SELECT count(*)::int AS n FROM market_data_5m')).rows[0].n;
  if (stored !== rows) throw new Error(`stored ${stored} rows, expected ${rows}`);
} finally {
  await pool.end();
  await db.drop();
  rmSync(dir, { recursive: true, force: true });
}
