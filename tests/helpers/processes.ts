// Test helpers for driving the product as separate processes: the ai-trader CLI, the workers process, and
// waiting on a condition. Children run asynchronously so servers living in the test process (fakes) keep answering.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../..');

/** Runs the CLI; `stdin` (if given) is written to it and closed (e.g. a password for --password-stdin). */
export function runCli(args: string[], env: Record<string, string | undefined>, stdin?: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [path.join(ROOT, 'apps/cli/bin/ai-trader.mjs'), ...args], { env: { ...process.env, ...env } });
    if (stdin !== undefined) c.stdin.end(stdin);
    let stdout = '', stderr = '';
    c.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    c.on('exit', (status) => resolve({ status, stdout, stderr }));
  });
}

export async function until(what: string, cond: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface WorkersProcess {
  child: ChildProcess;
  /** Resolves when the process has exited (code, or the signal that ended it) with everything it printed. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }>;
  output(): string;
}

/**
 * Starts the workers process (`node bin/workers.mjs` in workers/: the bundle or the sources under tsx, one process rather than the tsx
 * wrapper, so a SIGKILL hits the worker itself). `running` holds it until it exits, for an afterEach to kill.
 */
export function startWorkersProcess(env: Record<string, string | undefined>, running: Set<ChildProcess>): WorkersProcess {
  const child = spawn(process.execPath, ['bin/workers.mjs'], { cwd: path.join(ROOT, 'workers'), env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  running.add(child);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }>((resolve) =>
    child.on('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal, out });
    }),
  );
  return { child, exited, output: () => out };
}

/** SIGKILLs every process still in `running` and waits for them to exit. */
export async function killAll(running: Set<ChildProcess>): Promise<void> {
  await Promise.all([...running].map((c) => new Promise<void>((resolve) => {
    if (c.exitCode !== null || c.signalCode !== null) return resolve();
    c.once('exit', () => resolve());
    c.kill('SIGKILL');
  })));
}

/**
 * Starts the CLI as a long-running process (e.g. `trade`) through its bin, as an operator does. It leads its own
 * process group, so killGroup() also ends what it started (the CLI under the bin, the workers under the CLI) when a
 * test fails before stopping it cleanly.
 */
export function startCliProcess(args: string[], env: Record<string, string | undefined>): WorkersProcess & { killGroup(): Promise<void> } {
  const child = spawn(process.execPath, [path.join(ROOT, 'apps/cli/bin/ai-trader.mjs'), ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  let groupAlive = true;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, out })));
  return {
    child, exited, output: () => out,
    async killGroup() {
      if (!groupAlive || child.pid === undefined) return;
      groupAlive = false;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        return; // the whole group is gone already
      }
      await exited;
    },
  };
}
