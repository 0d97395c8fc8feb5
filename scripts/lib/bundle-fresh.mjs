// Whether a bundle built by scripts/lib/bundle.mjs may run: it exists and every source it was built from still has
// the size and mtime recorded at build time. Loaded by the launchers on every start (no dependencies; ~300 stats).
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/** Why `outfile` cannot be used (missing, or a source changed or went away since it was built), or null when it can. */
export function bundleStaleness(outfile, buildHint) {
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(`${outfile}.inputs.json`, 'utf8'));
    statSync(outfile);
  } catch {
    return `not built (${buildHint})`;
  }
  for (const { file, size, mtimeMs } of manifest.inputs) {
    let s;
    try {
      s = statSync(path.resolve(manifest.root, file));
    } catch {
      return `${file} is gone`;
    }
    if (s.size !== size || s.mtimeMs !== mtimeMs) return `${file} changed since it was built`;
  }
  for (const file of manifest.outputs ?? []) {
    try {
      statSync(path.resolve(path.dirname(outfile), file));
    } catch {
      return `its part ${file} is missing`;
    }
  }
  return null;
}
