// Bundles the ai-trader CLI (apps/cli/build.mjs) for `npm start` and `npm test`; about a second. The bin uses the
// bundle only while its sources are unchanged, so building it is never required for correctness — only for speed.
import path from 'node:path';
import { run } from './exec.mjs';

export async function bundleCli(root, env) {
  await run(process.execPath, [path.join(root, 'apps/cli/build.mjs')], { label: 'node apps/cli/build.mjs', cwd: root, env });
}
