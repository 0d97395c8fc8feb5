// `ai-trader trade --mode paper|live-sim`: the workers in the foreground, as `npm start` runs them, with the broker
// and feed the mode implies. paper: Alpaca's paper account (stored or environment keys, tried first) and live bars;
// live-sim: the simulated broker and the replayed bars. SIGINT/SIGTERM stop them cleanly (active jobs finish).
import type { ChildProcess } from 'node:child_process';
import type { TConfig } from '@ai-trader/contracts';
import { checkApis, getTradingState, keys, type Deps } from '@ai-trader/core';
import { Option, type Command } from 'commander';
import { paint } from '../colour.ts';
import { CliError, createContext } from '../context.ts';
import { SupervisedWorkers } from '../worker-process.ts';

type Mode = 'paper' | 'live-sim';

/** Alpaca's live (real money) REST host: paper mode never trades there. */
const ALPACA_LIVE_HOST = 'api.alpaca.markets';
const START_TIMEOUT_MS = 90_000;
const PAPER_NEEDS_KEYS = 'paper trading needs Alpaca paper keys: add them (ai-trader keys add --provider alpaca, then keys rotate) or set ALPACA_KEY_ID and ALPACA_SECRET_KEY';

/**
 * The workers' environment: this process's, with what the mode decides. Read from process.env on purpose — it is
 * handed to a child process, which parses it once at its start-up like any other process.
 */
function modeEnv(mode: Mode, env: NodeJS.ProcessEnv): { env: NodeJS.ProcessEnv; notes: string[] } {
  const notes: string[] = [];
  if (mode === 'live-sim') return { env: { ...env, BROKER: 'sim', FEED: 'replay' }, notes };
  // Paper orders go to Alpaca at today's prices: replayed history would trade on old bars.
  const feed = env.FEED === 'synthetic' || env.FEED === 'polygon' ? env.FEED : 'polygon';
  if (env.FEED === 'replay') notes.push('FEED=replay is not used: paper trading needs live bars (polygon), or synthetic ones for a dry run');
  return { env: { ...env, BROKER: 'alpaca', FEED: feed }, notes };
}

function describeFeed(c: TConfig): string {
  if (c.FEED === 'replay')
    return `replay of ${c.REPLAY_SYMBOLS.join(', ')} at ${c.REPLAY_SPEED}× (${c.REPLAY_PACING} pacing, ${c.REPLAY_SESSION} session${c.REPLAY_START ? `, from ${c.REPLAY_START}` : ''}${c.REPLAY_LOOP ? ', looping' : ''}) from ${c.REPLAY_DATA_DIR}`;
  if (c.FEED === 'synthetic') return `synthetic bars of ${c.FEED_SYMBOLS.join(', ')} (seed ${c.SYNTHETIC_SEED})`;
  return `polygon live minute bars of ${c.FEED_SYMBOLS.join(', ')} (${c.POLYGON_STREAM_URL})`;
}

/** The keys in use must answer before anything starts: a refused key is one line here, not a crash loop later. */
async function paperPreflight(deps: Deps): Promise<string> {
  const c = deps.config;
  if (new URL(c.ALPACA_BASE_URL).hostname === ALPACA_LIVE_HOST)
    throw new CliError(`paper mode refuses ALPACA_BASE_URL=${c.ALPACA_BASE_URL}: that is Alpaca's live (real money) endpoint; paper trading uses https://paper-api.alpaca.markets`);
  const apis = await checkApis(deps);
  const alpaca = apis.checks.find((x) => x.provider === 'alpaca');
  if (!alpaca || alpaca.source === 'none') throw new CliError(PAPER_NEEDS_KEYS);
  const failed = apis.checks.filter((x) => !x.ok);
  if (failed.length) throw new CliError(`not starting: ${failed.map((x) => `${x.provider} key ${x.masked ?? '(none)'}: ${x.detail}`).join('; ')}`);
  const account = await deps.broker.account?.();
  const money = account ? `; account equity ${account.equity ?? '?'}, cash ${account.cash}, buying power ${account.buyingPower}` : '';
  return `alpaca paper at ${c.ALPACA_BASE_URL}, key ${alpaca.masked} (${alpaca.source})${money}`;
}

