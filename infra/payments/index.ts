export * from './seeded-random';
export * from './simulated-provider';
