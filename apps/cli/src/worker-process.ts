// The workers process under a CLI command (`trade`, `scheduler start`): started with the command's environment,
// signals passed on, and started again when it exits for its memory ceiling (exit 75) — any other exit ends it.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { MEMORY_CEILING_EXIT_CODE } from '@ai-trader/contracts';

// The workers' launcher: their bundle while it is fresh, the sources under tsx otherwise (workers/bin/workers.mjs).
const WORKERS_BIN = fileURLToPath(new URL('../../../workers/bin/workers.mjs', import.meta.url));
const WORKERS_DIR = fileURLToPath(new URL('../../../workers/', import.meta.url));
/** More restarts than this within RESTART_WINDOW_MS: the ceiling is too low for the work, not a leak; stop. */
const MAX_RESTARTS = 5;
const RESTART_WINDOW_MS = 10 * 60_000;

export class SupervisedWorkers {
  child: ChildProcess;
  private exit: Promise<number>;
  private stopping = false;
  private stopSignal: NodeJS.Signals | null = null;
  private restarts: number[] = [];

  constructor(private readonly env: NodeJS.ProcessEnv) {
    [this.child, this.exit] = this.spawn();
  }

  private spawn(): [ChildProcess, Promise<number>] {
    const child = spawn(process.execPath, [WORKERS_BIN], { cwd: WORKERS_DIR, env: this.env, stdio: 'inherit' });
    // Ended by the signal we sent (it came before the process set its handlers, mid-start): a requested stop, not a failure.
    return [child, new Promise<number>((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal && signal === this.stopSignal ? 0 : 1))))];
  }

  /** The current process's exit code (it may be restarted after). */
  exited(): Promise<number> {
    return this.exit;
  }

  stop(signal: NodeJS.Signals): void {
    this.stopping = true;
    this.stopSignal = signal;
    this.child.kill(signal);
  }

  /** Waits until the workers are gone for good: restarts them after a memory-ceiling exit; resolves with the last code. */
  async untilStopped(say: (line: string) => void): Promise<number> {
    for (;;) {
      const code = await this.exit;
      // Stopped while closing for its ceiling: it closed cleanly all the same.
      if (this.stopping) return code === MEMORY_CEILING_EXIT_CODE ? 0 : code;
      if (code !== MEMORY_CEILING_EXIT_CODE) return code;
      const now = Date.now();
      this.restarts = [...this.restarts.filter((t) => now - t < RESTART_WINDOW_MS), now];
      if (this.restarts.length > MAX_RESTARTS) {
        say(`the workers passed their memory ceiling ${this.restarts.length} times in ${RESTART_WINDOW_MS / 60_000} min: not restarting (raise WORKER_MEMORY_LIMIT_MB or the jobs' memory_mb)`);
        return code;
      }
      say(`the workers passed their memory ceiling (exit ${code}): starting them again`);
      [this.child, this.exit] = this.spawn();
    }
  }
}
