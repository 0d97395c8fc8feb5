// `ai-trader scheduler start|run-job NAME|status`: the scheduled jobs of ops/job-definitions.yaml. start runs the
// scheduler role's workers in the foreground (as `npm start` does among the others); run-job runs one job now after
// its dependencies and waits for it; status shows every job's schedule, next run, last result and failures.
import path from 'node:path';
import { ConfigFileError, DEFAULT_JOB_DEFINITIONS_FILE, loadJobDefinitions } from '@ai-trader/adapters';
import { MEMORY_CEILING_EXIT_CODE, type TJobDefinitions, type TJobRunView, type TScheduledJobView } from '@ai-trader/contracts';
import { keys, runsOf, schedulerStatus, SchedulerInputError, triggerJob, type Deps } from '@ai-trader/core';
import type { Command } from 'commander';
import { paint } from '../colour.ts';
import { CliError, cliActor, createContext, type CliContext } from '../context.ts';
import { withProgress } from '../progress.ts';
import { SupervisedWorkers } from '../worker-process.ts';

const START_TIMEOUT_MS = 90_000;
const DONE = new Set(['succeeded', 'failed', 'skipped']);

/** The definitions file (--file, else JOB_DEFINITIONS_FILE, else the repository's); a bad one is exit 2 with its line and reason. */
function definitions(file: string | undefined, configured: string | undefined): { file: string; definitions: TJobDefinitions } {
  try {
    return loadJobDefinitions(file ? path.resolve(file) : configured ?? DEFAULT_JOB_DEFINITIONS_FILE);
  } catch (e) {
    if (e instanceof ConfigFileError) throw new CliError(e.message, 2);
    throw e;
  }
}

async function schedulerProcesses(deps: Pick<Deps, 'redis' | 'config'>, pid?: number): Promise<number> {
  const found = await deps.redis.keys(`${keys(deps.config.REDIS_PREFIX).heartbeatPattern.slice(0, -1)}scheduler:*`);
  return pid === undefined ? found.length : found.filter((k) => k.split('-').at(-2) === String(pid)).length;
}

const ms = (n: number | null) => (n === null ? '–' : n < 1000 ? `${n} ms` : `${(n / 1000).toFixed(1)} s`);
const statusWord = (s: string) => (s === 'succeeded' ? paint.green(s) : s === 'failed' ? paint.red(s) : s === 'skipped' ? paint.yellow(s) : s);

function printStatus(rows: TScheduledJobView[]) {
  for (const r of rows) {
    const last = r.last ? `${statusWord(r.last.status)} ${r.last.finishedAt ?? r.last.queuedAt} (${ms(r.last.durationMs)}${r.last.reason ? `; ${r.last.reason}` : ''}${r.last.error ? `; ${r.last.error}` : ''})` : 'never run';
    console.log(`${paint.bold(r.name)}${r.enabled ? '' : paint.yellow(' (disabled)')}${r.paused ? paint.yellow(` paused: ${r.paused}`) : ''}  ${r.description}`);
    console.log(`  ${r.schedule}; market hours ${r.marketHours}; queue ${r.queue}${r.dependsOn.length ? `; after ${r.dependsOn.join(', ')}` : ''}`);
    console.log(`  next ${r.nextRun ?? '–'}; last ${last}; failures 24 h: ${r.failures24h ? paint.red(String(r.failures24h)) : 0}`);
  }
}

function printRuns(runs: TJobRunView[]) {
  for (const r of runs) console.log(`  ${r.job.padEnd(20)} ${statusWord(r.status).padEnd(9)} ${ms(r.durationMs).padStart(9)}  attempts ${r.attempts}${r.reason ? `  ${r.reason}` : ''}${r.error ? `  ${r.error}` : ''}`);
}

