import { Kafka, logLevel, type KafkaConfig, type RetryOptions } from 'kafkajs';
import { MongoClient, type MongoClientOptions } from 'mongodb';

/**
 * Client factories with bounded timeouts for the real servers (`npm run services:start`, docker compose, or any
 * broker/database given by env). A dead server must make an operation fail within seconds, never hang.
 */
type Env = Readonly<Record<string, string | undefined>>;

export class MissingServiceEnvError extends Error {
  constructor(readonly variable: string) {
    super(
      `${variable} is not set. Start real servers with "npm run services:start" and export the KAFKA_BROKERS / ` +
        `MONGODB_URL lines it prints (also in .cache/services/env), or run everything with "npm run test:services".`,
    );
    this.name = 'MissingServiceEnvError';
  }
}

export const requiredEnv = (variable: string, env: Env = process.env): string => {
  const value = env[variable]?.trim();
  if (value === undefined || value === '') throw new MissingServiceEnvError(variable);
  return value;
};

/** `KAFKA_BROKERS="host1:9092,host2:9092"` → `['host1:9092', 'host2:9092']`. */
export const kafkaBrokersFromEnv = (env: Env = process.env): string[] => {
  const brokers = requiredEnv('KAFKA_BROKERS', env)
    .split(',')
    .map((broker) => broker.trim())
    .filter((broker) => broker !== '');
  if (brokers.length === 0) throw new MissingServiceEnvError('KAFKA_BROKERS');
  return brokers;
};

export const mongoUrlFromEnv = (env: Env = process.env): string => requiredEnv('MONGODB_URL', env);

/** Bounded retries: ~1 + 5 attempts within about 10 s, so a dead broker surfaces as an error quickly. */
export const boundedKafkaRetry: RetryOptions = {
  retries: 5,
  initialRetryTime: 200,
  maxRetryTime: 3_000,
  factor: 0.2,
  multiplier: 2,
};

export const kafkaClientDefaults = {
  connectionTimeout: 3_000,
  requestTimeout: 10_000,
  enforceRequestTimeout: true,
  retry: boundedKafkaRetry,
  logLevel: logLevel.WARN,
} as const satisfies Partial<KafkaConfig>;

export interface KafkaFromEnvOptions extends Partial<KafkaConfig> {
  readonly env?: Env;
}

/** A kafkajs client for `$KAFKA_BROKERS` with bounded connection/request timeouts and retries. */
export const kafkaFromEnv = (options: KafkaFromEnvOptions = {}): Kafka => {
  const { env, ...overrides } = options;
  return new Kafka({
    clientId: 'commerce-engine',
    ...kafkaClientDefaults,
    ...overrides,
    brokers: overrides.brokers ?? kafkaBrokersFromEnv(env),
  });
};

export const mongoClientDefaults = {
  serverSelectionTimeoutMS: 5_000,
  connectTimeoutMS: 5_000,
  socketTimeoutMS: 30_000,
  waitQueueTimeoutMS: 10_000,
  appName: 'commerce-engine',
} as const satisfies MongoClientOptions;

/** A MongoClient for `url` with bounded server selection (5 s), connect and socket timeouts. */
export const mongoClient = (url: string, options: MongoClientOptions = {}): MongoClient =>
  new MongoClient(url, { ...mongoClientDefaults, ...options });

/** A MongoClient for `$MONGODB_URL` with bounded timeouts (see `mongoClient`). */
export const mongoFromEnv = (options: MongoClientOptions & { readonly env?: Env } = {}): MongoClient => {
  const { env, ...rest } = options;
  return mongoClient(mongoUrlFromEnv(env), rest);
};

/**
 * Rejects with `message` if `promise` has not settled within `ms` — for shutdown paths (disconnect, close) that
 * must not hang a test run when a server is gone.
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
