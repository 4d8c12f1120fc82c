export * from './values';
export * from './commands';
export * from './events';
export * from './errors';
export * from './state';
export * from './decider';
export * from './shipments';
