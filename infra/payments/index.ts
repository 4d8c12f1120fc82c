export * from './payment-provider';
export * from './seeded-random';
export * from './simulated-provider';
export * from './resolve-payment';
