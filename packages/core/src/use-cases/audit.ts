// The audit trail's use-cases: the hash chain and its verification, and the reads of the page and the CLI.
export * from './audit-chain.ts';
export * from './audit-view.ts';
