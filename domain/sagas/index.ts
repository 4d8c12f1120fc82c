export * from './saga';
export * from './fulfilment-events';
export * from './fulfilment-state';
export * from './fulfilment';
export * from './refund-events';
export * from './refund';
export * from './router';
