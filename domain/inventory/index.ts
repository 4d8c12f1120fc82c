export * from './commands';
export * from './events';
export * from './errors';
export * from './decider';
export * from './warehouses';
