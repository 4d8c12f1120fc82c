import { expect } from 'chai';
import { ConfigError, loadConfig } from '../infra/config';

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
      EVENT_STORE: 'postgres',
      API_KEYS: 'short=read;long-enough-key=superuser',
    });
    expect(problems.join('\n'))
      .to.match(/PORT/)
      .and.match(/EVENT_STORE/)
      .and.match(/API_KEYS: entry/)
      .and.match(/unknown scope\(s\) superuser/);
  });

  it('requires EVENTSTORE_URL for the EventStoreDB adapter', () => {
    expect(problemsOf({ EVENT_STORE: 'eventstoredb' })).to.deep.equal([
      'EVENTSTORE_URL: required when EVENT_STORE=eventstoredb',
    ]);
  });
});
