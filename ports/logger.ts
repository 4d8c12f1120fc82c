/** The structured logger every layer writes to (pino's interface; infra/observability creates it). */
export type { Logger } from 'pino';
