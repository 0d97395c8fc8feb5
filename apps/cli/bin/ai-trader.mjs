#!/usr/bin/env node
// ai-trader: the operator runbook's verbs. Runs the CLI in one child process — the bundle (dist/ai-trader.mjs, built by
// scripts/build-bundles.mjs: starts in about half the time) while every source it was built from is unchanged, otherwise the
// TypeScript sources with tsx's loader (no tsx CLI in between: a second supervisor costs a second of start-up) — passes
// SIGINT/SIGTERM/SIGHUP on to it (`ai-trader trade` stops cleanly when this process is signalled) and exits as it did.
// AI_TRADER_CLI=tsx forces the sources, AI_TRADER_CLI=bundle the bundle (an error if it is missing or stale).
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleStaleness } from '../../../scripts/lib/bundle-fresh.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const bundle = path.join(here, '../dist/ai-trader.mjs');
const bundleStale = () => bundleStaleness(bundle, 'node scripts/build-bundles.mjs');

const mode = process.env.AI_TRADER_CLI;
const stale = mode === 'tsx' ? 'AI_TRADER_CLI=tsx' : bundleStale();
if (mode === 'bundle' && stale) {
  console.error(`ai-trader: AI_TRADER_CLI=bundle, but the bundle cannot be used: ${stale}`);
  process.exit(1);
}
const args = stale
  ? ['--import', import.meta.resolve('tsx'), path.join(here, '../src/main.ts')]
  : // Source maps (stack traces in the TypeScript) cost ~1 s of start-up: only with --verbose, which prints stacks.
    [...(process.argv.includes('--verbose') ? ['--enable-source-maps'] : []), bundle];
const child = spawn(process.execPath, [...args, ...process.argv.slice(2)], { stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => {
  if (signal) {
    // Die of the same signal, so a shell or supervisor sees what happened.
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  } else process.exit(code ?? 1);
});
