// The console's server-side singletons (runtime, auth, live hub), created once per process from the
// validated configuration. A bad configuration fails here with its one-line message.
import { parseConfig, type TConfig } from '@ai-trader/contracts';
import { bootstrapBooks } from '@ai-trader/core';
import { createRuntime, type Runtime } from '@ai-trader/adapters';
import { createAuth, type Auth } from './auth.ts';
import { LiveHub } from './live-hub.ts';

export interface ConsoleServer {
  config: TConfig;
  runtime: Runtime;
  auth: Auth;
  live: LiveHub;
  ready: Promise<void>;
}

const g = globalThis as unknown as { __aiTraderConsole?: ConsoleServer };

export function getConsoleServer(env: Record<string, string | undefined> = process.env): ConsoleServer {
  if (g.__aiTraderConsole) return g.__aiTraderConsole;
  const config = parseConfig(env);
  if (!config.SESSION_SECRET) throw new Error('Invalid configuration: SESSION_SECRET is required by the console (at least 32 characters; npm start creates one in .run/)');
  const runtime = createRuntime(config, { name: 'console' });
  const baseURL = config.PUBLIC_URL ?? `http://localhost:${config.PORT}`;
  const live = new LiveHub(config.REDIS_URL, config.REDIS_PREFIX);
  runtime.deps.events = live.telling(runtime.deps.events); // this console's own writes reach its caches at once
  const auth = createAuth({
    prisma: runtime.deps.prisma, secret: config.SESSION_SECRET, limits: config, baseURL, trustedOrigins: [baseURL, `http://127.0.0.1:${config.PORT}`, `http://localhost:${config.PORT}`],
    onSessionsEnded: () => runtime.deps.events.publish('session'),
  });
  const ready = bootstrapBooks(runtime.deps);
  g.__aiTraderConsole = { config, runtime, auth, live, ready };
  return g.__aiTraderConsole;
}
