export * from './pipeline.ts';
export * from './processors/pipeline.processors.ts';
export * from './pipeline-worker.ts';
