import { Kafka, logLevel, type KafkaConfig, type RetryOptions } from 'kafkajs';

/** Bounded retries: ~1 + 5 attempts within about 10 s, so a dead broker surfaces as an error quickly. */
export const boundedKafkaRetry: RetryOptions = {
  retries: 5,
  initialRetryTime: 200,
  maxRetryTime: 3_000,
  factor: 0.2,
  multiplier: 2,
};

/** Settings of every kafkajs client the adapters build from broker addresses: a dead broker fails within seconds. */
export const kafkaClientDefaults = {
  connectionTimeout: 3_000,
  requestTimeout: 10_000,
  enforceRequestTimeout: true,
  retry: boundedKafkaRetry,
  logLevel: logLevel.WARN,
} as const satisfies Partial<KafkaConfig>;

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

/**
 * Rejects with `message` if `promise` has not settled within `ms` — for shutdown paths (disconnect, close) that
 * must not hang when a server is gone.
 */
export const withTimeout = async <T>(promise: Promise<T>, ms: number, message: string): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`${message} (no answer within ${ms} ms)`));
    }, ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
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
