// Bundles one entry of our TypeScript (and the workspace packages it imports) into one ES module with esbuild, so a
// process starts without transpiling hundreds of files (about half the start-up under tsx). Third-party packages stay
// outside the bundle, imported from where pnpm installed them. Every `import.meta.url` is replaced by its source
// file's own URL, so paths built from it (ops/*.yaml, prisma/migrations, workers/src/main.ts) are the same as under
// tsx. `<outfile>.inputs.json` lists the sources with their size and mtime, and the output files (the entry and its
// chunks): the launchers run the bundle only while all of them are unchanged and present (bundle-fresh.mjs), so an
// edited checkout never runs stale code.
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The folder (beside the entry's output) of the chunks split off for dynamic imports. */
const CHUNKS = 'chunks';

/** Builds `entry` into `outfile` (absolute paths); returns the time taken and the number of our source files in it. */
export async function buildBundle({ entry, outfile }) {
  const started = performance.now();
  const outdir = path.dirname(outfile);
  // Chunks of an earlier build are not ours to keep (their names carry content hashes).
  rmSync(path.join(outdir, CHUNKS), { recursive: true, force: true });
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: [{ in: entry, out: path.basename(outfile, '.mjs') }],
    outdir, outExtension: { '.js': '.mjs' },
    // What the sources import dynamically (a command's heavy dependencies: the console's auth for `users`, the
    // migrations for `db migrate`) becomes a chunk loaded when it is needed — with the packages only it imports
    // (better-auth alone took ~0.5–0.9 s of every CLI start).
    splitting: true, chunkNames: `${CHUNKS}/[name]-[hash]`,
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
      const s = statSync(path.resolve(ROOT, f));
      return { file: f, size: s.size, mtimeMs: s.mtimeMs };
    });
  const outputs = Object.keys(result.metafile.outputs).filter((f) => f.endsWith('.mjs')).map((f) => path.relative(outdir, path.resolve(ROOT, f)));
  mkdirSync(outdir, { recursive: true });
  writeFileSync(`${outfile}.inputs.json`, JSON.stringify({ root: ROOT, inputs, outputs }));
  return { ms: performance.now() - started, inputs: inputs.length };
}
