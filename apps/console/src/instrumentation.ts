// Runs once when the console's Node server starts (Next's instrumentation hook, before any request). It hands
// server.mjs the fast path for the hot cached lists (packages/api/src/fast-api.ts) — made here, inside Next's build,
// so it shares this build's code and the one ConsoleServer (getConsoleServer) with the route handlers and pages.
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== 'nodejs') return;
  const { createFastApi, getConsoleServer } = await import('@ai-trader/api');
  (globalThis as { __aiTraderFastApi?: unknown }).__aiTraderFastApi = createFastApi(() => getConsoleServer());
}
