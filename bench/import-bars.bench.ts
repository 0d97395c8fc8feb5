// Benchmark (issue 5): validated import of 1,000,000 bars vs `psql \copy` of the same rows into the same
// (empty, partitioned) table, measured in one run. Prints ratios as rows/s ours ÷ rows/s \copy:
//   - product path: what `ai-trader data import` runs (parseBarCsvFile → SeriesValidator → loadBarsInTransaction, streamed),
//     fresh and re-import (goals: fresh ≥ 0.8×, re-import ≥ 0.5×);
//   - storage layer alone: loadBars fed by a minimal parser with the row checks (the loader's ceiling).
//   pnpm exec tsx bench/import-bars.bench.ts [rows=1000000]
import { execFileSync } from 'node:child_process';
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parseBarCsvFile } from '@ai-trader/adapters';
import type { TBar } from '@ai-trader/contracts';
import { importBars } from '@ai-trader/core';
import { batched, createPgPool, createPrisma, ensurePartitions, loadBars } from '@ai-trader/db';
import { createTestDatabase } from '@ai-trader/db/testing';
import { barProblems } from '@ai-trader/domain';
import { report } from './report.ts';

const ROWS = Number(process.argv[2] ?? 1_000_000);
const SYMBOLS = 20;
const PER = Math.ceil(ROWS / SYMBOLS);
const t0 = Date.parse('2024-01-02T14:30:00Z');
const sym = (s: number) => `S${String(s).padStart(3, '0')}`;

/** One CSV per symbol (the import's input) and one combined CSV with symbol and source (for \copy). */
function writeFiles(dir: string) {
  const all = ['ts,open,high,low,close,volume,symbol,source'];
  const files: string[] = [];
  for (let s = 0; s < SYMBOLS; s++) {
    const lines = ['ts,open,high,low,close,volume'];
    let px = 100 + s * 7;
    for (let i = 0; i < PER; i++) {
      const o = px, c = px + (((i * 7919 + s) % 21) - 10) / 100;
      const row = `${new Date(t0 + i * 300_000).toISOString().replace('.000Z', 'Z')},${o.toFixed(2)},${(Math.max(o, c) + 0.05).toFixed(2)},${(Math.min(o, c) - 0.05).toFixed(2)},${c.toFixed(2)},${1000 + (i % 500)}`;
      lines.push(row);
      all.push(`${row},${sym(s)},bench`);
      px = c;
    }
    files.push(path.join(dir, `${sym(s)}.csv`));
    writeFileSync(files[s]!, lines.join('\n') + '\n');
  }
  const combined = path.join(dir, 'all.csv');
  writeFileSync(combined, all.join('\n') + '\n');
  return { files, combined, rows: all.length - 1 };
}

/** The loader's ceiling: split lines, row checks, nothing else. */
async function* leanParse(file: string): AsyncGenerator<TBar> {
  let n = 0;
  for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
    if (n++ === 0) continue;
    const [ts, open, high, low, close, volume, symbol, source] = line.split(',');
    const bar: TBar = { symbol: symbol!, timeframe: '5m', ts: ts!, open: open!, high: high!, low: low!, close: close!, volume: volume!, source: source! };
    if (barProblems(bar).length) throw new Error(`line ${n}: bad bar`);
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
const prisma = createPrisma(db.url, { max: 2 });
const dir = mkdtempSync(path.join(tmpdir(), 'bench-import-'));
try {
  const { files, combined, rows } = writeFiles(dir);
  await ensurePartitions(pool, 'market_data_5m', new Date(t0), new Date(t0 + PER * 300_000));
  const truncate = () => pool.query('TRUNCATE market_data_5m');
  const psqlCopy = () =>
    execFileSync('psql', [db.url, '-q', '-c', `\\copy market_data_5m (ts, open, high, low, close, volume, symbol, source) FROM '${combined}' WITH (FORMAT csv, HEADER true)`]);
  const product = async () => {
    for (let s = 0; s < SYMBOLS; s++) {
      const r = await importBars({ pool }, () => parseBarCsvFile(files[s]!, { symbol: sym(s), timeframe: '5m', source: 'bench' }), { symbol: sym(s), timeframe: '5m', source: 'bench', session: 'any' });
      if (r.rejected + r.malformed) throw new Error(`${sym(s)}: ${r.rejected + r.malformed} rows rejected`);
    }
  };
  const lean = () => loadBars(pool, '5m', batched(leanParse(combined), 50_000));

  const t: Record<string, number[]> = { copy: [], product: [], productAgain: [], lean: [] };
  for (let round = 0; round < 2; round++) {
    await truncate();
    t.copy!.push(await time(psqlCopy));
    await truncate();
    t.product!.push(await time(product));
    t.productAgain!.push(await time(product));
    await truncate();
    t.lean!.push(await time(lean));
  }
  const best = (k: string) => Math.min(...t[k]!);
  const line = (label: string, k: string, goal?: string) =>
    console.log(`${label.padEnd(34)} ${best(k).toFixed(2)} s  ${Math.round(rows / best(k))} rows/s  ratio ${(best('copy') / best(k)).toFixed(2)}×${goal ? ` (goal ${goal})` : ''}`);
  console.log(`rows: ${rows} (${SYMBOLS} symbols × ${PER} 5m bars)`);
  console.log(`${'psql \\copy (reference)'.padEnd(34)} ${best('copy').toFixed(2)} s  ${Math.round(rows / best('copy'))} rows/s`);
  line('data import, fresh', 'product', '≥ 0.8×');
  line('data import, again (nothing new)', 'productAgain', '≥ 0.5×');
  line('loader alone (lean parse), fresh', 'lean');
  for (const [k, metric, goal] of [['product', 'data import, fresh', 0.8], ['productAgain', 'data import, again (nothing new)', 0.5]] as const)
    report({ bench: 'import-bars', metric: `${metric}, ${rows} bars`, value: Math.round(rows / best(k)), unit: 'rows/s', reference: { label: 'psql \\copy', value: Math.round(rows / best('copy')) }, ratio: best('copy') / best(k), goal: `≥ ${goal}× \\copy`, met: best('copy') / best(k) >= goal });
  const stored = (await pool.query('SELECT count(*)::int AS n FROM market_data_5m')).rows[0].n;
  if (stored !== rows) throw new Error(`stored ${stored} rows, expected ${rows}`);
} finally {
  await pool.end();
  await prisma.$disconnect();
  await db.drop();
  rmSync(dir, { recursive: true, force: true });
}
