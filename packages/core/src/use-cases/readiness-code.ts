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

/** The production entry points run from source (tsx): the workers and the CLI. The console is checked in its build. */
export const SOURCE_ENTRY_POINTS = ['workers/src/main.ts', 'apps/cli/src/main.ts'] as const;
const TEST_MODULE = /\/testing\/|\/fake-[^/]*$|\.(?:test|spec)\.tsx?$|\/tests?\//;
const TEST_PACKAGE = /^(?:vitest|@vitest\/.*|@playwright\/test|playwright)$/;
// Runtime imports only: `import type` / `export type` are erased and reach nothing.
const SPECIFIER = /(?:^|[;\n}])\s*(?:import|export)\s+(?!type\s)(?:[^'";]*?\sfrom\s*)?['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g;

/** Resolves a specifier of `from` to a file of the checkout, an npm package name, or null (node: built-ins). */
async function resolveSpecifier(repo: string, from: string, spec: string): Promise<{ file: string } | { pkg: string } | null> {
  if (spec.startsWith('node:')) return null;
  if (spec.startsWith('.')) return { file: path.resolve(path.dirname(from), spec) };
  const m = /^@ai-trader\/([^/]+)(\/.*)?$/.exec(spec);
  if (!m) return { pkg: spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]! };
  const dir = path.join(repo, 'packages', m[1]!);
  const exports = (JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8')) as { exports?: Record<string, string> }).exports ?? {};
  const target = exports[`.${m[2] ?? ''}`];
  return { file: target ? path.join(dir, target) : path.join(dir, 'src', `${m[2] ?? '/index'}.ts`) };
}

/** Walks the runtime import graph from each entry; every test module or test package reached, with who imports it. */
export async function scanModuleGraph(repo: string, entries: readonly string[]): Promise<{ modules: number; hits: string[] }> {
  const seen = new Set<string>();
  const hits: string[] = [];
  const queue = entries.map((e) => ({ file: path.join(repo, e), by: '(entry)' }));
  while (queue.length) {
    const { file, by } = queue.shift()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const rel = path.relative(repo, file);
    if (TEST_MODULE.test(file)) {
      hits.push(`${rel} (imported by ${by})`);
      continue;
    }
    const text = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') throw new Error(`${rel} (imported by ${by}) does not exist`);
      throw e;
    });
    for (const m of text.matchAll(SPECIFIER)) {
      const r = await resolveSpecifier(repo, file, (m[1] ?? m[2])!);
      if (!r) continue;
      if ('pkg' in r) {
        if (TEST_PACKAGE.test(r.pkg)) hits.push(`${r.pkg} (imported by ${rel})`);
      } else if (/\.(?:ts|tsx|js|mjs)$/.test(r.file)) queue.push({ file: r.file, by: rel });
    }
  }
  return { modules: seen.size, hits };
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
    const graph = await scanModuleGraph(env.repoDir, SOURCE_ENTRY_POINTS);
    const evidence = {
      buildDir: env.consoleBuildDir, builtAt: built.mtime.toISOString(), filesScanned: r.files, megabytes: Math.round(r.bytes / 1e5) / 10, hits: r.hits.slice(0, 20),
      entryPoints: [...SOURCE_ENTRY_POINTS], modulesWalked: graph.modules, reachedFromEntryPoints: graph.hits.slice(0, 20),
    };
    if (!r.files) return fail(`${server} holds no server bundle`, evidence, 'build it: npm run build');
    const files = new Set(r.hits.map((h) => h.slice(0, h.lastIndexOf(': '))));
    const problems = [
      ...(r.hits.length ? [`${files.size} server bundle(s) contain test code (first: ${r.hits[0]})`] : []),
      ...(graph.hits.length ? [`${graph.hits.length} test module(s) reachable from the workers' or the CLI's entry point (first: ${graph.hits[0]})`] : []),
    ];
    if (problems.length) return fail(problems.join('; '), evidence);
    return pass(`${r.files} server bundles of the build of ${built.mtime.toISOString()} and ${graph.modules} modules reachable from ${SOURCE_ENTRY_POINTS.join(', ')} scanned: no testing module, fake or test framework`, evidence);
  },
};
