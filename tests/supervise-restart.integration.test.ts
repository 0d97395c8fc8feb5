// `npm start`'s supervisor (scripts/lib/supervise.mjs) with two stand-in services: a "workers" that exits 75 (its
// memory ceiling) twice and then stays up, and a "console" answering /api/health. The workers are started again
// after each 75, the console is left alone, and SIGTERM still stops both (exit 0). Any other exit stops everything.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { until } from './helpers/processes.ts';

const root = path.resolve(import.meta.dirname, '..');

/** Counts its starts in a file; exits with `code` for the first `times` starts, then runs until SIGTERM. */
const workers = (file: string, code: number, times: number) => `
const fs = require('node:fs');
const n = (fs.existsSync(${JSON.stringify(file)}) ? Number(fs.readFileSync(${JSON.stringify(file)}, 'utf8')) : 0) + 1;
fs.writeFileSync(${JSON.stringify(file)}, String(n));
if (n <= ${times}) setTimeout(() => process.exit(${code}), 300);
else { setInterval(() => {}, 1000); process.on('SIGTERM', () => process.exit(0)); }`;

const consoleServer = (file: string, port: number) => `
const fs = require('node:fs');
fs.writeFileSync(${JSON.stringify(file)}, String((fs.existsSync(${JSON.stringify(file)}) ? Number(fs.readFileSync(${JSON.stringify(file)}, 'utf8')) : 0) + 1));
require('node:http').createServer((q, s) => s.end('ok')).listen(${port}, '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));`;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function runSupervisor(workersCode: string, consoleCode: string, port: number) {
  const services = [
    { name: 'workers', bin: process.execPath, args: ['-e', workersCode], env: process.env, cwd: root },
    { name: 'console', bin: process.execPath, args: ['-e', consoleCode], env: process.env, cwd: root },
  ];
  const main = `import(${JSON.stringify(path.join(root, 'scripts/lib/supervise.mjs'))}).then(({ supervise }) =>
    supervise({ services: ${JSON.stringify(services)}, port: ${port}, onReady: () => console.log('READY') }).then((code) => process.exit(code)));`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', main], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => out };
}

describe('npm start supervisor', () => {
  it('starts the workers again after a memory-ceiling exit (75), leaves the console running; SIGTERM stops both', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'supervise-'));
    const port = await freePort();
    const s = runSupervisor(workers(path.join(dir, 'workers'), 75, 2), consoleServer(path.join(dir, 'console'), port), port);
    try {
      await until('the workers to be started three times', async () => existsSync(path.join(dir, 'workers')) && readFileSync(path.join(dir, 'workers'), 'utf8') === '3', 30_000);
      await until('the console to answer', async () => s.output().includes('READY'), 30_000);
      expect(s.output().match(/\[workers\] passed its memory ceiling \(exit 75\): starting it again/g)).toHaveLength(2);
      expect(readFileSync(path.join(dir, 'console'), 'utf8')).toBe('1');
      s.child.kill('SIGTERM');
      expect(await s.exited).toBe(0);
    } finally {
      s.child.kill('SIGKILL');
    }
  });

  it('any other exit of the workers stops everything (exit code kept)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'supervise-'));
    const port = await freePort();
    const s = runSupervisor(workers(path.join(dir, 'workers'), 3, 1), consoleServer(path.join(dir, 'console'), port), port);
    try {
      expect(await s.exited).toBe(3);
      expect(s.output()).toContain('[workers] exited with code 3 unexpectedly: stopping the others');
      expect(readFileSync(path.join(dir, 'workers'), 'utf8')).toBe('1');
    } finally {
      s.child.kill('SIGKILL');
    }
  });
});
