// The workers process: `WORKER_ROLES=all` (default) runs the feed and every pipeline stage.
// SIGTERM/SIGINT: stop the feed, let active jobs finish, close queues, Redis and Prisma, exit 0.
import { ConfigError, parseConfig } from '@ai-trader/contracts';
import { bootstrapBooks } from '@ai-trader/core';
import { AdapterUnavailableError, createRuntime } from '@ai-trader/adapters';
import { MEMORY_CEILING_EXIT_CODE } from './memory-watch.ts';
import { startWorkersMetrics } from './metrics-server.ts';
import { expandRoles, startPipeline } from './pipeline.ts';

async function main() {
  let config;
  try {
    config = parseConfig(process.env);
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(e.message);
      process.exit(2);
    }
    throw e;
  }
  const rt = createRuntime(config, { name: 'workers' });
  const log = rt.deps.logger;
  // Signals are ours from here on: one that comes during start-up (Node's default would kill the process between its
  // first heartbeat and a clean stop, leaving heartbeats and half-done jobs) is kept and acted on once started; the
  // 30 s limit below still applies.
  let onSignal: (signal: string) => void = (signal) => {
    log.info({ signal }, 'stop requested during start-up: stopping once started');
    setTimeout(() => {
      log.error('start-up and stop took longer than 30 s; exiting');
      process.exit(1);
    }, 30_000).unref();
    requested ??= signal;
  };
  let requested: string | null = null;
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));
  // A configured provider without any key (stored or in the environment) stops start-up here, in one line.
  await rt.credentials.check();
  await bootstrapBooks(rt.deps);
  const roles = expandRoles(config.WORKER_ROLES);
  // Before the pipeline: a port already taken stops start-up before any job is taken.
  const metrics = await startWorkersMetrics(rt, roles);
  const pipeline = await startPipeline(rt, roles);
  log.info({ roles, broker: config.BROKER, feed: config.FEED }, 'workers started');

  let stopping = false;
  const stop = async (signal: string, code = 0) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down: finishing active jobs');
    const force = setTimeout(() => {
      log.error('shutdown took longer than 30 s; exiting');
      process.exit(1);
    }, 30_000);
    force.unref();
    await pipeline.close();
    await metrics?.close();
    await rt.close();
    log.info('workers stopped cleanly');
    process.exit(code);
  };
  // Past the memory ceiling: the same clean stop, with the code that asks the supervisor for a restart.
  void pipeline.memoryExceeded.then(() => stop('memory ceiling', MEMORY_CEILING_EXIT_CODE));
  onSignal = (signal) => void stop(signal);
  if (requested) void stop(requested);
}

main().catch((e: unknown) => {
  if (e instanceof AdapterUnavailableError) console.error(e.message);
  else console.error('workers failed to start:', e instanceof Error ? e.message : e);
  process.exit(1);
});
