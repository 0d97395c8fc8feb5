export * from './feature-set.ts';
export * from './feature-engine.ts';
