#!/usr/bin/env node
// ai-trader: the operator runbook's verbs. Runs the CLI in one child process — the bundle (dist/ai-trader.mjs, built by
// build.mjs: starts in about half the time) while every source it was built from is unchanged, otherwise the
// TypeScript sources with tsx's loader (no tsx CLI in between: a second supervisor costs a second of start-up) — passes
// SIGINT/SIGTERM/SIGHUP on to it (`ai-trader trade` stops cleanly when this process is signalled) and exits as it did.
// AI_TRADER_CLI=tsx forces the sources, AI_TRADER_CLI=bundle the bundle (an error if it is missing or stale).
import { spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.join(here, '../dist');

/** Why the bundle cannot be used (missing, or a source changed since it was built), or null when it can. */
function bundleStale() {
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(path.join(dist, 'inputs.json'), 'utf8'));
    statSync(path.join(dist, 'ai-trader.mjs'));
  } catch {
    return 'not built (node apps/cli/build.mjs)';
  }
  for (const { file, size, mtimeMs } of manifest.inputs) {
    let s;
    try {
      s = statSync(path.resolve(manifest.root, file));
    } catch {
      return `${file} is gone`;
    }
    if (s.size !== size || s.mtimeMs !== mtimeMs) return `${file} changed since it was built`;
  }
  return null;
}

const mode = process.env.AI_TRADER_CLI;
const stale = mode === 'tsx' ? 'AI_TRADER_CLI=tsx' : bundleStale();
if (mode === 'bundle' && stale) {
  console.error(`ai-trader: AI_TRADER_CLI=bundle, but the bundle cannot be used: ${stale}`);
  process.exit(1);
}
const args = stale
  ? ['--import', import.meta.resolve('tsx'), path.join(here, '../src/main.ts')]
  : // Source maps (stack traces in the TypeScript) cost ~1 s of start-up: only with --verbose, which prints stacks.
    [...(process.argv.includes('--verbose') ? ['--enable-source-maps'] : []), path.join(dist, 'ai-trader.mjs')];
const child = spawn(process.execPath, [...args, ...process.argv.slice(2)], { stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => {
  if (signal) {
    // Die of the same signal, so a shell or supervisor sees what happened.
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  } else process.exit(code ?? 1);
});
