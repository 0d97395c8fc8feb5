// The bundles (scripts/lib/bundle.mjs) of the CLI and the workers: built from the real sources they run; every path
// our code builds from import.meta.url still points into the checkout; the launchers' freshness check refuses a
// bundle whose sources changed.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error -- plain ES modules without types
import { buildBundle, ROOT } from './lib/bundle.mjs';
// @ts-expect-error -- plain ES modules without types
import { bundleStaleness } from './lib/bundle-fresh.mjs';

const out = mkdtempSync(path.join(os.tmpdir(), 'ai-trader-bundles-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));
type Manifest = { root: string; inputs: { file: string; size: number; mtimeMs: number }[]; outputs: string[] };
// Each bundle in its own folder, as in the checkout (apps/cli/dist, workers/dist): a build replaces its folder's chunks.
const build = (entry: string, name: string) => buildBundle({ entry: path.join(ROOT as string, entry), outfile: path.join(out, path.basename(name, '.mjs'), name) }) as Promise<{ inputs: number }>;

describe('the bundles', () => {
  it('the CLI: our sources only, each import.meta.url replaced by its own file, and it runs', async () => {
    const r = await build('apps/cli/src/main.ts', 'ai-trader.mjs');
    const dist = path.join(out, 'ai-trader');
    const manifest = JSON.parse(readFileSync(path.join(dist, 'ai-trader.mjs.inputs.json'), 'utf8')) as Manifest;
    const files = manifest.inputs.map((i) => i.file);
    expect(r.inputs).toBe(files.length);
    expect(files).toContain('apps/cli/src/main.ts');
    expect(files.some((f) => f.startsWith('packages/core/src/'))).toBe(true);
    expect(files.filter((f) => f.includes('node_modules'))).toEqual([]);
    // The entry and the chunks split off for dynamic imports: only each one's banner (the require shim) reads its URL.
    expect(manifest.outputs[0]).toBe('ai-trader.mjs');
    expect(manifest.outputs.length).toBeGreaterThan(1);
    const texts = manifest.outputs.map((f) => readFileSync(path.join(dist, f), 'utf8'));
    for (const text of texts) expect(text.match(/import\.meta\.url/g)).toHaveLength(1);
    expect(texts.join('\n')).toContain(JSON.stringify(`file://${path.join(manifest.root, 'packages/adapters/src/config-files/job-definitions.ts')}`));
    // The console's auth (better-auth), needed by `users` only, is not loaded at start: no static import of it in the
    // entry or the chunks the entry imports statically.
    const statics = (text: string) => [...text.matchAll(/^import .* from "([^"]+)";$/gm)].map((m) => m[1]!);
    const atStart = new Set<string>();
    const visit = (file: string) => {
      for (const dep of statics(readFileSync(path.join(dist, file), 'utf8'))) {
        if (atStart.has(dep)) continue;
        atStart.add(dep);
        if (dep.startsWith('./')) visit(path.join(path.dirname(file), dep));
      }
    };
    visit('ai-trader.mjs');
    expect([...atStart].filter((d) => d.includes('better-auth'))).toEqual([]);
    expect(texts.some((t) => statics(t).some((d) => d.includes('better-auth')))).toBe(true);
    const help = spawnSync(process.execPath, [path.join(dist, 'ai-trader.mjs'), 'help', 'scheduler'], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    expect(help.stderr).toBe('');
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/Usage: ai-trader scheduler/);
    expect(spawnSync(process.execPath, [path.join(dist, 'ai-trader.mjs'), 'no-such-verb'], { encoding: 'utf8' }).status).toBe(2);
    // A missing chunk makes the bundle unusable (the launcher then runs the sources).
    expect(bundleStaleness(path.join(dist, 'ai-trader.mjs'), 'build it')).toBeNull();
    rmSync(path.join(dist, manifest.outputs[1]!));
    expect(bundleStaleness(path.join(dist, 'ai-trader.mjs'), 'build it')).toBe(`its part ${manifest.outputs[1]} is missing`);
  }, 60_000);

  it('the workers: bundled, and a bad configuration is refused as by the sources (exit 2, what is wrong)', async () => {
    await build('workers/src/main.ts', 'workers.mjs');
    const r = spawnSync(process.execPath, [path.join(out, 'workers', 'workers.mjs')], { encoding: 'utf8', env: { PATH: process.env.PATH, DATABASE_URL: 'not a url', REDIS_URL: 'redis://127.0.0.1:6379' } });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/DATABASE_URL/);
  }, 60_000);

  it('a bundle is fresh only while every source has its recorded size and mtime', async () => {
    // A bundle of a throwaway entry, so the check can be shown on a file we may change.
    const dir = mkdtempSync(path.join(ROOT as string, 'scripts/.bundle-test-'));
    try {
      const entry = path.join(dir, 'entry.ts');
      writeFileSync(entry, "export const x: number = 1;\nconsole.log(x, import.meta.url);\n");
      const outfile = path.join(out, 'entry.mjs');
      await buildBundle({ entry, outfile });
      expect(bundleStaleness(outfile, 'build it')).toBeNull();
      const later = new Date(Date.now() + 5000);
      utimesSync(entry, later, later);
      expect(bundleStaleness(outfile, 'build it')).toMatch(/entry\.ts changed since it was built/);
      await buildBundle({ entry, outfile });
      expect(bundleStaleness(outfile, 'build it')).toBeNull();
      rmSync(entry);
      expect(bundleStaleness(outfile, 'build it')).toMatch(/entry\.ts is gone/);
      expect(bundleStaleness(path.join(out, 'missing.mjs'), 'node scripts/build-bundles.mjs')).toBe('not built (node scripts/build-bundles.mjs)');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
