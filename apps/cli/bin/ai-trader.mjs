#!/usr/bin/env node
// ai-trader: the operator runbook's verbs. Runs the TypeScript sources with tsx's loader in one child process
// (no tsx CLI in between: a second supervisor costs a second of start-up), passes SIGINT/SIGTERM/SIGHUP on to it
// (`ai-trader trade` stops cleanly when this process is signalled) and exits as it did.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), path.join(here, '../src/main.ts'), ...process.argv.slice(2)], { stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => {
  if (signal) {
    // Die of the same signal, so a shell or supervisor sees what happened.
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  } else process.exit(code ?? 1);
});
