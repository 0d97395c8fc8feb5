export * from './config.ts';
export * from './market.ts';
export * from './jobs.ts';
export * from './api.ts';
export * from './strategy.ts';
export * from './scanner.ts';
