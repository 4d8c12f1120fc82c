export * from './profile';
export * from './commands';
export * from './events';
export * from './errors';
export * from './book';
export * from './placement';
