import { expect } from 'chai';
import { ConfigError, isLoopback, loadConfig } from '../app/config';

const problemsOf = (env: Record<string, string>): string[] => {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  return [];
};

describe('the configuration', () => {
  it('defaults to the embedded engine on loopback with no keys', () => {
    const config = loadConfig({});
    expect(config).to.include({ host: '127.0.0.1', port: 3000, eventStore: 'sqlite' });
    expect(config.sqlitePath).to.match(/data\/events\.db$/);
    expect(config.apiKeys).to.deep.equal([]);
  });

  it('refuses a non-loopback bind without API keys', () => {
    expect(problemsOf({ HOST: '0.0.0.0' }))
      .to.have.length(1)
      .and.to.match(/refusing to serve an open API/);
  });

  it('allows a non-loopback bind with API keys and parses their scopes', () => {
    const config = loadConfig({ HOST: '0.0.0.0', API_KEYS: 'k-123456789=orders:write,read; admin-12345=admin' });
    expect(config.apiKeys.map((k) => [k.key, [...k.scopes]])).to.deep.equal([
      ['k-123456789', ['orders:write', 'read']],
      ['admin-12345', ['admin']],
    ]);
  });

  it('names every bad variable at once', () => {
    const problems = problemsOf({
      PORT: 'eighty',
      EVENT_STORE: 'mysql',
      API_KEYS: 'short=read;long-enough-key=superuser',
    });
    expect(problems.join('\n'))
      .to.match(/PORT/)
      .and.match(/EVENT_STORE/)
      .and.match(/API_KEYS: entry/)
      .and.match(/unknown scope\(s\) superuser/);
  });

  it('scales Kafka consumers by partitions: defaults, and every bad value named', () => {
    const config = loadConfig({});
    expect(config).to.include({
      kafkaSessionTimeoutMs: 30_000,
      projectorGroups: 'shared',
      kafkaPartitions: 6,
      kafkaReplicationFactor: 1,
    });
    expect(loadConfig({ PROJECTOR_GROUPS: 'each', KAFKA_PARTITIONS: '24' })).to.include({
      projectorGroups: 'each',
      kafkaPartitions: 24,
    });
    const problems = problemsOf({
      KAFKA_SESSION_TIMEOUT_MS: '1000',
      PROJECTOR_GROUPS: 'some',
      KAFKA_PARTITIONS: '0',
      KAFKA_REPLICATION_FACTOR: 'three',
    }).join('\n');
    for (const name of [
      'KAFKA_SESSION_TIMEOUT_MS',
      'PROJECTOR_GROUPS',
      'KAFKA_PARTITIONS',
      'KAFKA_REPLICATION_FACTOR',
    ]) {
      expect(problems).to.match(new RegExp(name));
    }
  });

  describe('when API_KEYS is set', () => {
    // the example the README gives; keep the two in step
    const readmeExample =
      'change-me-shop-1=orders:write,refunds:write,read;change-me-ops-1=admin;change-me-scraper-1=metrics';

    it('accepts the README example, metrics scope included', () => {
      const config = loadConfig({ HOST: '0.0.0.0', API_KEYS: readmeExample });
      expect(config.apiKeys.map((k) => [...k.scopes])).to.deep.equal([
        ['orders:write', 'refunds:write', 'read'],
        ['admin'],
        ['metrics'],
      ]);
    });

    it('names a key that is too short, and does not add that API_KEYS is empty', () => {
      const problems = problemsOf({ HOST: '0.0.0.0', API_KEYS: 'key=orders:write,read;key2=admin' });
      expect(problems).to.deep.equal([
        'API_KEYS: entry 1 ("key…"): the key has 3 characters, at least 8 are required',
        'API_KEYS: entry 2 ("key…"): the key has 4 characters, at least 8 are required',
      ]);
    });

    it('names an entry without "=" or without scopes', () => {
      const problems = problemsOf({ API_KEYS: 'just-a-long-key;another-long-key=' });
      expect(problems).to.have.length(2);
      expect(problems[0]).to.match(/^API_KEYS: entry 1 \("jus…"\) has no "="/);
      expect(problems[1]).to.match(/^API_KEYS: entry 2 \("ano…"\): no scopes after "="/);
    });

    it('keeps the "=" padding of a base64 key in the key', () => {
      const config = loadConfig({ API_KEYS: 'c2VjcmV0LWtleQ==read' });
      expect(config.apiKeys.map((k) => k.key)).to.deep.equal(['c2VjcmV0LWtleQ=']);
    });

    it('still refuses a non-loopback bind when API_KEYS holds no entry at all', () => {
      expect(problemsOf({ HOST: '0.0.0.0', API_KEYS: ' ; ' }))
        .to.have.length(1)
        .and.to.match(/open API/);
    });
  });

  describe('when HOST is a loopback address', () => {
    for (const host of [
      '127.0.0.1',
      '127.0.0.2',
      '127.255.255.254',
      '::1',
      '0:0:0:0:0:0:0:1',
      'localhost',
      'LocalHost',
      '::ffff:127.0.0.2',
    ]) {
      it(`serves ${host} without API keys`, () => {
        expect(problemsOf({ HOST: host })).to.deep.equal([]);
      });
    }
  });

  it('counts as loopback nothing outside 127.0.0.0/8, ::1 and localhost', () => {
    for (const host of [
      '0.0.0.0',
      '::',
      '128.0.0.1',
      '10.0.0.1',
      '::ffff:10.0.0.1',
      '127.0.0.1.example.com',
      'localhost.example.com',
    ]) {
      expect(isLoopback(host), host).to.equal(false);
    }
  });

  it('requires EVENTSTORE_URL for the EventStoreDB adapter', () => {
    expect(problemsOf({ EVENT_STORE: 'eventstoredb' })).to.deep.equal([
      'EVENTSTORE_URL: required when EVENT_STORE=eventstoredb',
    ]);
  });

  it('requires POSTGRES_URL for the PostgreSQL event store, and puts its tables in event_store unless told', () => {
    expect(problemsOf({ EVENT_STORE: 'postgres' })).to.deep.equal(['POSTGRES_URL: required when EVENT_STORE=postgres']);
    const url = 'postgres://commerce@127.0.0.1:5432/commerce';
    expect(loadConfig({ EVENT_STORE: 'postgres', POSTGRES_URL: url })).to.include({
      eventStore: 'postgres',
      postgresUrl: url,
      postgresEventSchema: 'event_store',
    });
    expect(
      loadConfig({ EVENT_STORE: 'postgres', POSTGRES_URL: url, POSTGRES_EVENT_SCHEMA: 'shop_2_events' })
        .postgresEventSchema,
    ).to.equal('shop_2_events');
    expect(problemsOf({ EVENT_STORE: 'postgres', POSTGRES_URL: url, POSTGRES_EVENT_SCHEMA: 'Events!' }))
      .to.have.length(1)
      .and.to.match(/POSTGRES_EVENT_SCHEMA/);
    expect(problemsOf({ EVENT_STORE: 'postgres', READ_STORE: 'postgres' })).to.deep.equal([
      'POSTGRES_URL: required when EVENT_STORE=postgres',
      'POSTGRES_URL: required when READ_STORE=postgres',
    ]);
  });

  it('requires POSTGRES_URL for the PostgreSQL read store, and puts its tables in read_models unless told', () => {
    expect(problemsOf({ READ_STORE: 'postgres' })).to.deep.equal(['POSTGRES_URL: required when READ_STORE=postgres']);
    const url = 'postgres://commerce@127.0.0.1:5432/commerce';
    expect(loadConfig({ READ_STORE: 'postgres', POSTGRES_URL: url })).to.include({
      readStore: 'postgres',
      postgresUrl: url,
      postgresReadSchema: 'read_models',
    });
    expect(
      loadConfig({ READ_STORE: 'postgres', POSTGRES_URL: url, POSTGRES_READ_SCHEMA: 'shop_2' }).postgresReadSchema,
    ).to.equal('shop_2');
    expect(problemsOf({ READ_STORE: 'postgres', POSTGRES_URL: url, POSTGRES_READ_SCHEMA: 'Read-Models' }))
      .to.have.length(1)
      .and.to.match(/POSTGRES_READ_SCHEMA/);
  });
});
