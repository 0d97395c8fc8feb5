// Builds the CLI and workers bundles (scripts/build-bundles.mjs) for `npm start` and `npm test`; a second or two.
// Their launchers use a bundle only while its sources are unchanged, so this is never needed for correctness.
import path from 'node:path';
import { run } from './exec.mjs';

export async function buildBundles(root, env) {
  await run(process.execPath, [path.join(root, 'scripts/build-bundles.mjs')], { label: 'node scripts/build-bundles.mjs', cwd: root, env });
}
