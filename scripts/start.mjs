// `npm start`: everything from a fresh clone to a running demo — dependencies, Prisma client, demo secrets,
// Postgres/Redis preflight, migrations, seed, console build — then the console and the workers until Ctrl-C.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { appEnv, replayDataWarning } from './lib/app-env.mjs';
import { buildConsoleIfStale } from './lib/console-build.mjs';
import { buildBundles } from './lib/bundles.mjs';
import { pnpm } from './lib/pnpm.mjs';
import { preflight, prepare } from './lib/prepare.mjs';
import { demoSecrets } from './lib/secrets.mjs';
import { bold, fail, main, seconds, step } from './lib/steps.mjs';
import { supervise } from './lib/supervise.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Something else on the port would answer our health check and make a failed start look like success. */
function portInUse(port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port: Number(port) });
    socket.setTimeout(1_000);
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
    socket.once('error', () => resolve(false));
  });
}

function banner(env, sources) {
  const password =
    sources.DEMO_ADMIN_PASSWORD === 'environment'
      ? '(the value of DEMO_ADMIN_PASSWORD you set)'
      : `${env.DEMO_ADMIN_PASSWORD}   (kept in ${sources.DEMO_ADMIN_PASSWORD})`;
  const lines = [
    `ai-trader is running: ${env.PUBLIC_URL}`,
    `sign in as ${env.DEMO_ADMIN_EMAIL}`,
    `password   ${password}`,
    'Ctrl-C to stop',
  ];
  const width = Math.max(...lines.map((l) => l.length));
  const rule = '═'.repeat(width + 4);
  console.log(['', `╔${rule}╗`, ...lines.map((l) => `║  ${l.padEnd(width)}  ║`), `╚${rule}╝`, ''].map((l) => bold(l)).join('\n'));
}

await main(async () => {
  const tool = await prepare(root);

  let env;
  let sources;
  await step('demo secrets', () => {
    const secrets = demoSecrets(root);
    sources = secrets.sources;
    env = { ...appEnv(root, secrets.values), DEMO_ADMIN_PASSWORD: secrets.values.DEMO_ADMIN_PASSWORD };
    // SESSION_SECRET and KEYS_ENCRYPTION_KEYS are never printed, only where they came from.
    return { note: `SESSION_SECRET from ${sources.SESSION_SECRET}, DEMO_ADMIN_PASSWORD from ${sources.DEMO_ADMIN_PASSWORD}, KEYS_ENCRYPTION_KEYS from ${sources.KEYS_ENCRYPTION_KEYS}` };
  });
  const warning = replayDataWarning(env);
  if (warning) console.warn(`! ${warning}`);

  await preflight(root, tool, env);
  await step(`check port ${env.PORT} is free`, async () => {
    if (await portInUse(env.PORT)) fail(`port ${env.PORT} is already in use: stop what listens there or set PORT=…`);
  });
  await step('migrate the database', () =>
    pnpm(tool, ['exec', 'tsx', 'packages/db/src/migrate/cli.ts', 'deploy'], { cwd: root, env }),
  );
  await step('seed the demo admin', () => {
    if (!fs.existsSync(path.join(root, 'prisma/seed.ts'))) fail('prisma/seed.ts does not exist yet');
    return pnpm(tool, ['exec', 'tsx', 'prisma/seed.ts'], { cwd: root, env });
  });
  await step('build the console', () => buildConsoleIfStale(root, tool, env));
  await step('bundle the CLI and the workers', () => buildBundles(root, env));

  // The running services do not need the admin password; keep it out of their environment.
  const serviceEnv = { ...env };
  if (sources.DEMO_ADMIN_PASSWORD !== 'environment') delete serviceEnv.DEMO_ADMIN_PASSWORD;
  console.log(bold('▸ start the console and the workers'));
  const started = performance.now();
  const service = (name, filter) => ({ name, bin: tool.bin, args: ['--filter', filter, 'start'], env: serviceEnv, cwd: root });
  const code = await supervise({
    services: [service('workers', '@ai-trader/workers'), service('console', '@ai-trader/console')],
    port: env.PORT,
    onReady: () => {
      console.log(`✓ the console answered /api/health after ${seconds(performance.now() - started)}`);
      banner(env, sources);
    },
  });
  if (code !== 0) fail('stopped because a service failed (see above)', code);
  console.log('stopped cleanly');
});
