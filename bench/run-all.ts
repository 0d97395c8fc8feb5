// `npm run bench`: every benchmark in turn, each as its own process (a fresh heap, its own database and Redis prefix),
// its full output kept in bench/results/<name>.log, its BENCH_RESULT lines (report.ts) gathered into one summary table:
// bench/results/summary.md and summary.json, with the machine, the load before and after each run, and the commit.
//   npm run bench [-- --quick] [--only a,b] [--skip a,b]
// --quick: smaller sizes and shorter runs (minutes instead of ~1.5 h; the 1-hour replay becomes 5 minutes) — for
// checking the harness and a rough picture, not for the numbers in docs/PERFORMANCE.md.
import { spawn, execFileSync } from 'node:child_process';
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RESULT_PREFIX, type BenchResult } from './report.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..');
const OUT = path.join(HERE, 'results');

/** name → [full args, quick args]. In the order they run: the long replay last. */
const BENCHES: Array<{ name: string; full: string[]; quick: string[] }> = [
  { name: 'bullmq-hop', full: ['200', '10'], quick: ['200', '4'] },
  { name: 'signal-to-ack', full: ['50', '10'], quick: ['50', '4'] },
  { name: 'emergency-liquidate', full: ['3', '1'], quick: ['1', '1'] },
  { name: 'features', full: ['50', '2025'], quick: ['10', '2025'] },
  { name: 'import-bars', full: ['1000000'], quick: ['100000'] },
  { name: 'audit-verify', full: ['1000000'], quick: ['100000'] },
  { name: 'backfill-throughput', full: ['20', '20'], quick: ['20', '8'] },
  { name: 'console-api', full: ['200', '60'], quick: ['200', '5'] },
  { name: 'console-browser', full: ['40', '1000', '5'], quick: ['10', '300', '2'] },
  { name: 'replay-memory', full: ['60', '50'], quick: ['5', '20'] },
];

function usage(msg?: string): never {
  if (msg) console.error(msg);
  console.error(`usage: npm run bench [-- --quick] [--only a,b] [--skip a,b]\nbenchmarks: ${BENCHES.map((b) => b.name).join(', ')}`);
  process.exit(2);
}
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const listArg = (flag: string) => {
  const i = args.indexOf(flag);
  if (i < 0) return null;
  const v = args[i + 1];
  if (!v || v.startsWith('--')) usage(`${flag} needs a comma-separated list`);
  const names = v.split(',');
  for (const n of names) if (!BENCHES.some((b) => b.name === n)) usage(`${flag}: no benchmark named "${n}"`);
  return new Set(names);
};
const known = new Set(['--quick', '--only', '--skip']);
for (const [i, a] of args.entries()) if (a.startsWith('--') && !known.has(a)) usage(`unknown option ${a}`);
else if (!a.startsWith('--') && !['--only', '--skip'].includes(args[i - 1] ?? '')) usage(`unexpected argument ${a}`);
const only = listArg('--only'), skip = listArg('--skip');
const chosen = BENCHES.filter((b) => (!only || only.has(b.name)) && !skip?.has(b.name));

interface Run { name: string; args: string[]; code: number | null; seconds: number; loadBefore: number; loadAfter: number; results: BenchResult[]; log: string }

function runOne(b: (typeof BENCHES)[number]): Promise<Run> {
  const a = quick ? b.quick : b.full;
  const log = path.join(OUT, `${b.name}.log`);
  const file = createWriteStream(log);
  const loadBefore = os.loadavg()[0]!;
  const t0 = performance.now();
  const results: BenchResult[] = [];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(HERE, `${b.name}.bench.ts`), ...a], { cwd: ROOT, env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let partial = '';
    child.stdout.on('data', (d: Buffer) => {
      file.write(d);
      const lines = (partial + d.toString()).split('\n');
      partial = lines.pop()!;
      for (const l of lines) if (l.startsWith(RESULT_PREFIX)) results.push(JSON.parse(l.slice(RESULT_PREFIX.length)) as BenchResult);
    });
    child.stderr.on('data', (d: Buffer) => file.write(d));
    child.on('exit', (code) => {
      file.end();
      resolve({ name: b.name, args: a, code, seconds: (performance.now() - t0) / 1000, loadBefore, loadAfter: os.loadavg()[0]!, results, log: path.relative(ROOT, log) });
    });
  });
}

const fmt = (x: number | undefined) => (x === undefined ? '' : Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 10 ? x.toFixed(1) : x.toFixed(2));
const commit = (() => {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
})();

mkdirSync(OUT, { recursive: true });
const runs: Run[] = [];
const started = Date.now();
for (const [i, b] of chosen.entries()) {
  const bar = `[${'#'.repeat(i).padEnd(chosen.length, '-')}]`;
  process.stdout.write(`${bar} ${i + 1}/${chosen.length} ${b.name} ${(quick ? b.quick : b.full).join(' ')} … `);
  const r = await runOne(b);
  runs.push(r);
  const verdict = r.code !== 0 ? `FAILED (exit ${r.code}; see ${r.log})` : r.results.every((x) => x.met !== false) ? 'goals met' : `${r.results.filter((x) => x.met === false).length} goal(s) NOT met`;
  console.log(`${r.seconds.toFixed(0)} s, ${verdict}`);
}

const machine = `${os.cpus().length} × ${os.cpus()[0]?.model.trim() ?? 'CPU'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${os.type()} ${os.release()}`;
const rows = runs.flatMap<{ r: Run; x: BenchResult | null }>((r) => (r.results.length ? r.results.map((x) => ({ r, x })) : [{ r, x: null }]));
const md = [
  `# Benchmarks — ${quick ? 'quick' : 'full'} run of ${new Date(started).toISOString()} (commit ${commit})`,
  '',
  `Machine: ${machine}. Load average (1 min) before → after each benchmark is in the last column: these machines are shared and noisy, which is why every number has a reference measured in the same run.`,
  '',
  '| benchmark | measure | ours | reference (same run) | ratio | goal | met | load |',
  '|---|---|---|---|---|---|---|---|',
  ...rows.map(({ r, x }) =>
    x
      ? `| ${x.bench} | ${x.metric} | ${fmt(x.value)} ${x.unit} | ${x.reference ? `${x.reference.label}: ${fmt(x.reference.value)} ${x.unit}` : ''} | ${x.ratio === undefined ? '' : `${fmt(x.ratio)}×`} | ${x.goal ?? ''} | ${x.met === true ? 'yes' : x.met === false ? '**no**' : ''} | ${r.loadBefore.toFixed(1)} → ${r.loadAfter.toFixed(1)} |`
      : `| ${r.name} | ${r.code === 0 ? 'no result line' : `**failed** (exit ${r.code}, ${r.log})`} | | | | | | ${r.loadBefore.toFixed(1)} → ${r.loadAfter.toFixed(1)} |`,
  ),
  '',
  `Runs: ${runs.map((r) => `${r.name} ${r.args.join(' ')} (${r.seconds.toFixed(0)} s)`).join('; ')}. Full output: bench/results/<name>.log.`,
  '',
].join('\n');
writeFileSync(path.join(OUT, 'summary.md'), md);
writeFileSync(path.join(OUT, 'summary.json'), JSON.stringify({ startedAt: new Date(started).toISOString(), quick, commit, machine, runs }, null, 2));
console.log(`\n${md}`);
console.log(`written: bench/results/summary.md, bench/results/summary.json (${((Date.now() - started) / 60_000).toFixed(1)} min)`);
process.exit(runs.some((r) => r.code !== 0) ? 1 : 0);
