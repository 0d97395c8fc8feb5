export * from './broker/sim-broker.ts';
export * from './feeds/replay-feed.ts';
export * from './runtime.ts';
export * from './import/parse-bar-csv.ts';
