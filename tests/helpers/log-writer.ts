// A separate process appending to the log files (tests/log-files.integration.test.ts): says `<dir>/ready-<who>`, waits
// for `<dir>/go`, so two of them write at the same time, then writes N orders lines of ~2 KB, 50 per turn of the event loop.
// With N = exit-at-once: one line, then process.exit at once.
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createLogger, LogFiles } from '@ai-trader/core';

const [dir, who, n] = process.argv.slice(2) as [string, string, string];
const files = new LogFiles({ dir });
const log = createLogger({ name: who, level: 'silent', files });
if (n === 'exit-at-once') {
  // A process that ends right after its first line, before the file is even open (a short CLI command, a crash).
  log.info({ category: 'orders' }, `${who} first and last`);
  process.exit(0);
}
writeFileSync(path.join(dir, `ready-${who}`), '');
while (!existsSync(path.join(dir, 'go'))) await new Promise((r) => setTimeout(r, 5));
for (let i = 0; i < Number(n); i++) {
  log.info({ category: 'orders', i, pad: 'y'.repeat(2000) }, `${who} ${i}`);
  if (i % 50 === 49) await new Promise((r) => setImmediate(r));
}
await files.close();
