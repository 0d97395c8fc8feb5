// Readiness check 1, code: no test implementation or fake is reachable from production — the lint rule's question
// (eslint.config.js, tests/lint-boundaries.test.ts) asked of what was actually built: the console's server bundles.
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Deps } from '../ports.ts';
import { DAY, fail, pass, type ReadinessCheck, type ReadinessEnv } from './readiness-types.ts';

/**
 * What test code looks like inside a bundle: our testing folders, the fakes, test frameworks. This module is bundled
 * too: each pattern is written so that its own text does not match it ([-], [A], \/…), or the scan would find itself.
 */
export const TEST_CODE_MARKERS: readonly { name: string; re: RegExp }[] = [
  { name: 'a testing/ module', re: /\/src\/testing\/|\/db\/testing|adapters\/testing/ },
  { name: 'a fake server', re: /fake[-]alpaca|fake[-]polygon|Fake[A]lpaca|Fake[P]olygon/ },
  { name: 'vitest', re: /node_modules\/(?:\.pnpm\/)?vitest|@vitest\// },
  { name: 'a test runtime', re: /create[T]estRuntime|create[T]estDatabase/ },
];

async function* files(dir: string): AsyncGenerator<string> {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) yield* files(p);
    else if (/\.(?:js|mjs|cjs)$/.test(e.name)) yield p;
  }
}

export async function scanBundles(dir: string): Promise<{ files: number; bytes: number; hits: string[] }> {
  let n = 0;
  let bytes = 0;
  const hits: string[] = [];
  for await (const f of files(dir)) {
    const text = await readFile(f, 'utf8');
    n++;
    bytes += text.length;
    for (const m of TEST_CODE_MARKERS) if (m.re.test(text)) hits.push(`${path.relative(dir, f)}: ${m.name}`);
  }
  return { files: n, bytes, hits };
}

export const codeCheck: ReadinessCheck = {
  id: 'code.no-test-code',
  group: 'code',
  title: 'No test code or fake reachable from the built app',
  windowSeconds: 7 * DAY,
  scheduled: true,
  remedy: 'build the console (npm run build), find the import that pulls test code in (npx eslint . shows the boundary rule), remove it, rebuild',
  async run(_deps: Deps, env: ReadinessEnv) {
    const server = path.join(env.consoleBuildDir, 'server');
    const built = await stat(server).catch(() => null);
    if (!built) return fail(`no built console at ${server}: nothing to scan`, { buildDir: env.consoleBuildDir }, 'build it: npm run build');
    const r = await scanBundles(server);
    const evidence = { buildDir: env.consoleBuildDir, builtAt: built.mtime.toISOString(), filesScanned: r.files, megabytes: Math.round(r.bytes / 1e5) / 10, hits: r.hits.slice(0, 20) };
    if (!r.files) return fail(`${server} holds no server bundle`, evidence, 'build it: npm run build');
    const files = new Set(r.hits.map((h) => h.slice(0, h.lastIndexOf(': '))));
    if (r.hits.length) return fail(`${files.size} server bundle(s) contain test code (first: ${r.hits[0]})`, evidence);
    return pass(`${r.files} server bundles of the build of ${built.mtime.toISOString()} scanned: no testing module, fake or test framework`, evidence);
  },
};
