// `ai-trader scan --layer layer0|layer1`: run a scanner layer with the configuration in ops/scanner.yaml
// and print every symbol (passed by rank, then failed with the reasons) and the alerts. A configuration that
// does not parse is refused with its file, line and column, before anything runs (exit 2).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ZScannerConfig, ZScannerLayer, type TScannerConfig, type TScannerRunDetail } from '@ai-trader/contracts';
import { etOffsetMinutes } from '@ai-trader/domain';
import { ConfigFileError, parseYamlConfig } from '@ai-trader/adapters';
import type { Command } from 'commander';
import { runScanner, ScannerRunError } from '@ai-trader/core';
import { CliError, type CliContext } from '../context.ts';

export const DEFAULT_SCANNER_CONFIG = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../ops/scanner.yaml');

/** Reads and validates a scanner YAML file; any problem is a CliError (exit 2) naming file:line:column. */
export function loadScannerConfig(file: string): TScannerConfig {
  if (!existsSync(file)) throw new CliError(`${file}: no such file`, 2);
  try {
    return parseYamlConfig(readFileSync(file, 'utf8'), file, ZScannerConfig);
  } catch (e) {
    if (e instanceof ConfigFileError) throw new CliError(e.message, 2);
    throw e;
  }
}

/** A New York date means "after that day's sessions" (20:00 New York time); an ISO instant is taken as it is. */
export function parseAsOf(s: string): Date {
  if (/^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(Date.parse(s))) {
    const wall = Date.parse(`${s}T20:00:00Z`); // 20:00 on the wall clock, read as UTC; then shifted by New York's offset
    return new Date(wall - etOffsetMinutes(wall) * 60_000);
  }
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(s) && !Number.isNaN(Date.parse(s))) return new Date(s);
  throw new CliError(`--as-of ${s}: must be a New York date like 2025-08-28 or an instant like 2025-08-28T14:00:00Z`, 2);
}

const pad = (s: string, n: number) => s.padEnd(n);
const lpad = (s: string, n: number) => s.padStart(n);
// Whole dollars in the table (the stored metric keeps the cents).
const dollars = (s: unknown) => (typeof s === 'string' ? s.split('.')[0]!.replace(/\B(?=(\d{3})+(?!\d))/g, ',') : '–');
const percent = (x: unknown) => (typeof x === 'number' ? `${(x * 100).toFixed(2)} %` : '–');

function printRun(r: TScannerRunDetail) {
  const day = r.asOf.slice(0, 10);
  console.log(`${r.layer} scan ${r.id} as of ${day}: ${r.symbolsOut} of ${r.symbolsIn} passed${r.inputRunId ? ` (judged the symbols layer0 run ${r.inputRunId} passed)` : ''}`);
  const cols = r.layer === 'layer0'
    ? { head: ['last close', 'last $ volume', 'days'], row: (m: Record<string, unknown>) => [String(m.lastClose ?? '–'), dollars(m.lastDollarVolume), String(m.historyDays ?? '–')] }
    : { head: ['avg $ volume', 'spread', 'bars'], row: (m: Record<string, unknown>) => [dollars(m.avgDollarVolume), percent(m.spreadProxy), String(m.bars ?? '–')] };
  const widths = [4, 7, 6, 12, 18, 6];
  const right = new Set([0, 3, 4, 5]); // numbers are right-aligned, and so are their headings
  console.log(['rank', 'symbol', 'result', ...cols.head, 'reasons'].map((h, i) => (i >= widths.length ? h : right.has(i) ? lpad(h, widths[i]!) : pad(h, widths[i]!))).join('  '));
  for (const x of r.results) {
    const [a, b, c] = cols.row(x.metrics);
    console.log([lpad(x.rank === null ? '–' : String(x.rank), 4), pad(x.symbol, 7), pad(x.passed ? 'pass' : 'FAIL', 6), lpad(a!, 12), lpad(b!, 18), lpad(c!, 6), x.reasons.join('; ')].join('  ').trimEnd());
  }
  if (!r.results.length) console.log('  (no symbols to judge)');
  console.log(r.alerts.length ? `alerts (${r.alerts.length}):` : 'alerts: none');
  for (const a of r.alerts) console.log(`  ${pad(a.symbol, 7)} ${pad(a.kind, 15)} ${a.detail}`);
}

export function registerScan(program: Command, ctx: () => CliContext) {
  program
    .command('scan')
    .description("run a scanner layer: layer0 = the tradable universe, layer1 = the liquid part of it (of layer0's latest passed symbols; with --as-of, layer0 runs first as of the same time)")
    .requiredOption('--layer <layer>', 'layer0 | layer1')
    .option('--config <file>', 'scanner YAML (default: ops/scanner.yaml of this repository)')
    .option('--as-of <when>', 'judge the market as of a New York date (after its session) or an ISO instant (default: now)')
    .option('--json', 'print the run (results and alerts) as JSON')
    .action(async (o: { layer: string; config?: string; asOf?: string; json?: boolean }) => {
      const layer = ZScannerLayer.safeParse(o.layer);
      if (!layer.success) throw new CliError(`--layer ${o.layer}: must be layer0 or layer1`, 2);
      const config = loadScannerConfig(o.config ?? path.relative(process.cwd(), DEFAULT_SCANNER_CONFIG));
      const asOf = o.asOf === undefined ? undefined : parseAsOf(o.asOf);
      const { deps } = ctx().runtime();
      let result;
      try {
        result = await runScanner(deps, { layer: layer.data, config, asOf });
      } catch (e) {
        if (e instanceof ScannerRunError) throw new CliError(e.message, 1);
        throw e;
      }
      if (o.json) return console.log(JSON.stringify(result, null, 2));
      if (result.layer0) {
        console.log(asOf ? 'layer0 first, as of the same time:' : 'no succeeded layer0 scan yet: ran layer0 first');
        printRun(result.layer0);
        console.log('');
      }
      printRun(result.run);
    });
}
