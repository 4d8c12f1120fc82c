import { readFileSync } from 'node:fs';
import { BlockList, isIP } from 'node:net';
import * as E from 'fp-ts/Either';
import { parse as parseYaml } from 'yaml';
import { fieldErrors, ChannelId } from '../domain/shared';
import { profileProblem, type ChannelProfile } from '../domain/channels';
import { ChannelProfileBody } from '../commands/api/channel-requests';
import { FlowRules, defaultFlowRules, defaultKafkaFlowRules } from '../http/flow/rules';
import { resolve } from 'node:path';
import { scopes, type ApiKey, type Scope } from '../http/auth';

/** 12-factor configuration from environment variables; every problem is reported at once, by name. */
export interface Config {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  readonly eventStore: 'sqlite' | 'eventstoredb' | 'postgres';
  readonly sqlitePath: string;
  readonly sqliteSynchronous: 'NORMAL' | 'FULL';
  readonly eventStoreUrl: string | undefined;
  readonly readStore: 'sqlite' | 'mongodb' | 'postgres';
  readonly readSqlitePath: string;
  readonly mongodbUrl: string | undefined;
  readonly mongodbDatabase: string;
  /** PostgreSQL (READ_STORE=postgres and EVENT_STORE=postgres), e.g. `postgres://user@127.0.0.1:5432/commerce` */
  readonly postgresUrl: string | undefined;
  /** the schema of the read-model tables on PostgreSQL */
  readonly postgresReadSchema: string;
  /** the schema of the event store's tables on PostgreSQL (events, commands, checkpoints, log head) */
  readonly postgresEventSchema: string;
  readonly bus: 'embedded' | 'kafka';
  readonly kafkaBrokers: readonly string[];
  /** prefix of the Kafka topics and consumer groups, to share a cluster between deployments */
  readonly kafkaTopicPrefix: string;
  /**
   * KAFKA_SESSION_TIMEOUT_MS: how long a consumer (projector, saga runner) may be silent before its group hands its
   * partitions to the others, so how long a SIGKILLed one holds them up; the broker allows 6 s to 5 min by default
   */
  readonly kafkaSessionTimeoutMs: number;
  /**
   * KAFKA_PARTITIONS_CONCURRENTLY: partition batches a projector or saga runner handles at once (each partition stays
   * in order). Their handlers wait on the stores, so one at a time leaves every other partition waiting behind one
   * round trip
   */
  readonly kafkaPartitionsConcurrently: number;
  /**
   * PROJECTOR_GROUPS: `shared` (default): a projector consumes for every read model through one consumer group, so
   * each event is fetched and decoded once; `each`: one group per read model, so a slow one never holds back the others
   */
  readonly projectorGroups: 'shared' | 'each';
  /**
   * KAFKA_PARTITIONS and KAFKA_REPLICATION_FACTOR: of the centre topics the engine creates when they are missing
   * (existing topics are left as they are); the partition count is the most consumers of a group that share the work
   */
  readonly kafkaPartitions: number;
  readonly kafkaReplicationFactor: number;
  /** longest wait of a read for X-Min-Position */
  readonly readWaitMs: number;
  /** events per projection batch */
  readonly projectionBatch: number;
  readonly apiKeys: readonly ApiKey[];
  readonly logLevel: string;
  readonly bodyLimit: string;
  readonly commandRetries: number;
  readonly shutdownGraceMs: number;
  /**
   * `serve`: `split` runs the sagas and projections in a child process beside the command and read API (both cores),
   * `single` runs everything on one event loop. An in-memory event store is always single.
   */
  readonly engineLayout: 'split' | 'single';
  /** admission rules at the command and read API (`FLOW_RULES` file, else the defaults); undefined: FLOW_CONTROL=off */
  readonly flowRules: FlowRules | undefined;
  /** the file rules come from, where `PUT /v1/admin/flow-rules` keeps replaced rules for the next start */
  readonly flowRulesPath: string | undefined;
  /**
   * Channel profiles from the `CHANNELS` file (id → profile), defined in the channel book when a command API starts
   * (each one absent or different); undefined: no file, the book holds what was defined before (or nothing).
   */
  readonly channels: ReadonlyMap<ChannelId, ChannelProfile> | undefined;
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

/** 127.0.0.0/8, ::1 (any spelling), IPv4-mapped ::ffff:127.x.y.z and `localhost`: reachable from this machine only. */
export const isLoopback = (host: string): boolean => {
  if (host.toLowerCase() === 'localhost') return true;
  const family = isIP(host);
  // BlockList matches an IPv4-mapped IPv6 address against the IPv4 subnet
  return family !== 0 && loopback.check(host, family === 4 ? 'ipv4' : 'ipv6');
};

const minKeyLength = 8;

/**
 * `API_KEYS="k1=orders:write,read;k2=admin;k3=orders:write@mall|app"`: after `@`, the channels the key's orders may go
 * through (`|`-separated; none: any). Problems name the entry by position and its first characters only.
 */
export const parseApiKeys = (raw: string, problems: string[]): ApiKey[] =>
  raw
    .split(';')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0)
    .flatMap((entry, index) => {
      const at = `API_KEYS: entry ${index + 1} ("${entry.slice(0, 3)}…")`;
      // the last "=": scopes never contain one, a base64 key may end in padding
      const separator = entry.lastIndexOf('=');
      if (separator < 0) {
        problems.push(`${at} has no "=": expected <key>=<scope>[,<scope>]`);
        return [];
      }
      const key = entry.slice(0, separator).trim();
      const [grants = '', channelList, ...extra] = entry.slice(separator + 1).split('@');
      const channels =
        channelList === undefined
          ? undefined
          : channelList
              .split('|')
              .map((c) => c.trim())
              .filter((c) => c.length > 0);
      const granted = grants
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0);
      const unknown = granted.filter((s) => !scopes.includes(s as Scope));
      const before = problems.length;
      if (key.length < minKeyLength) {
        problems.push(`${at}: the key has ${key.length} characters, at least ${minKeyLength} are required`);
      }
      if (granted.length === 0) problems.push(`${at}: no scopes after "=" (known: ${scopes.join(', ')})`);
      if (unknown.length > 0) {
        problems.push(`${at}: unknown scope(s) ${unknown.join(', ')} (known: ${scopes.join(', ')})`);
      }
      if (extra.length > 0) problems.push(`${at}: more than one "@": expected <scopes>@<channel>[|<channel>]`);
      if (channels !== undefined) {
        if (channels.length === 0) problems.push(`${at}: no channels after "@"`);
        const invalid = channels.filter((c) => !ChannelId.is(c));
        if (invalid.length > 0) {
          problems.push(`${at}: invalid channel id(s) ${invalid.map((c) => JSON.stringify(c)).join(', ')}`);
        }
      }
      return problems.length > before
        ? []
        : [
            {
              key,
              scopes: new Set(granted as Scope[]),
              ...(channels === undefined ? {} : { channels: new Set(channels) }),
            },
          ];
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

/**
 * FLOW_CONTROL=on|off and the FLOW_RULES file (JSON or YAML), decoded; each problem names its field. Without a file,
 * the defaults of the bus the command API sheds by.
 */
const flowRulesOf = (env: Env, bus: Config['bus'], problems: string[]): Pick<Config, 'flowRules' | 'flowRulesPath'> => {
  const enabled = oneOf(env, 'FLOW_CONTROL', ['on', 'off'] as const, 'on', problems) === 'on';
  const path = env.FLOW_RULES === undefined || env.FLOW_RULES === '' ? undefined : resolve(env.FLOW_RULES);
  if (!enabled) return { flowRules: undefined, flowRulesPath: path };
  if (path === undefined) {
    return { flowRules: bus === 'kafka' ? defaultKafkaFlowRules : defaultFlowRules, flowRulesPath: undefined };
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(readFileSync(path, 'utf8'));
  } catch (error) {
    problems.push(`FLOW_RULES: cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`);
    return { flowRules: undefined, flowRulesPath: path };
  }
  const decoded = FlowRules.decode(parsed);
  if (E.isLeft(decoded)) {
    problems.push(
      `FLOW_RULES (${path}): ${fieldErrors(decoded.left)
        .map((e) => `${e.field} ${e.message}`)
        .join('; ')}`,
    );
    return { flowRules: undefined, flowRulesPath: path };
  }
  return { flowRules: decoded.right, flowRulesPath: path };
};

/** The CHANNELS file (JSON or YAML): a map of channel id → profile, each checked as `PUT /v1/admin/channels/{id}` would. */
const channelsOf = (env: Env, problems: string[]): Config['channels'] => {
  const raw = env.CHANNELS;
  if (raw === undefined || raw === '') return undefined;
  const path = resolve(raw);
  let parsed: unknown;
  try {
    parsed = parseYaml(readFileSync(path, 'utf8'));
  } catch (error) {
    problems.push(`CHANNELS: cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`);
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    problems.push(`CHANNELS (${path}): expected a map of channel id to profile`);
    return undefined;
  }
  const channels = new Map<ChannelId, ChannelProfile>();
  for (const [id, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (!ChannelId.is(id)) {
      problems.push(`CHANNELS (${path}): ${JSON.stringify(id)} is not a valid channel id`);
      continue;
    }
    const decoded = ChannelProfileBody.decode(value);
    if (E.isLeft(decoded)) {
      const why = fieldErrors(decoded.left)
        .map((e) => `${e.field} ${e.message}`)
        .join('; ');
      problems.push(`CHANNELS (${path}): ${id}: ${why}`);
      continue;
    }
    const rule = profileProblem(decoded.right);
    if (rule !== undefined) {
      problems.push(`CHANNELS (${path}): ${id}: ${rule.message}`);
      continue;
    }
    channels.set(id, decoded.right);
  }
  return channels;
};

export const loadConfig = (env: Env = process.env): Config => {
  const problems: string[] = [];
  const host = env.HOST ?? '127.0.0.1';
  const dataDir = resolve(env.DATA_DIR ?? './data');
  const eventStore = oneOf(env, 'EVENT_STORE', ['sqlite', 'eventstoredb', 'postgres'] as const, 'sqlite', problems);
  const problemsBeforeKeys = problems.length;
  const apiKeys = parseApiKeys(env.API_KEYS ?? '', problems);
  const apiKeysInvalid = problems.length > problemsBeforeKeys;
  if (eventStore === 'eventstoredb' && !env.EVENTSTORE_URL)
    problems.push('EVENTSTORE_URL: required when EVENT_STORE=eventstoredb');
  if (eventStore === 'postgres' && !env.POSTGRES_URL) problems.push('POSTGRES_URL: required when EVENT_STORE=postgres');
  const postgresEventSchema = env.POSTGRES_EVENT_SCHEMA ?? 'event_store';
  if (!/^[a-z_][a-z0-9_]{0,50}$/.test(postgresEventSchema)) {
    problems.push(
      `POSTGRES_EVENT_SCHEMA: expected a lowercase identifier ([a-z_][a-z0-9_]*, at most 51), got "${postgresEventSchema}"`,
    );
  }
  const readStore = oneOf(env, 'READ_STORE', ['sqlite', 'mongodb', 'postgres'] as const, 'sqlite', problems);
  if (readStore === 'mongodb' && !env.MONGODB_URL) problems.push('MONGODB_URL: required when READ_STORE=mongodb');
  if (readStore === 'postgres' && !env.POSTGRES_URL) problems.push('POSTGRES_URL: required when READ_STORE=postgres');
  const postgresReadSchema = env.POSTGRES_READ_SCHEMA ?? 'read_models';
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(postgresReadSchema)) {
    problems.push(
      `POSTGRES_READ_SCHEMA: expected a lowercase identifier ([a-z_][a-z0-9_]*), got "${postgresReadSchema}"`,
    );
  }
  const bus = oneOf(env, 'BUS', ['embedded', 'kafka'] as const, 'embedded', problems);
  const kafkaBrokers = (env.KAFKA_BROKERS ?? '')
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b.length > 0);
  if (bus === 'kafka' && kafkaBrokers.length === 0) {
    problems.push('KAFKA_BROKERS: required when BUS=kafka (host:port[,host:port])');
  }
  // An open API on a reachable interface would let anyone place and refund orders. When API_KEYS is set but
  // invalid, its own problems say why; "API_KEYS is empty" would mislead.
  if (apiKeys.length === 0 && !apiKeysInvalid && !isLoopback(host)) {
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
    postgresUrl: env.POSTGRES_URL,
    postgresReadSchema,
    postgresEventSchema,
    bus,
    kafkaBrokers,
    kafkaTopicPrefix: env.KAFKA_TOPIC_PREFIX ?? '',
    kafkaSessionTimeoutMs: intIn(env, 'KAFKA_SESSION_TIMEOUT_MS', 30_000, 6_000, 300_000, problems),
    kafkaPartitionsConcurrently: intIn(env, 'KAFKA_PARTITIONS_CONCURRENTLY', 16, 1, 1_000, problems),
    projectorGroups: oneOf(env, 'PROJECTOR_GROUPS', ['shared', 'each'] as const, 'shared', problems),
    kafkaPartitions: intIn(env, 'KAFKA_PARTITIONS', 6, 1, 10_000, problems),
    kafkaReplicationFactor: intIn(env, 'KAFKA_REPLICATION_FACTOR', 1, 1, 32, problems),
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
    engineLayout: oneOf(env, 'ENGINE_LAYOUT', ['split', 'single'] as const, 'split', problems),
    ...flowRulesOf(env, bus, problems),
    channels: channelsOf(env, problems),
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
};
