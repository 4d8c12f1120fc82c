export * from './seeded-random';
export * from './simulated-provider';
export * from './http-provider';
export * from './provider-http-server';
