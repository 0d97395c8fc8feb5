// `npm test`: the whole check CI runs — install, Prisma client, Postgres/Redis preflight, lint, type checks,
// unit + integration tests, console build, Playwright e2e — failing fast, with a summary of step durations.
//
// `npm test -- --skip-e2e` skips only the Playwright run, for a quicker local loop (the build still runs:
// it is the console's own type check). CI (.ci/run) always runs everything.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildConsoleIfStale } from './lib/console-build.mjs';
import { buildBundles } from './lib/bundles.mjs';
import { pnpm } from './lib/pnpm.mjs';
import { preflight, prepare } from './lib/prepare.mjs';
import { fail, main, printSummary, step } from './lib/steps.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const USAGE = 'usage: npm test [-- --skip-e2e]   (--skip-e2e: everything except the Playwright run)';

const args = process.argv.slice(2);
const unknown = args.filter((a) => a !== '--skip-e2e' && a !== '--help');
if (args.includes('--help') || unknown.length) {
  if (unknown.length) console.error(`unknown option ${unknown.join(' ')}`);
  console.log(USAGE);
  process.exit(unknown.length ? 2 : 0);
}
const skipE2e = args.includes('--skip-e2e');
const env = { ...process.env, NEXT_TELEMETRY_DISABLED: '1' };

await main(
  async () => {
    const tool = await prepare(root);
    await preflight(root, tool, env);
    const exec = (...cmd) => pnpm(tool, ['exec', ...cmd], { cwd: root, env });

    // Three single-threaded tools side by side (about 40 s together instead of 100 s one after another); each
    // failure is named.
    await step('lint and type-check (eslint; tsc for the workspace and the console)', async () => {
      const checks = [
        ['eslint', () => exec('eslint', '.')],
        ['type-check of the workspace', () => exec('tsc', '-p', 'tsconfig.json')],
        ...(fs.existsSync(path.join(root, 'apps/console/tsconfig.json')) ? [['type-check of the console', () => exec('tsc', '-p', 'apps/console/tsconfig.json')]] : []),
      ];
      const results = await Promise.allSettled(checks.map(([, run]) => run()));
      const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [`${checks[i][0]}: ${r.reason?.message ?? r.reason}`] : []));
      if (failed.length) fail(failed.join('; '));
    });
    // The tests run `ai-trader` and the workers as production does: from their bundles (used while fresh).
    await step('bundle the CLI and the workers', () => buildBundles(root, env));
    await step('unit and integration tests (vitest)', () => exec('vitest', 'run'));
    await step('build the console', () => buildConsoleIfStale(root, tool, env));
    await step('end-to-end tests (playwright)', () =>
      skipE2e ? { skipped: '--skip-e2e' } : exec('playwright', 'test'),
    );
  },
  {
    onExit: (code) => {
      printSummary(code === 0 ? 'npm test passed' : 'npm test FAILED');
    },
  },
);
