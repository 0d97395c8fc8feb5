// Child processes for the start/test scripts: run a command with inherited output and turn a non-zero
// exit into a StepError naming the command, or capture a command's stdout.
import { spawn, spawnSync } from 'node:child_process';
import { StepError } from './steps.mjs';

/** Runs `cmd args…` with the terminal attached; resolves on exit 0, otherwise throws a StepError. */
export function run(cmd, args, { env = process.env, cwd, label = [cmd, ...args].join(' '), hint } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, cwd, stdio: 'inherit' });
    child.on('error', (error) => reject(new StepError(`${label}: could not start (${error.message})`)));
    child.on('exit', (code, signal) => {
      if (code === 0) return resolve();
      const how = signal ? `was stopped by ${signal}` : `exited with code ${code}`;
      reject(new StepError(`\`${label}\` ${how}${hint ? `. ${hint}` : ''}`, code || 1));
    });
  });
}

/** stdout of a short command, trimmed, or null when it cannot run or fails. */
export function capture(cmd, args, { env = process.env, cwd } = {}) {
  const res = spawnSync(cmd, args, { env, cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
  if (res.error || res.status !== 0) return null;
  return res.stdout.trim();
}
