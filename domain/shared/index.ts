export * from './values';
export * from './money';
export * from './decider';
export * from './errors';
export * from './event-registry';
export * from './validation';
export * from './persistent-map';
export * from './constraints';
