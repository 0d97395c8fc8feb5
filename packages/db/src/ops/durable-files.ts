// Files that must survive a crash before anything is deleted on their account: written under a temporary name,
// fsynced, renamed into place, and the directory fsynced so the rename itself is on disk.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

export async function fsyncPath(p: string): Promise<void> {
  const fh = await open(p, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** fsync of a directory: makes the creation or renaming of its entries durable. */
export const fsyncDir = (dir: string) => fsyncPath(dir);

/** Renames `from` (already fsynced) to `to` and makes the rename durable. */
export async function durableRename(from: string, to: string): Promise<void> {
  await rename(from, to);
  await fsyncDir(path.dirname(to));
}

/** Writes `content` to `file` all or nothing: a reader sees the old file or the whole new one. */
export async function writeFileDurably(file: string, content: string | Buffer): Promise<void> {
  const tmp = `${file}.partial`;
  await writeFile(tmp, content);
  await fsyncPath(tmp);
  await durableRename(tmp, file);
}

/** sha256 (hex) and size of a file, read as it is now. */
export async function sha256File(file: string): Promise<{ sha256: string; bytes: number }> {
  const h = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(file)) {
    h.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: h.digest('hex'), bytes };
}
