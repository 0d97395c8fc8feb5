#!/usr/bin/env node
// The workers process: `node bin/workers.mjs` (npm start, `ai-trader trade`, the image, the tests). Runs the bundle
// (dist/main.mjs, built by scripts/build-bundles.mjs: starts in about half the time) while every source it was built
// from is unchanged, otherwise src/main.ts under tsx — in this same process either way, so its pid, signals and exit
// code are the workers' own. AI_TRADER_WORKERS=tsx forces the sources, =bundle the bundle (an error if it cannot run).
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { bundleStaleness } from '../../scripts/lib/bundle-fresh.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const bundle = path.join(here, '../dist/main.mjs');
const mode = process.env.AI_TRADER_WORKERS;
const stale = mode === 'tsx' ? 'AI_TRADER_WORKERS=tsx' : bundleStaleness(bundle, 'node scripts/build-bundles.mjs');
if (mode === 'bundle' && stale) {
  console.error(`workers: AI_TRADER_WORKERS=bundle, but the bundle cannot be used: ${stale}`);
  process.exit(1);
}
if (stale) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(path.join(here, '../src/main.ts')).href);
} else {
  await import(pathToFileURL(bundle).href);
}
