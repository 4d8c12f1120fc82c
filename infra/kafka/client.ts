import { Kafka } from 'kafkajs';
import { kafkaClientDefaults, withTimeout } from '../services/clients';

/** Either a ready kafkajs client (its settings are the caller's) or broker addresses (bounded timeouts are used). */
export interface KafkaConnectionOptions {
  readonly kafka?: Kafka;
  readonly brokers?: readonly string[];
  readonly clientId?: string;
}

export const kafkaClient = (options: KafkaConnectionOptions, defaultClientId: string): Kafka => {
  if (options.kafka !== undefined) return options.kafka;
  const brokers = options.brokers ?? [];
  if (brokers.length === 0) throw new RangeError('give either a kafkajs client (kafka) or broker addresses (brokers)');
  return new Kafka({ ...kafkaClientDefaults, clientId: options.clientId ?? defaultClientId, brokers: [...brokers] });
};

/** The subset of a pino logger the Kafka adapters use. */
export interface KafkaLogger {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

export const silentLogger: KafkaLogger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/** Shutdown must not hang when the broker is gone: give up after `ms` and report instead. */
export const settleWithin = async (
  what: string,
  promise: Promise<unknown>,
  ms: number,
  logger: KafkaLogger,
): Promise<void> => {
  try {
    await withTimeout(promise, ms, what);
  } catch (error) {
    logger.warn({ err: error }, `${what} failed`);
  }
};

export const toError = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms);
  });
