#!/usr/bin/env node
// Bundles the processes that start often: the ai-trader CLI (apps/cli/dist/ai-trader.mjs) and the workers
// (workers/dist/main.mjs). `npm start`, `npm test` and the image run it; about a second each. Their launchers
// (apps/cli/bin/ai-trader.mjs, workers/bin/workers.mjs) use a bundle only while its sources are unchanged and the
// TypeScript under tsx otherwise, so building is never needed for correctness — only for start-up time.
import path from 'node:path';
import { buildBundle, ROOT } from './lib/bundle.mjs';

export const BUNDLES = [
  { name: 'ai-trader CLI', entry: path.join(ROOT, 'apps/cli/src/main.ts'), outfile: path.join(ROOT, 'apps/cli/dist/ai-trader.mjs') },
  { name: 'workers', entry: path.join(ROOT, 'workers/src/main.ts'), outfile: path.join(ROOT, 'workers/dist/main.mjs') },
];

for (const b of BUNDLES) {
  const r = await buildBundle(b);
  console.log(`${b.name}: ${r.inputs} source files into ${path.relative(process.cwd(), b.outfile)} in ${(r.ms / 1000).toFixed(1)} s`);
}