export function registerScheduler(program: Command, ctx: () => CliContext) {
  const cmd = program.command('scheduler').description('the scheduled jobs of ops/job-definitions.yaml: start the scheduler, run one job now, status');

  cmd
    .command('start')
    .description('check the job definitions, then run the scheduler (its trigger and task workers) in the foreground until Ctrl-C or SIGTERM')
    .option('--file <file>', 'job definitions (default: JOB_DEFINITIONS_FILE or ops/job-definitions.yaml)')
    .action(async (o: { file?: string }) => {
      // Its own context (not the shared one main closes at exit): closed as soon as the workers are up, since
      // this process then only waits.
      const c = createContext();
      const { file, definitions: defs } = definitions(o.file, c.config.JOB_DEFINITIONS_FILE);
      const env = { ...process.env, WORKER_ROLES: 'scheduler', JOB_DEFINITIONS_FILE: file };
      const scheduled = Object.entries(defs).filter(([, d]) => d.enabled && (d.cron || d.every !== undefined));
      console.log(paint.bold('scheduler start'));
      console.log(`  definitions  ${file}: ${Object.keys(defs).length} job(s), ${scheduled.length} on a schedule`);
      let closed = false;
      const close = async () => {
        if (!closed) await c.close();
        closed = true;
      };
      const { deps } = c.runtime();
      const workers = new SupervisedWorkers(env);
      const stop = (signal: NodeJS.Signals) => {
        console.log(`${signal}: stopping the scheduler (active jobs finish first)…`);
        workers.stop(signal);
      };
      process.on('SIGINT', stop).on('SIGTERM', stop);
      try {
        const t0 = Date.now();
        while (!(await schedulerProcesses(deps, workers.child.pid))) {
          const early = await Promise.race([workers.exited(), new Promise<null>((r) => setTimeout(() => r(null), 250))]);
          if (early === MEMORY_CEILING_EXIT_CODE) break; // up, then past its ceiling at once: restarted below
          if (early !== null) throw new CliError(`the scheduler exited during start-up (exit code ${early}); see the lines above`);
          if (Date.now() - t0 > START_TIMEOUT_MS) {
            workers.stop('SIGTERM');
            throw new CliError(`the scheduler gave no heartbeat within ${START_TIMEOUT_MS / 1000} s; stopped it`);
          }
        }
        console.log(paint.green(`✓ scheduler running: pid ${workers.child.pid}; Ctrl-C or SIGTERM stops it cleanly`));
        console.log(`  jobs         ${scheduled.map(([n]) => n).join(', ') || '(none on a schedule)'}`);
        await close(); // the workers hold their own connections; this process only waits now
        const code = await workers.untilStopped((line) => console.log(paint.yellow(line)));
        if (code !== 0) throw new CliError(`the scheduler stopped with exit code ${code}`);
        console.log(paint.green('✓ scheduler stopped cleanly'));
      } finally {
        process.off('SIGINT', stop).off('SIGTERM', stop);
        await close();
      }
    });

  cmd
    .command('run-job')
    .argument('<name>', 'a job of the definitions file, e.g. data_backfill')
    .description('run one job now, after its dependencies (each once); market hours are not applied, HALT is for jobs that trade. Waits and exits 1 if it failed or was skipped')
    .option('--file <file>', 'job definitions (default: JOB_DEFINITIONS_FILE or ops/job-definitions.yaml)')
    .option('--no-wait', 'queue it and return at once')
    .option('--json', 'print JSON')
    .action(async (name: string, o: { file?: string; wait: boolean; json?: boolean }) => {
      const c = ctx();
      const { definitions: defs } = definitions(o.file, c.config.JOB_DEFINITIONS_FILE);
      if (!defs[name]) throw new CliError(`no scheduled job named ${name}; jobs: ${Object.keys(defs).sort().join(', ')}`, 2);
      const { deps } = c.runtime();
      // Nothing would take the jobs: say so now rather than wait for ever.
      if (o.wait && !(await schedulerProcesses(deps))) throw new CliError('no scheduler is running: start one with `ai-trader scheduler start` (or `npm start`), or pass --no-wait to queue the job for it');
      const t = await triggerJob(deps, defs, name, { trigger: 'manual', requestedBy: cliActor().email }).catch((e: unknown) => {
        if (e instanceof SchedulerInputError) throw new CliError(e.message, 2);
        throw e;
      });
      if (t.status === 'skipped') {
        if (o.json) console.log(JSON.stringify(t, null, 2));
        throw new CliError(`${name} not run: ${t.reason}`);
      }
      if (!o.wait) {
        if (o.json) return console.log(JSON.stringify(t, null, 2));
        return console.log(`queued ${t.runs.map((r) => r.job).join(' → ')} (run ${t.runId})`);
      }
      const runs = await withProgress(`${name}`, async (onProgress) => {
        for (;;) {
          const now = await runsOf(deps, t.runId);
          const done = now.filter((r) => DONE.has(r.status)).length;
          const current = now.find((r) => r.status === 'running') ?? now.find((r) => r.status === 'queued');
          onProgress({ done, total: now.length, item: current ? `${current.job} ${current.status}` : 'done' });
          if (done === now.length) return now;
          await new Promise((r) => setTimeout(r, 250));
        }
      });
      const root = runs.find((r) => r.id === t.runId)!;
      if (o.json) console.log(JSON.stringify({ runId: t.runId, status: root.status, runs }, null, 2));
      else {
        console.log(`${name}: ${statusWord(root.status)}`);
        printRuns(runs);
      }
      if (root.status !== 'succeeded') throw new CliError(`${name} ${root.status}${root.reason ? `: ${root.reason}` : root.error ? `: ${root.error}` : ''}`);
    });

  cmd
    .command('status')
    .description('every scheduled job: schedule, market hours, next run, last result and duration, failures in 24 h, paused')
    .option('--file <file>', 'job definitions (default: JOB_DEFINITIONS_FILE or ops/job-definitions.yaml)')
    .option('--json', 'print JSON')
    .action(async (o: { file?: string; json?: boolean }) => {
      const c = ctx();
      const { file, definitions: defs } = definitions(o.file, c.config.JOB_DEFINITIONS_FILE);
      const { deps } = c.runtime();
      const [rows, running] = await Promise.all([schedulerStatus(deps, defs), schedulerProcesses(deps)]);
      if (o.json) return console.log(JSON.stringify({ file, schedulerProcesses: running, jobs: rows }, null, 2));
      console.log(`${file}: ${rows.length} job(s); ${running ? paint.green(`${running} scheduler process(es) running`) : paint.yellow('no scheduler running (ai-trader scheduler start)')}`);
      printStatus(rows);
    });
}
