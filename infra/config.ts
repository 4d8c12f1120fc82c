import { resolve } from 'node:path';

/** 12-factor configuration from environment variables; every problem is reported at once, by name. */
export type Scope = 'orders:write' | 'refunds:write' | 'inventory:write' | 'read' | 'admin';
export const scopes: readonly Scope[] = ['orders:write', 'refunds:write', 'inventory:write', 'read', 'admin'];

export interface ApiKey {
  readonly key: string;
  readonly scopes: ReadonlySet<Scope>;
}

export interface Config {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  readonly eventStore: 'sqlite' | 'eventstoredb';
  readonly sqlitePath: string;
  readonly sqliteSynchronous: 'NORMAL' | 'FULL';
  readonly eventStoreUrl: string | undefined;
  readonly readStore: 'sqlite' | 'mongodb';
  readonly readSqlitePath: string;
  readonly mongodbUrl: string | undefined;
  readonly mongodbDatabase: string;
  readonly bus: 'embedded' | 'kafka';
  readonly kafkaBrokers: readonly string[];
  /** prefix of the Kafka topics and consumer groups, to share a cluster between deployments */
  readonly kafkaTopicPrefix: string;
  /** longest wait of a read for X-Min-Position */
  readonly readWaitMs: number;
  /** events per projection batch */
  readonly projectionBatch: number;
  readonly apiKeys: readonly ApiKey[];
  readonly logLevel: string;
  readonly bodyLimit: string;
  readonly commandRetries: number;
  readonly shutdownGraceMs: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

const isLoopback = (host: string): boolean => host === '127.0.0.1' || host === 'localhost' || host === '::1';

/** `API_KEYS="k1=orders:write,read;k2=admin"` */
export const parseApiKeys = (raw: string, problems: string[]): ApiKey[] =>
  raw
    .split(';')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0)
    .flatMap((entry) => {
      const [key, list] = entry.split('=', 2);
      if (key === undefined || key.trim().length < 8 || list === undefined) {
        problems.push(`API_KEYS: entry "${entry.slice(0, 4)}…" must look like <key of 8+ chars>=<scope>[,<scope>]`);
        return [];
      }
      const granted = list.split(',').map((s) => s.trim());
      const unknown = granted.filter((s) => !scopes.includes(s as Scope));
      if (unknown.length > 0) {
        problems.push(`API_KEYS: unknown scope(s) ${unknown.join(', ')} (known: ${scopes.join(', ')})`);
        return [];
      }
      return [{ key: key.trim(), scopes: new Set(granted as Scope[]) }];
    });

const intIn = (env: Env, name: string, fallback: number, min: number, max: number, problems: string[]): number => {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    problems.push(`${name}: expected an integer in ${min}..${max}, got "${raw}"`);
    return fallback;
  }
  return value;
};

const oneOf = <T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T, problems: string[]): T => {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const found = allowed.find((a) => a === raw);
  if (found === undefined) problems.push(`${name}: expected one of ${allowed.join('|')}, got "${raw}"`);
  return found ?? fallback;
};

export const loadConfig = (env: Env = process.env): Config => {
  const problems: string[] = [];
  const host = env.HOST ?? '127.0.0.1';
  const dataDir = resolve(env.DATA_DIR ?? './data');
  const eventStore = oneOf(env, 'EVENT_STORE', ['sqlite', 'eventstoredb'] as const, 'sqlite', problems);
  const apiKeys = parseApiKeys(env.API_KEYS ?? '', problems);
  if (eventStore === 'eventstoredb' && !env.EVENTSTORE_URL)
    problems.push('EVENTSTORE_URL: required when EVENT_STORE=eventstoredb');
  const readStore = oneOf(env, 'READ_STORE', ['sqlite', 'mongodb'] as const, 'sqlite', problems);
  if (readStore === 'mongodb' && !env.MONGODB_URL) problems.push('MONGODB_URL: required when READ_STORE=mongodb');
  const bus = oneOf(env, 'BUS', ['embedded', 'kafka'] as const, 'embedded', problems);
  const kafkaBrokers = (env.KAFKA_BROKERS ?? '')
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b.length > 0);
  if (bus === 'kafka' && kafkaBrokers.length === 0) {
    problems.push('KAFKA_BROKERS: required when BUS=kafka (host:port[,host:port])');
  }
  // An open API on a reachable interface would let anyone place and refund orders.
  if (apiKeys.length === 0 && !isLoopback(host)) {
    problems.push(`HOST=${host} is not a loopback address and API_KEYS is empty: refusing to serve an open API`);
  }
  const config: Config = {
    host,
    port: intIn(env, 'PORT', 3000, 0, 65535, problems),
    dataDir,
    eventStore,
    sqlitePath: resolve(env.SQLITE_PATH ?? `${dataDir}/events.db`),
    sqliteSynchronous: oneOf(env, 'SQLITE_SYNCHRONOUS', ['NORMAL', 'FULL'] as const, 'NORMAL', problems),
    eventStoreUrl: env.EVENTSTORE_URL,
    readStore,
    readSqlitePath: resolve(env.READ_SQLITE_PATH ?? `${dataDir}/read.db`),
    mongodbUrl: env.MONGODB_URL,
    mongodbDatabase: env.MONGODB_DATABASE ?? 'commerce',
    bus,
    kafkaBrokers,
    kafkaTopicPrefix: env.KAFKA_TOPIC_PREFIX ?? '',
    readWaitMs: intIn(env, 'READ_WAIT_MS', 2_000, 0, 60_000, problems),
    projectionBatch: intIn(env, 'PROJECTION_BATCH', 500, 1, 10_000, problems),
    apiKeys,
    logLevel: oneOf(
      env,
      'LOG_LEVEL',
      ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const,
      'info',
      problems,
    ),
    bodyLimit: env.BODY_LIMIT ?? '64kb',
    commandRetries: intIn(env, 'COMMAND_RETRIES', 5, 0, 100, problems),
    shutdownGraceMs: intIn(env, 'SHUTDOWN_GRACE_MS', 10_000, 0, 600_000, problems),
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
};
