import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../../tools/services/paths';

/** The npm packages of the drivers for the stores and brokers the embedded engine does not use. */
const otherDrivers = /node_modules\/(kafkajs|mongodb|pg|@eventstore\/db-client)\//;

/**
 * Loads `serve` and its workers' modules in a fresh node, opens the SQLite stores through the same factories they
 * use, and answers the driver files that process loaded (ADR 0022).
 */
const driversLoadedByEmbeddedServe = (dataDir: string): string[] => {
  const script = `
    require('./app/runtime/serve');
    require('./app/runtime/split-engine');
    const { loadConfig } = require('./app/config');
    const { createLogger } = require('./infra/observability/logger');
    const { openEventStore } = require('./app/runtime/event-store');
    const { openReadStore } = require('./app/runtime/read-store');
    const { openSagaStateStore, openDeadLetterStore } = require('./app/runtime/saga-stores');
    const { loadSagaSettings } = require('./commands/sagas/config');
    const config = loadConfig();
    const logger = createLogger('error', 'test');
    const settings = loadSagaSettings(process.env, { dataDir: config.dataDir, inMemory: false });
    (async () => {
      const stores = [
        await openEventStore(config, logger),
        await openReadStore(config, logger),
        await openSagaStateStore(config, settings),
        await openDeadLetterStore(config, settings, { now: () => new Date() }),
      ];
      for (const store of stores) await store.close();
      const loaded = Object.keys(require.cache).filter((file) => ${otherDrivers.toString()}.test(file));
      process.stdout.write(JSON.stringify(loaded));
    })().catch((error) => { process.stderr.write(String(error && error.stack)); process.exitCode = 1; });
  `;
  const out = execFileSync(process.execPath, ['-r', 'tsx/cjs', '-e', script], {
    cwd: repoRoot(),
    env: { ...process.env, DATA_DIR: dataDir, EVENT_STORE: 'sqlite', READ_STORE: 'sqlite', LOG_LEVEL: 'error' },
    encoding: 'utf8',
  });
  return JSON.parse(out) as string[];
};

describe('the embedded engine on SQLite', function () {
  this.timeout(60_000);

  it('loads no Kafka, MongoDB, PostgreSQL or EventStoreDB driver, in serve or in its workers', () => {
    const dir = mkdtempSync(join(tmpdir(), 'commerce-drivers-'));
    try {
      expect(driversLoadedByEmbeddedServe(dir)).to.deep.equal([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
