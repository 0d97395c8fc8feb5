// Runs the console and the workers side by side for `npm start`: prefixed output, a readiness wait on
// /api/health, SIGTERM to both on Ctrl-C, and both stopped when either exits on its own — except the workers'
// memory-ceiling exit (75), after which that service alone is started again.
import { spawn } from 'node:child_process';
import readline from 'node:readline';
import { dim } from './steps.mjs';

const HEALTH_TIMEOUT_MS = 180_000;
/** A worker process past its memory ceiling closes cleanly and exits with this (MEMORY_CEILING_EXIT_CODE in contracts). */
export const MEMORY_CEILING_EXIT_CODE = 75;
/** More restarts than this within RESTART_WINDOW_MS means the ceiling is too low for the work: stop instead. */
const MAX_RESTARTS = 5;
const RESTART_WINDOW_MS = 10 * 60_000;
const STOP_GRACE_MS = 35_000; // the workers allow themselves 30 s to finish in-flight jobs
// pnpm reports a script stopped by our SIGTERM as a failure ("<dir>:", ERR_PNPM_…, "Command failed with
// signal"); after a requested stop that is expected, and these lines would only alarm.
const PNPM_SIGTERM_REPORT = [/^\/.*:$/, /ERR_PNPM_RECURSIVE_RUN_FIRST_FAIL/, /^Command failed with signal "SIGTERM"$/];

/**
 * Each child gets its own process group (detached) so that a signal reaches the whole tree
 * (pnpm → sh → tsx/next → node) and not only pnpm, and so that the terminal's Ctrl-C reaches us alone:
 * we decide the order and wait for the group to be gone.
 */
function start(name, bin, args, env, cwd, isStopping) {
  const child = spawn(bin, args, { env, cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  for (const [from, to] of [[child.stdout, process.stdout], [child.stderr, process.stderr]]) {
    readline.createInterface({ input: from, crlfDelay: Infinity }).on('line', (line) => {
      if (!(isStopping() && PNPM_SIGTERM_REPORT.some((re) => re.test(line)))) to.write(`[${name}] ${line}\n`);
    });
  }
  const exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
    child.on('error', (error) => resolve({ code: null, signal: null, error }));
  });
  return { name, child, exited };
}

function groupAlive(pid) {
  try {
    process.kill(-pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

function signalGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

async function stopGroup({ child }) {
  if (!child.pid) return;
  signalGroup(child.pid, 'SIGTERM');
  const deadline = Date.now() + STOP_GRACE_MS;
  while (groupAlive(child.pid)) {
    if (Date.now() > deadline) {
      signalGroup(child.pid, 'SIGKILL');
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function waitForHealth(port, isStopping) {
  const url = `http://127.0.0.1:${port}/api/health`;
  const deadline = Date.now() + HEALTH_TIMEOUT_MS;
  while (!isStopping()) {
    try {
      await fetch(url, { signal: AbortSignal.timeout(2_000) });
      return true; // any HTTP status: the server is up and routing
    } catch {
      if (Date.now() > deadline) return false;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  return false;
}

/**
 * Starts every service and resolves with the exit code for the whole run: 0 after Ctrl-C/SIGTERM,
 * non-zero when a service exits by itself or the console never answers.
 */
export function supervise({ services, port, onReady }) {
  return new Promise((resolve) => {
    let stopping = false;
    const running = services.map((s) => start(s.name, s.bin, s.args, s.env, s.cwd, () => stopping));
    const stopAll = async (code, why) => {
      if (stopping) return;
      stopping = true;
      if (code === 0) console.log(dim(why));
      else console.error(why);
      await Promise.all(running.map(stopGroup));
      resolve(code);
    };
    // No "second Ctrl-C kills" shortcut: under `npm start` every Ctrl-C arrives twice (from the terminal and
    // forwarded by npm). A group that ignores SIGTERM is killed after STOP_GRACE_MS instead.
    const onSignal = (signal) => void stopAll(0, `${signal}: stopping the console and the workers (SIGTERM)…`);
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    const restarts = services.map(() => []);
    const watch = (i) => {
      const r = running[i];
      void r.exited.then(({ code, signal, error }) => {
        if (stopping) return;
        if (code === MEMORY_CEILING_EXIT_CODE) {
          const now = Date.now();
          restarts[i] = [...restarts[i].filter((t) => now - t < RESTART_WINDOW_MS), now];
          if (restarts[i].length <= MAX_RESTARTS) {
            console.error(`[${r.name}] passed its memory ceiling (exit ${code}): starting it again`);
            const s = services[i];
            running[i] = start(s.name, s.bin, s.args, s.env, s.cwd, () => stopping);
            return watch(i);
          }
          return void stopAll(1, `[${r.name}] passed its memory ceiling ${restarts[i].length} times in ${RESTART_WINDOW_MS / 60_000} min: stopping (raise WORKER_MEMORY_LIMIT_MB or the jobs' memory_mb)`);
        }
        const how = error ? `could not start (${error.message})` : signal ? `was killed by ${signal}` : `exited with code ${code}`;
        void stopAll(code || 1, `[${r.name}] ${how} unexpectedly: stopping the others`);
      });
    };
    running.forEach((_, i) => watch(i));
    void waitForHealth(port, () => stopping).then((ok) => {
      if (ok) onReady();
      else if (!stopping) void stopAll(1, `the console did not answer /api/health on port ${port} within ${HEALTH_TIMEOUT_MS / 1000} s`);
    });
  });
}
