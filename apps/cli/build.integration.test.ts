// The CLI bundle (build.mjs): built from the real sources, it runs, and every path our code builds from
// import.meta.url still points into the checkout (ops/*.yaml, prisma/migrations, workers/src/main.ts).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error -- a plain ES module without types
import { buildCli } from './build.mjs';

const out = mkdtempSync(path.join(os.tmpdir(), 'ai-trader-cli-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('the CLI bundle', () => {
  it('bundles our sources only, with each import.meta.url replaced by its own file, and runs', async () => {
    const r = (await buildCli(out)) as { inputs: number };
    const manifest = JSON.parse(readFileSync(path.join(out, 'inputs.json'), 'utf8')) as { root: string; inputs: { file: string }[] };
    const files = manifest.inputs.map((i) => i.file);
    expect(r.inputs).toBe(files.length);
    expect(files).toContain('apps/cli/src/main.ts');
    expect(files.some((f) => f.startsWith('packages/core/src/'))).toBe(true);
    expect(files.filter((f) => f.includes('node_modules'))).toEqual([]);
    const text = readFileSync(path.join(out, 'ai-trader.mjs'), 'utf8');
    // Only the banner's own require shim reads the bundle's URL.
    expect(text.match(/import\.meta\.url/g)).toHaveLength(1);
    expect(text).toContain(JSON.stringify(`file://${path.join(manifest.root, 'packages/adapters/src/config-files/job-definitions.ts')}`));
    const help = spawnSync(process.execPath, [path.join(out, 'ai-trader.mjs'), 'help', 'scheduler'], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    expect(help.stderr).toBe('');
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/Usage: ai-trader scheduler/);
    const bad = spawnSync(process.execPath, [path.join(out, 'ai-trader.mjs'), 'no-such-verb'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
  }, 60_000);
});
