import { Kafka, type KafkaConfig } from 'kafkajs';
import { MongoClient, type MongoClientOptions } from 'mongodb';
import { boundedKafkaRetry, kafkaClientDefaults, withTimeout } from '../../infra/kafka/client';

// The Kafka client settings live with the Kafka adapters (production code must not import this test harness);
// re-exported here for the specs and benches that build their clients from this module.
export { boundedKafkaRetry, kafkaClientDefaults, withTimeout };

/**
 * Client factories with bounded timeouts for the real servers (`npm run services:start`, docker compose, or any
 * broker/database given by env). A dead server must make an operation fail within seconds, never hang.
 */
type Env = Readonly<Record<string, string | undefined>>;

export class MissingServiceEnvError extends Error {
  constructor(readonly variable: string) {
    super(
      `${variable} is not set. Start real servers with "npm run services:start" and export the KAFKA_BROKERS / ` +
        `MONGODB_URL / POSTGRES_URL lines it prints (also in .cache/services/env), or run everything with "npm run test:services".`,
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

/** `$POSTGRES_URL`, e.g. `postgresql://postgres@127.0.0.1:5432/postgres` (what `services:start` prints). */
export const postgresUrlFromEnv = (env: Env = process.env): string => requiredEnv('POSTGRES_URL', env);

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
