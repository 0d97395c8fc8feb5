export * from './auth.ts';
export * from './live-hub.ts';
export * from './root.ts';
export * from './server.ts';
export type { Context } from './trpc.ts';
