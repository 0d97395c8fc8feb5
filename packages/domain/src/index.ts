export * from './money.ts';
export * from './bars/validate-bar.ts';
export * from './strategy/ma-cross.ts';
export * from './risk/pre-trade.ts';
export * from './orders/order-state.ts';
export * from './portfolio/position.ts';
export * from './calendar/nyse.ts';
