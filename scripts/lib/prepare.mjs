// The steps `npm start` and `npm test` share: Node version, pnpm, dependencies, the Prisma client and the
// Postgres/Redis preflight. Install and generate are skipped when their output is newer than their inputs.
import fs from 'node:fs';
import path from 'node:path';
import { mtime, newestMtime, workspaceDirs } from './freshness.mjs';
import { checkNode } from './node-version.mjs';
import { pnpm, resolvePnpm } from './pnpm.mjs';
import { run } from './exec.mjs';
import { fail, step } from './steps.mjs';

const INSTALL_MARKER = 'node_modules/.ai-trader-installed';
const GENERATED_CLIENT = 'packages/db/src/generated/prisma';

/** Runs steps a–d; returns the pnpm to use for everything after. */
export async function prepare(root) {
  await step('check Node', () => checkNode());
  let tool;
  await step('find pnpm 10', () => {
    tool = resolvePnpm();
    return { note: `pnpm ${tool.version} ${tool.source}` };
  });
  await step('install dependencies', () => installIfStale(root, tool));
  await step('generate the Prisma client', () => generateIfStale(root));
  return tool;
}

async function installIfStale(root, tool) {
  const marker = path.join(root, INSTALL_MARKER);
  const manifests = [
    path.join(root, 'package.json'),
    path.join(root, 'pnpm-lock.yaml'),
    path.join(root, 'pnpm-workspace.yaml'),
    ...workspaceDirs(root).map((dir) => path.join(dir, 'package.json')),
  ];
  const built = mtime(marker);
  if (fs.existsSync(path.join(root, 'node_modules')) && built && newestMtime(manifests) < built) {
    return { skipped: 'node_modules is newer than pnpm-lock.yaml and every package.json' };
  }
  // confirmModulesPurge=false: without a TTY pnpm would otherwise abort when it wants to rebuild node_modules.
  await pnpm(tool, ['install', '--frozen-lockfile', '--config.confirmModulesPurge=false'], {
    cwd: root,
    hint: 'If pnpm says the lockfile is out of date, run `pnpm install` and commit pnpm-lock.yaml.',
  });
  fs.writeFileSync(marker, `installed ${new Date().toISOString()}\n`);
}

async function generateIfStale(root) {
  const generated = newestMtime([path.join(root, GENERATED_CLIENT)]);
  if (generated && generated >= mtime(path.join(root, 'prisma/schema.prisma'))) {
    return { skipped: `${GENERATED_CLIENT} is newer than prisma/schema.prisma` };
  }
  await run(process.execPath, ['scripts/prisma-generate.mjs'], { cwd: root, label: 'node scripts/prisma-generate.mjs' });
}

/** Step f: scripts/preflight.ts prints its own explanation; this only adds the failed step's line. */
export async function preflight(root, tool, env) {
  await step('check Postgres and Redis', async () => {
    try {
      await pnpm(tool, ['exec', 'tsx', 'scripts/preflight.ts'], { cwd: root, env });
    } catch {
      fail('Postgres or Redis cannot be used (see the lines above)');
    }
  });
}
