export * from './pipeline.ts';
export * from './processors/pipeline.processors.ts';
