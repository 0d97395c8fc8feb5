export * from './scan-bars.ts';
export * from './statistics.ts';
export * from './layers.ts';
export * from './alerts.ts';
