// Builds the Next.js console (`next build`), skipped when apps/console/.next/BUILD_ID is newer than every
// source file under apps/, packages/ and prisma/; shared by `npm start` and `npm test`.
import path from 'node:path';
import { mtime, newestMtime } from './freshness.mjs';
import { pnpm } from './pnpm.mjs';
import { seconds } from './steps.mjs';

// Outputs and caches: they change on every build or install and say nothing about the sources.
const NOT_SOURCES = new Set(['node_modules', '.next', 'generated', '.turbo', 'dist', 'coverage', 'test-results']);

export async function buildConsoleIfStale(root, tool, env, { force = false } = {}) {
  const built = mtime(path.join(root, 'apps/console/.next/BUILD_ID'));
  if (!force && built) {
    const sources = newestMtime(['apps', 'packages', 'prisma'].map((d) => path.join(root, d)), NOT_SOURCES);
    if (sources < built) return { skipped: 'apps/console/.next/BUILD_ID is newer than every source file' };
  }
  const started = performance.now();
  await pnpm(tool, ['--filter', '@ai-trader/console', 'build'], {
    cwd: root,
    env: { ...env, NEXT_TELEMETRY_DISABLED: '1' },
  });
  return { note: `console built in ${seconds(performance.now() - started)}` };
}
