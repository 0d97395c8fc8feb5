// COPY streams for the packages that do not depend on pg-copy-streams themselves (the archive in core).
import type { Readable } from 'node:stream';
import type pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';

/** `COPY (…) TO STDOUT …` as a readable stream of the server's bytes. */
export function copyOut(client: pg.ClientBase, sql: string): Readable {
  return client.query(copyTo(sql));
}

/** `COPY … FROM STDIN …` fed with `text`; resolves when the server has taken it all. */
export function copyInText(client: pg.ClientBase, sql: string, text: string): Promise<void> {
  const sink = client.query(copyFrom(sql));
  return new Promise((resolve, reject) => {
    sink.on('finish', resolve).on('error', reject);
    sink.end(text);
  });
}
