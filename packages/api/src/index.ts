export * from './account-security.ts';
export * from './approvals.ts';
export * from './auth.ts';
export * from './http.ts';
export * from './users.ts';
export * from './live-hub.ts';
export * from './root.ts';
export * from './server.ts';
export type { Context } from './trpc.ts';