async function heartbeatRoles(deps: Pick<Deps, 'redis' | 'config'>, pid?: number): Promise<{ roles: string[]; processes: number }> {
  const found = await deps.redis.keys(keys(deps.config.REDIS_PREFIX).heartbeatPattern); // one key per role and process
  // key = <prefix>:hb:<role>:<host>-<pid>-<random>
  const parsed = found.map((k) => ({ role: k.split(':')[2]!, process: k.split(':').slice(3).join(':') }));
  const mine = pid === undefined ? parsed : parsed.filter((p) => p.process.split('-').at(-2) === String(pid));
  return { roles: [...new Set(mine.map((p) => p.role))].sort(), processes: new Set(mine.map((p) => p.process)).size };
}

export function registerTrade(program: Command) {
  program
    .command('trade')
    .description('start the workers in the foreground with the broker and feed of a mode; Ctrl-C or SIGTERM stops them cleanly')
    .addOption(new Option('--mode <mode>', 'paper: Alpaca paper account and live bars (polygon; FEED=synthetic for a dry run); live-sim: simulated broker and replayed bars').choices(['paper', 'live-sim']).makeOptionMandatory())
    .action(async (o: { mode: Mode }) => {
      const { env, notes } = modeEnv(o.mode, process.env);
      // No key in the environment and no way to open stored ones: say what paper trading needs (the configuration's
      // own complaint would name one variable).
      if (o.mode === 'paper' && !env.ALPACA_KEY_ID && !env.KEYS_ENCRYPTION_KEYS) throw new CliError(PAPER_NEEDS_KEYS);
      // The workers get this configuration as parsed here (a bad value is one line, exit 2), with paths resolved
      // from where the operator stands rather than from the workers' directory.
      const c = createContext(env);
      const config = c.config;
      let closed = false;
      const close = async () => {
        if (!closed) await c.close();
        closed = true;
      };
      env.REPLAY_DATA_DIR = config.REPLAY_DATA_DIR;
      let child: ChildProcess;
      let started: { roles: string[] };
      try {
        const { deps } = c.runtime();
        const broker = o.mode === 'paper'
          ? await paperPreflight(deps)
          : `sim (books in Postgres${config.SIM_SLIPPAGE_BPS ? `, ${config.SIM_SLIPPAGE_BPS} bps slippage` : ''})`;
        const state = await getTradingState(deps.prisma);
        const others = await heartbeatRoles(deps);
        console.log(paint.bold(`trade --mode ${o.mode}`));
        for (const n of notes) console.log(paint.yellow(`note: ${n}`));
        console.log(`  trading state  ${state.state === 'ACTIVE' ? paint.green(state.state) : paint.yellow(state.state)}${state.state === 'ACTIVE' ? '' : ` (${state.reason}): no order is sent until an admin resumes`}`);
        console.log(`  broker         ${broker}`);
        console.log(`  feed           ${describeFeed(config)}`);
        console.log(`  roles          ${config.WORKER_ROLES.join(', ')}`);
        if (others.processes) console.log(paint.yellow(`note: ${others.processes} worker process(es) already running (roles ${others.roles.join(', ')}); a second feed delivers the same bars again (ingest ignores duplicates)`));

        const workers = new SupervisedWorkers(env);
        child = workers.child;
        const exited = workers.exited();
        const stop = (signal: NodeJS.Signals) => {
          console.log(`${signal}: stopping the workers (active jobs finish first)…`);
          workers.stop(signal);
        };
        process.on('SIGINT', stop).on('SIGTERM', stop);
        // Started = the new process's heartbeat is in Redis (its workers and feed are up).
        const t0 = Date.now();
        started = { roles: [] };
        while (!started.roles.length) {
          const early = await Promise.race([exited, new Promise<null>((r) => setTimeout(() => r(null), 250))]);
          if (early !== null) throw new CliError(`the workers exited during start-up (exit code ${early}); see the lines above`);
          if (Date.now() - t0 > START_TIMEOUT_MS) {
            child.kill('SIGTERM');
            throw new CliError(`the workers gave no heartbeat within ${START_TIMEOUT_MS / 1000} s; stopped them`);
          }
          started = await heartbeatRoles(deps, child.pid);
        }
        console.log(paint.green(`✓ workers running: pid ${child.pid}, roles ${started.roles.join(', ')}; Ctrl-C or SIGTERM stops them cleanly`));
        await close(); // the workers hold their own connections; this process only waits now
        // Past its memory ceiling the process exits 75 and is started again; any other exit ends the command.
        const code = await workers.untilStopped((line) => console.log(paint.yellow(line)));
        process.off('SIGINT', stop).off('SIGTERM', stop);
        if (code !== 0) throw new CliError(`the workers stopped with exit code ${code}`);
        console.log(paint.green('✓ workers stopped cleanly'));
      } finally {
        await close();
      }
    });
}
