// Modification times that decide whether install, prisma generate and the console build can be skipped:
// a step's output is current when it is newer than every input it was made from.
import fs from 'node:fs';
import path from 'node:path';

/** mtime in ms, or 0 when the path does not exist. */
export function mtime(file) {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

/**
 * Newest mtime of any file below `roots` (directories or files), skipping directories whose name is in
 * `skipDirs` and symlinks (workspace links in node_modules would otherwise pull in the whole tree).
 */
export function newestMtime(roots, skipDirs = new Set()) {
  let newest = 0;
  const visit = (dir) => {
    let entries;
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!skipDirs.has(entry.name) && !entry.name.startsWith('.next')) visit(full); // .next, .next-* (NEXT_DIST_DIR): build outputs
      } else if (entry.isFile()) {
        newest = Math.max(newest, mtime(full));
      }
    }
  };
  for (const root of roots) {
    if (!fs.existsSync(root)) continue;
    if (fs.statSync(root).isDirectory()) visit(root);
    else newest = Math.max(newest, mtime(root));
  }
  return newest;
}

/** Directories listed under `packages:` in pnpm-workspace.yaml (`dir/*` expanded, one level deep). */
export function workspaceDirs(root) {
  const text = fs.readFileSync(path.join(root, 'pnpm-workspace.yaml'), 'utf8');
  const block = /^packages:\s*\n((?:[ \t]+-.*\n?)+)/m.exec(text)?.[1] ?? '';
  const patterns = [...block.matchAll(/-\s*['"]?([^'"\n#]+?)['"]?\s*(?:#.*)?$/gm)].map((m) => m[1].trim());
  const dirs = [];
  for (const pattern of patterns) {
    if (!pattern.endsWith('/*')) {
      dirs.push(path.join(root, pattern));
      continue;
    }
    const parent = path.join(root, pattern.slice(0, -2));
    if (!fs.existsSync(parent)) continue;
    for (const entry of fs.readdirSync(parent, { withFileTypes: true })) {
      if (entry.isDirectory()) dirs.push(path.join(parent, entry.name));
    }
  }
  return dirs;
}
