export * from './values';
export * from './promotion';
export * from './commands';
export * from './promotion-events';
export * from './coupon-events';
export * from './errors';
export * from './promotion-book';
export * from './coupon';
