export * from './broker/sim-broker.ts';
export * from './feeds/replay-feed.ts';
export * from './runtime.ts';
export * from './import/parse-bar-csv.ts';
export * from './polygon/polygon-rest.ts';
export * from './polygon/polygon-stream.ts';
export { PolygonError, type PolygonErrorKind } from './polygon/polygon-error.ts';
export { polygonKeys, polygonKeyHash, type Usage } from './polygon/polygon-budget.ts';
export type { TNewsArticle } from './polygon/polygon-wire.ts';
