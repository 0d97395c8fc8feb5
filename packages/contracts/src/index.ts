export * from './config.ts';
export * from './market.ts';
export * from './jobs.ts';
export * from './api.ts';
