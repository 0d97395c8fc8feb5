#!/usr/bin/env node
// Bundles the CLI's TypeScript (apps/cli/src and the workspace packages it imports) into one ES module,
// dist/ai-trader.mjs, so `ai-trader` starts without transpiling hundreds of files on every run (≈ half its start-up
// under tsx). Third-party packages stay outside the bundle, imported from where they are installed. Every
// `import.meta.url` is replaced by its source file's own URL, so paths built from it (ops/*.yaml, prisma/migrations,
// workers/src/main.ts) are the same as under tsx. dist/inputs.json lists the sources with their size and mtime:
// bin/ai-trader.mjs runs the bundle only while all of them are unchanged and falls back to tsx otherwise, so an edited
// checkout never runs stale code. `npm start`, `npm test` and the Docker image build it; `node apps/cli/build.mjs`.
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const outDir = process.argv[2] ? path.resolve(process.argv[2]) : path.join(here, 'dist');

export async function buildCli(out = outDir) {
  const started = performance.now();
  const result = await build({
    absWorkingDir: root,
    entryPoints: [path.join(here, 'src/main.ts')],
    outfile: path.join(out, 'ai-trader.mjs'),
    bundle: true, platform: 'node', format: 'esm', target: 'node20', sourcemap: 'linked', metafile: true, logLevel: 'warning',
    // CommonJS packages required from the bundle (esbuild's require shim needs a real require).
    banner: { js: "import { createRequire as __aiTraderCreateRequire } from 'node:module'; const require = __aiTraderCreateRequire(import.meta.url);" },
    plugins: [{
      name: 'ai-trader',
      setup(b) {
        // Third-party packages: resolved from the importing file (pnpm keeps each package's dependencies beside it),
        // left as imports of that absolute path.
        b.onResolve({ filter: /^[^./]/ }, async (a) => {
          if (a.path.startsWith('@ai-trader/') || a.path.startsWith('node:') || a.pluginData?.inner) return undefined;
          const r = await b.resolve(a.path, { resolveDir: a.resolveDir, kind: a.kind, importer: a.importer, pluginData: { inner: true } });
          return r.errors.length ? { errors: r.errors } : { path: r.path, external: true };
        });
        // Our sources: each import.meta.url becomes that file's URL.
        b.onLoad({ filter: /\.ts$/ }, (a) => {
          if (a.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
          const text = readFileSync(a.path, 'utf8').replaceAll('import.meta.url', JSON.stringify(pathToFileURL(a.path).href));
          return { contents: text, loader: 'ts' };
        });
      },
    }],
  });
  const inputs = Object.keys(result.metafile.inputs)
    .filter((f) => !f.includes('node_modules'))
    .map((f) => {
      const s = statSync(path.resolve(root, f));
      return { file: f, size: s.size, mtimeMs: s.mtimeMs };
    });
  mkdirSync(out, { recursive: true });
  writeFileSync(path.join(out, 'inputs.json'), JSON.stringify({ root, inputs }));
  return { ms: performance.now() - started, inputs: inputs.length };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const r = await buildCli();
  console.log(`ai-trader CLI bundled from ${r.inputs} source files into ${path.relative(process.cwd(), path.join(outDir, 'ai-trader.mjs'))} in ${(r.ms / 1000).toFixed(1)} s`);
}
